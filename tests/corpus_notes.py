"""Notes the equivalence tests run through two ways of analysing: fixtures, the dev corpus,
notes made of their lines, and long notes edited line by line (the reuse paths of long notes)."""

from __future__ import annotations

import random
from pathlib import Path

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
