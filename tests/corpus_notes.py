"""Notes the equivalence tests run through two ways of analysing: fixtures, the dev corpus,
notes made of their lines, and long notes edited line by line (the reuse paths of long notes)."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT.parent / "shared" / "corpus" / "dev"


def real_notes() -> list[str]:
    files = sorted((ROOT / "fixtures").rglob("*.txt"))
    files += sorted(DEV.rglob("*.txt")) if DEV.is_dir() else []
    return [p.read_text(encoding="utf-8", errors="replace") for p in files]


def mutants(notes: list[str], count: int, seed: int) -> list[str]:
    """Notes made of other notes' lines, shuffled, cut and joined: text no fixture has."""
    rng = random.Random(seed)
    lines = [line for note in notes for line in note.splitlines()]
    out = []
    for _ in range(count):
        picked = rng.sample(lines, rng.randint(1, 40))
        if rng.random() < 0.3:
            picked = [line[: rng.randint(0, len(line))] for line in picked]
        out.append(rng.choice(["\n", "\r\n", " "]).join(picked))
    return out


def long_edits(notes: list[str], versions: int, seed: int) -> list[str]:
    """A note of over 64 KB (where long notes are reused for their next version), then
    versions of it each one edit away from the last: a line typed, deleted or changed."""
    rng = random.Random(seed)
    lines = [line for note in notes for line in note.splitlines()]
    text = "\n".join(lines)
    while len(text) < 70_000:
        text += "\n" + "\n".join(lines)
    out = [text]
    for _ in range(versions):
        current = out[-1].split("\n")
        at = rng.randrange(len(current))
        action = rng.choice(["type", "delete", "change"])
        if action == "type":
            current.insert(at, rng.choice(lines))
        elif action == "delete":
            del current[at]
        else:
            current[at] = current[at][: rng.randint(0, len(current[at]))] + " no images were saved"
        out.append("\n".join(current))
    return out


_CHILD = """
import hashlib, json, sys
from notelint import analyze, load_knowledge_base
from notelint._compiled import running_compiled
from notelint.core.engine import Engine
kb = load_knowledge_base()
engine = Engine(kb)
texts = json.load(sys.stdin)
digests = [hashlib.sha256(repr(analyze(t, kb, None, engine)).encode()).hexdigest() for t in texts]
json.dump({"digests": digests, "compiled": running_compiled(), "remembered": engine.remembered()},
          sys.stdout)
"""


def analyse_in_child(texts: list[str], switch: str, on: bool) -> dict[str, Any]:
    """Analyse ``texts`` in order in a fresh process with the environment switch ``switch`` set
    (``on``) or unset: a digest of each Report, which modules ran compiled, and how many pieces
    of text the memos hold at the end. (Switches are read at import: one process per mode.)"""
    env = {k: v for k, v in os.environ.items() if k != switch}
    if on:
        env[switch] = "1"
    done = subprocess.run(
        [sys.executable, "-c", _CHILD],
        input=json.dumps(texts),
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result
