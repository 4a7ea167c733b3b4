"""SIGTERM to a parallel check stops its workers and leaves a well-formed document."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

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
