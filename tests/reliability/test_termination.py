"""SIGTERM to a parallel check stops its workers and leaves a well-formed document."""

from __future__ import annotations

import errno
import json
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import pytest

from notelint import batch
from notelint.cli import main
from notelint.present.results import FileResult

NOTE = "PROCEDURE: Ultrasound-guided liver biopsy.\nImages were saved.\nCPT: 47000, 76942\n"


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_sigterm_stops_the_workers(tmp_path: Path) -> None:
    for number in range(3_000):
        (tmp_path / f"n{number:05}.txt").write_text(NOTE)
    command = [sys.executable, "-m", "notelint.cli", "check", "-j3", "--format", "json"]
    process = subprocess.Popen(
        [*command, str(tmp_path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 30
    while len(workers := _children(process.pid)) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)  # some notes done
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=20)
    assert process.returncode == 143
    assert b"Traceback" not in err
    json.loads(out)
    deadline = time.monotonic() + 10
    while any(_alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert workers and not any(_alive(w) for w in workers)


def test_workers_that_cannot_start_are_one_error_not_a_hang(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for number in range(batch.POOL_FROM):  # enough notes to start a pool
        (tmp_path / f"n{number}.txt").write_text(NOTE)

    def submit(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EMFILE, "Too many open files")

    monkeypatch.setattr(ProcessPoolExecutor, "submit", submit)
    assert main(["check", "-j2", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert (
        err
        == "notelint: cannot start the worker processes (Too many open files); try fewer --jobs\n"
    )


@pytest.mark.parametrize(("descriptors", "workers"), [(48, 4), (1024, 248), (20, 1)])
def test_jobs_are_kept_within_the_descriptor_limit(
    descriptors: int, workers: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(resource, "getrlimit", lambda kind: (descriptors, descriptors))
    assert batch.max_workers() == workers


def test_a_dead_worker_leaves_a_well_formed_document(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for number in range(2):
        (tmp_path / f"n{number}.txt").write_text(NOTE)
    real = batch.run_ordered

    def dies_after_one(*args: Any, **kwargs: Any) -> Iterator[FileResult]:
        results = real(*args, **kwargs)
        yield next(results)
        raise BrokenProcessPool("a worker died")

    monkeypatch.setattr(batch, "run_ordered", dies_after_one)
    assert main(["check", "-j1", "--format", "sarif", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert len(json.loads(captured.out)["runs"][0]["results"]) > 0
    assert captured.err == "notelint: a worker process stopped unexpectedly\n"
