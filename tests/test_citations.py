"""Every passage the rules cite occurs verbatim at the cited line of the cited document.

Whitespace may differ (passages are one line; sources wrap), an explicit ``…`` stands for
words left out, and editorial words are allowed only in square brackets. ``../shared`` is
part of the checkout CI runs on: a missing source is a failure, never a skip.
"""

from __future__ import annotations

import bisect
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import regex

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "rules"
SOURCES = ROOT.parent / "shared" / "sources"
# Citations whose document is the knowledge base itself, not a shipped source.
OWN = {"families"}


def _documents() -> dict[str, Path]:
    data = tomllib.loads((RULES / "sources.toml").read_text(encoding="utf-8"))
    return {
        name: SOURCES / entry["file"] for name, entry in data["source"].items() if name not in OWN
    }


def _citations(node: Any, where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        if {"document", "line", "passage"} <= node.keys():
            yield where, node
        for key, value in node.items():
            yield from _citations(value, f"{where}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _citations(value, f"{where}[{i}]")


def _all_citations() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in sorted(RULES.rglob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        found.extend(_citations(data, path.relative_to(ROOT).as_posix()))
    return found


def _words(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").split())


def passage_pattern(passage: str) -> regex.Pattern[str]:
    """The passage as a pattern over whitespace-normalised text: ``…`` may stand for any
    words, ``[…]`` for editorial words, which the source need not hold."""
    # An ellipsis at either end only says the passage is cut from a longer sentence.
    parts = regex.split(r"(\s*…\s*|\s*\[[^\]]*\]\s*)", _words(passage).strip("… "))
    pattern = []
    for part in parts:
        if part.strip() == "…":
            pattern.append(r".*?")
        elif part.strip().startswith("["):
            pattern.append(r"(?:\s|.*?)")
        elif part:
            pattern.append(r"\s*".join(regex.escape(w) for w in part.split()))
    return regex.compile("".join(pattern), regex.DOTALL)


# A printed line number at the start of a line ("- 25 F. CPT 76942 is…"): layout, as in
# documents taken from a numbered PDF.
_PRINTED_NUMBER = regex.compile(r"^\s*(?:-\s*)?\d{1,3}(?:\s+|$)")


def readable(lines: list[str]) -> tuple[str, list[int]]:
    """A document's words, whitespace-normalised and without printed line numbers (when
    most lines carry one), and where each of its lines starts in them."""
    numbered = sum(bool(_PRINTED_NUMBER.match(line)) for line in lines if line.strip())
    strip = numbered > len([line for line in lines if line.strip()]) / 2
    starts: list[int] = []
    joined = ""
    for line in lines:
        text = _words(_PRINTED_NUMBER.sub("", line, count=1) if strip else line)
        starts.append(len(joined) + (1 if joined and text else 0))
        if not text:
            continue
        if joined.endswith("-") and text[0].islower():
            starts[-1] = len(joined)  # "stand-" / "alone": a word split at the line's end
            joined += text
        else:
            joined = f"{joined} {text}" if joined else text
    return joined, starts


def cited_line(lines: list[str], passage: str) -> list[int]:
    """The lines (1-based) where the passage starts, wherever it occurs."""
    text, starts = readable(lines)
    return [bisect.bisect_right(starts, m.start()) for m in passage_pattern(passage).finditer(text)]


CITATIONS = _all_citations()


def test_the_rules_cite_passages() -> None:
    assert len(CITATIONS) >= 40


@pytest.mark.parametrize(("where", "citation"), CITATIONS, ids=[w for w, _ in CITATIONS])
def test_a_cited_passage_is_verbatim_at_its_line(where: str, citation: dict[str, Any]) -> None:
    if citation["document"] in OWN:
        return  # a families entry carries its own public citation (checked in test_kb)
    documents = _documents()
    assert citation["document"] in documents, f"{where}: unknown document"
    path = documents[citation["document"]]
    assert path.is_file(), f"{where}: {path.relative_to(ROOT.parent)} is missing"
    lines = path.read_text(encoding="utf-8").splitlines()
    found = cited_line(lines, citation["passage"])
    assert found, f"{where}: not verbatim in the source: {citation['passage']!r}"
    assert citation["line"] in found, f"{where}: starts on line {found}, not {citation['line']}"


@pytest.mark.parametrize(
    ("passage", "source", "ok"),
    [
        ("the needle   was placed", "x the needle was\nplaced y", True),
        ("the needle … placed", "the needle was then placed", True),
        ("the [guidance] needle", "the needle", True),
        ("the needle was moved", "the needle was placed", False),
        ("the guidance needle", "the needle", False),  # editorial words need brackets
    ],
)
def test_passage_pattern(passage: str, source: str, ok: bool) -> None:
    assert bool(passage_pattern(passage).search(_words(source))) is ok
