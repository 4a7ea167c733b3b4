"""Instructions the analysis core executes, counted by valgrind: a measure that machine load
does not move, for comparing two versions of the code (on a shared machine, wall-clock times
vary by half from one minute to the next).

Two workloads, each measured as the difference between a run that does it N times and one
that only sets up, so imports and warm-up cancel out:

* ``long``: one more analysis of a 300 KB note after typing a few characters into it, with
  the memos warm, as the language server sees each keystroke;
* ``batch``: one more note of a corpus (``bench/build_corpus.py``), after the first 300, as
  ``notelint check`` sees a folder.

    python bench/instructions.py                 # both, on /tmp/notelint-bench-corpus
    python bench/instructions.py long --rounds 3
    python bench/instructions.py batch --corpus /tmp/notes --rounds 200

Needs valgrind (Debian: ``apt-get install valgrind``); takes a minute or two per workload.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_CORPUS = Path("/tmp/notelint-bench-corpus")
WARM_NOTES = 300


def child(workload: str, rounds: int, corpus: str) -> None:
    """Set up, then do ``rounds`` units of ``workload`` (run under valgrind)."""
    sys.path.insert(0, str(HERE))
    from notelint.core.analysis import analyze, collect_garbage_rarely
    from notelint.core.engine import Engine
    from notelint.inputs.files import read_note
    from notelint.kb import load_knowledge_base

    collect_garbage_rarely()
    kb = load_knowledge_base()
    engine = Engine(kb)  # a steady batch worker's, or an editor server's: notes teach the next
    if workload == "long":
        from lsp_bench import note_of

        text = note_of(300_000)
        line = text.index("\n") + 1
        for typed in range(2 + rounds):  # two to warm the memos up
            text = text[:line] + "ab"[typed % 2] + text[line:]
            analyze(text, kb, None, engine)
        return
    paths = sorted(Path(corpus).glob("*.txt"))[: WARM_NOTES + rounds]
    texts = [read_note(p).text for p in paths]
    for text in texts:
        if text is not None:
            analyze(text, kb, None, engine)


def child_environment() -> dict[str, str]:
    """This interpreter's import path for the child: valgrind runs the real executable behind
    a virtualenv's ``python`` link, which on its own would not find the virtualenv's packages."""
    path = [entry for entry in sys.path if entry]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(path)}


def count(workload: str, rounds: int, corpus: str) -> int:
    """Instructions of a child process doing ``rounds`` units."""
    command = [
        "valgrind",
        "--tool=cachegrind",
        "--cache-sim=no",
        "--cachegrind-out-file=/dev/null",
        os.path.realpath(sys.executable),
        __file__,
        "--child",
        workload,
        "--rounds",
        str(rounds),
        "--corpus",
        corpus,
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, check=False, env=child_environment()
    )
    if done.returncode != 0:
        raise SystemExit(f"the measured child failed under valgrind:\n{done.stderr[-2000:]}")
    found = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    if not found:
        raise SystemExit(f"no instruction count in valgrind's output:\n{done.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workload", nargs="?", choices=("long", "batch", "both"), default="both")
    parser.add_argument("--rounds", type=int, help="units measured (default: 3 long, 200 batch)")
    parser.add_argument("--corpus", default=str(DEFAULT_CORPUS))
    parser.add_argument("--child", choices=("long", "batch"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.rounds, args.corpus)
        return 0
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (Debian: apt-get install valgrind)", file=sys.stderr)
        return 2
    workloads = ("long", "batch") if args.workload == "both" else (args.workload,)
    if "batch" in workloads and len(list(Path(args.corpus).glob("*.txt"))) <= WARM_NOTES:
        build = [sys.executable, str(HERE / "build_corpus.py"), args.corpus, "--count", "600"]
        subprocess.run(build, check=True, capture_output=True)
    for workload in workloads:
        rounds = args.rounds or (3 if workload == "long" else 200)
        extra = count(workload, rounds, args.corpus) - count(workload, 0, args.corpus)
        unit = "analysis of a 300 KB note after a keystroke" if workload == "long" else "note"
        print(f"{workload}: {extra / rounds / 1e6:.1f} million instructions per {unit}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
