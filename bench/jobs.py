"""``notelint check --jobs N`` against ``--jobs 1`` on the same corpora, in the same run.

For each corpus and format, the two runs are interleaved ``--runs`` times (so machine load falls
on both alike); the figure is the ratio of their medians (above 1: the pool is faster). The
outputs must be byte for byte the same, or the script fails.

    python bench/build_corpus.py /tmp/cheap --count 2000 --size 1500
    python bench/build_corpus.py /tmp/distinct --count 2000 --size 1500 --distinct
    python bench/jobs.py /tmp/cheap /tmp/distinct --jobs 2 --runs 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path


def run(corpus: Path, jobs: int, fmt: str) -> tuple[float, bytes]:
    command = [sys.executable, "-m", "notelint.cli", "check", "-q", f"-j{jobs}", "--format", fmt]
    started = time.perf_counter()
    done = subprocess.run([*command, str(corpus)], capture_output=True, check=False)
    return time.perf_counter() - started, done.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("corpora", nargs="+", type=Path)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--format", action="append", dest="formats", help="default: text, json")
    args = parser.parse_args()
    print(f"{'corpus':<28} {'format':<6} {'notes':>6} {'jobs 1 s':>9} {'jobs N s':>9} {'ratio':>6}")
    same = True
    for corpus in args.corpora:
        notes = len(list(corpus.glob("*.txt")))
        for fmt in args.formats or ["text", "json"]:
            one: list[float] = []
            many: list[float] = []
            for _ in range(args.runs):
                seconds, out_one = run(corpus, 1, fmt)
                one.append(seconds)
                seconds, out_many = run(corpus, args.jobs, fmt)
                many.append(seconds)
                same = same and out_one == out_many
            a, b = statistics.median(one), statistics.median(many)
            print(f"{corpus!s:<28} {fmt:<6} {notes:>6} {a:>9.2f} {b:>9.2f} {a / b:>6.2f}")
    print(f"jobs N = {args.jobs}; machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}")
    if not same:
        print("FAIL: --jobs N wrote something else than --jobs 1", file=sys.stderr)
        return 1
    print("outputs identical")
    return 0


if __name__ == "__main__":
    sys.exit(main())
