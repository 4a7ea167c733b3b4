"""No tracked file the project ships names a path of the machine it was developed on.

Sources are named relative to the repository (``../shared/sources/...``); a path such as
``/work/...`` or ``/root/...`` means nothing on a user's machine and leaks how ours is laid out.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import regex

ROOT = Path(__file__).resolve().parents[1]
SCOPE = ("rules", "server", "editors", "README.md")
# A machine root at the start of a path: not inside a URL or a relative path (…/a/work/b).
MACHINE_PATH = regex.compile(r"(?<![\w./:~-])/(?:work|root|check|tmp)/")


def _shipped_files() -> list[Path]:
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--", *SCOPE],
            cwd=ROOT,
            capture_output=True,
            check=True,
            text=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: the tracked files are unknown")
    return [ROOT / name for name in listed.split("\0") if name]


def _machine_paths(text: str) -> list[int]:
    return [text.count("\n", 0, m.start()) + 1 for m in MACHINE_PATH.finditer(text)]


def test_the_pattern_finds_machine_paths_and_spares_urls_and_relative_paths() -> None:
    assert _machine_paths("see /work/shared/sources/a.txt\nx (/root/.pyenv/bin)") == [1, 2]
    assert _machine_paths("`/tmp/notes`") == [1]
    assert _machine_paths("https://example.org/work/a ../shared/sources ~/bench a/tmp/b") == []


def test_no_shipped_file_names_an_absolute_path_of_this_machine() -> None:
    offenders = []
    for path in _shipped_files():
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, FileNotFoundError):
            continue  # binary assets (images) and files deleted in the working tree
        offenders += [f"{path.relative_to(ROOT)}:{line}" for line in _machine_paths(text)]
    assert offenders == []
