"""The compiled hot path against its pure-Python reference, in the same run.

Each mode analyses the same notes in a fresh process (``NOTELINT_PURE=1`` for the reference),
warmed up on the first ``--warmup`` notes, then timed over the rest (median of ``--passes``,
memos forgotten before each pass, as a batch job starts). The modes alternate ``--runs``
times so that machine load falls on both alike; the figure is the ratio of their medians.
Their reports must be identical, or the script fails.

    python bench/build_corpus.py /tmp/distinct --count 2000 --distinct
    python bench/compiled.py /tmp/distinct --limit 900 --runs 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

_CHILD = """
import hashlib, json, statistics, sys, time
from notelint.core.analysis import analyze, collect_garbage_rarely
from notelint.core.engine import Engine
from notelint.kb import load_knowledge_base
from notelint._compiled import running_compiled
paths, warmup, passes = json.loads(sys.stdin.read())
collect_garbage_rarely()
kb = load_knowledge_base()
engine = Engine(kb)
texts = [open(p, encoding="utf-8", errors="replace").read() for p in paths]
digest = hashlib.sha256()
for text in texts:
    digest.update(repr(analyze(text, kb, None, engine)).encode())
seconds = []
for _ in range(passes):
    engine.forget()
    started = time.perf_counter()
    for text in texts[warmup:]:
        analyze(text, kb, None, engine)
    seconds.append(time.perf_counter() - started)
compiled = running_compiled()
json.dump({"seconds": statistics.median(seconds), "digest": digest.hexdigest(),
           "compiled": sum(compiled.values()), "modules": len(compiled)}, sys.stdout)
"""


def measure(paths: list[str], warmup: int, passes: int, pure: bool) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if k != "NOTELINT_PURE"}
    if pure:
        env["NOTELINT_PURE"] = "1"
    done = subprocess.run(
        [sys.executable, "-c", _CHILD],
        input=json.dumps([paths, warmup, passes]),
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    result: dict[str, object] = json.loads(done.stdout)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--limit", type=int, default=900)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    paths = [str(p) for p in sorted(args.corpus.rglob("*.txt"))[: args.limit]]
    if len(paths) <= args.warmup:
        print(f"{args.corpus}: {len(paths)} notes, fewer than --warmup + 1", file=sys.stderr)
        return 2
    timed = len(paths) - args.warmup
    runs: dict[bool, list[dict[str, object]]] = {False: [], True: []}
    for _ in range(args.runs):
        for pure in (False, True):
            runs[pure].append(measure(paths, args.warmup, args.passes, pure))
    fast, pure = runs[False][0], runs[True][0]
    if fast["digest"] != pure["digest"]:
        print("FAIL: compiled and pure reports differ", file=sys.stderr)
        return 1
    print(f"{timed} notes timed from {args.corpus} (after {args.warmup} to warm up)")
    medians = {}
    for mode, label in ((False, "compiled"), (True, "pure Python")):
        seconds = statistics.median(float(r["seconds"]) for r in runs[mode])  # type: ignore[arg-type]
        medians[mode] = seconds
        modules = f"{runs[mode][0]['compiled']}/{runs[mode][0]['modules']} modules compiled"
        print(f"{label:<12} {timed / seconds:8.1f} notes/s  {seconds:6.3f} s  {modules}")
    if not runs[False][0]["compiled"]:
        print("nothing is compiled here (pure build): the ratio means nothing")
    print(f"compiled / pure: {medians[True] / medians[False]:.2f}x faster; reports identical")
    return 0


if __name__ == "__main__":
    sys.exit(main())
