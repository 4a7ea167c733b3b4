"""Shared helpers for the editor tests: the fixture note, the server command, a headless run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EDITORS = ROOT / "editors"
HERE = Path(__file__).resolve().parent
FIXTURE = ROOT / "fixtures" / "notes" / "08-templated-us-biopsy-unfilled.txt"
# What the fixture's documentation gaps must produce in every editor.
GAPS = {"NL101", "NL102", "NL103", "NL104"}


def server_command() -> list[str]:
    """``notelint server`` from this Python's environment, so the editors run the code under test."""
    script = Path(sys.executable).with_name("notelint")
    found = str(script) if script.exists() else shutil.which("notelint")
    return [found, "server"] if found else [sys.executable, "-m", "notelint.cli", "server"]


def run_editor(args: list[str], env: dict[str, str], cwd: Path, timeout: float) -> str:
    """Run an editor headless; on timeout kill its whole process group (the server too)."""
    with subprocess.Popen(
        args,
        env={**os.environ, **env},
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    ) as proc:
        try:
            out, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            out, _ = proc.communicate()
            pytest.fail(f"{args[0]} did not finish in {timeout} s:\n{out}")
    return out


def copy_notes(folder: Path) -> tuple[Path, Path]:
    """The fixture note as a .txt and as a .note, outside the repository (no project config)."""
    text = FIXTURE.read_text(encoding="utf-8")
    txt, note = folder / FIXTURE.name, folder / f"{FIXTURE.stem}.note"
    txt.write_text(text, encoding="utf-8")
    note.write_text(text, encoding="utf-8")
    return txt, note
