"""Hostile notes at the size limit: ``python bench/worst_case.py``.

Analyses 2 MiB notes of the shapes that once took quadratic time (a code with a run of
modifiers, a Markdown heading followed by a long run of blanks) and a few other extremes, in
this process, and prints the best of two runs for each. Target: under 2 s each.
"""

from __future__ import annotations

import time

from notelint.core.analysis import analyze, collect_garbage_rarely
from notelint.kb import load_knowledge_base

SIZE = 2 * 1024 * 1024
SHAPES = {
    "one code, a run of modifiers": "CPT: 76942" + "-26" * (SIZE // 3),
    "contradicting modifiers": "CPT: 20610" + "-RT-LT-26-TC" * (SIZE // 12),
    "heading, then a run of blanks": "# a" + " " * SIZE + "b\n",
    "heading, then blanks and hashes": "## x" + " \t#" * (SIZE // 3) + "y\n",
    "a label, then a run of blanks": "INDICATION" + " " * SIZE + ": x\n",
    "one long capitalised line": "AB " * (SIZE // 3),
    "only line breaks": "\n" * SIZE,
    "a repeated sentence": "Ultrasound guidance was used. " * (SIZE // 30),
    "a run of codes": "CPT: " + "76942, " * (SIZE // 7),
}


def main() -> None:
    collect_garbage_rarely()
    kb = load_knowledge_base()
    analyze("warm up", kb)
    for name, text in SHAPES.items():
        best = float("inf")
        for _ in range(2):
            start = time.perf_counter()
            analyze(text, kb)
            best = min(best, time.perf_counter() - start)
        print(f"{name:34s} {len(text) / 1024 / 1024:4.1f} MiB {best:6.2f} s", flush=True)


if __name__ == "__main__":
    main()
