"""Start-up: how long until a first answer, against ``python -c pass`` measured in the same run.

Each figure is the median of ``--runs`` fresh processes, interleaved so that machine load falls on
all alike:

* ``python -c pass``: the interpreter alone (the floor every figure is divided by);
* ``import notelint.cli``: the imports ``notelint check`` pays before any work;
* ``notelint check``, one short note, knowledge-base cache warm;
* the same with ``--no-cache`` (rule files validated and patterns compiled afresh);
* ``notelint server``: spawn, initialize, open the note, until its first diagnostics.

    python bench/startup.py --runs 11

Target (issue 19): under 150 ms for ``notelint check`` and for the server's first diagnostics.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "lsp"))  # the tests' bare JSON-RPC client

from raw_client import ServerProcess  # noqa: E402

NOTE = "PROCEDURE: Ultrasound-guided liver biopsy.\nImages saved.\nCPT: 47000, 76942\n"
TARGET_MS = 150.0
PY = sys.executable


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - started


def first_diagnostics(note: Path) -> float:
    """Spawn the server and time until the diagnostics of the opened note arrive."""
    started = time.perf_counter()
    server = ServerProcess([PY, "-m", "notelint.cli", "server"])
    try:
        server.client.initialize({"debounceMs": 0})
        item = {"uri": note.as_uri(), "languageId": "plaintext", "version": 1, "text": NOTE}
        server.client.notify("textDocument/didOpen", {"textDocument": item})
        server.client.notification("textDocument/publishDiagnostics", note.as_uri(), 60)
        return time.perf_counter() - started
    finally:
        server.stop()


def measures(note: Path) -> dict[str, Callable[[], float]]:
    check = [PY, "-m", "notelint.cli", "check", "-j1", "-q", str(note)]
    return {
        "python -c pass": lambda: timed([PY, "-c", "pass"]),
        "import notelint.cli": lambda: timed([PY, "-c", "import notelint.cli"]),
        "notelint check, 1 note": lambda: timed(check),
        "notelint check --no-cache": lambda: timed([*check, "--no-cache"]),
        "server: first diagnostics": lambda: first_diagnostics(note),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=11, help="fresh processes per figure")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        note = Path(folder) / "short.txt"
        note.write_text(NOTE, encoding="utf-8")
        subprocess.run(
            [PY, "-m", "notelint.cli", "check", "-j1", "-q", str(note)],
            capture_output=True,
            check=False,
        )  # the cache written, as it is after a first run
        runs = measures(note)
        times: dict[str, list[float]] = {name: [] for name in runs}
        for _ in range(args.runs):
            for name, run in runs.items():
                times[name].append(run())
    floor = statistics.median(times["python -c pass"])
    cache = os.environ.get("NOTELINT_CACHE_DIR", "the user cache folder")
    print(f"start-up, median of {args.runs} fresh processes (cache: {cache})")
    print(f"{'measure':<28} {'ms':>8} {'x python -c pass':>17}  target")
    for name, values in times.items():
        median = statistics.median(values) * 1000
        target = ""
        if name in ("notelint check, 1 note", "server: first diagnostics"):
            target = f"< {TARGET_MS:.0f} ms {'PASS' if median < TARGET_MS else 'FAIL'}"
        print(f"{name:<28} {median:>8.1f} {median / 1000 / floor:>17.2f}  {target}")
    bytecode = "off (PYTHONDONTWRITEBYTECODE)" if sys.dont_write_bytecode else "on"
    print(
        f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}; bytecode cache {bytecode}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
