"""A short, bounded atheris run of fuzz/fuzz_analyze.py seeded with the example notes.

Longer campaigns: python fuzz/fuzz_analyze.py -max_total_time=600 CORPUS_DIR
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(importlib.util.find_spec("atheris") is None, reason="atheris not installed")
def test_fuzz_harness_finds_no_crash(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for note in (ROOT / "fixtures" / "notes").glob("*.txt"):
        shutil.copy(note, corpus)
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "fuzz" / "fuzz_analyze.py"),
            "-runs=1500",
            "-max_len=2048",
            "-seed=1",
            str(corpus),
        ],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Done 1500 runs" in result.stderr
