"""The shortcuts that make parse_note fast give what the plain patterns and a cold start give."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import regex
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from notelint.core.memo import Memo
from notelint.core.note import (
    _LABEL_LINE,
    _PLACEHOLDER,
    _WORD_CHAR,
    SectionVocabulary,
    _is_blank,
    _placeholders_in,
    _sentence_spans,
    parse_note,
)
from notelint.kb import load_knowledge_base

ROOT = Path(__file__).resolve().parents[1]
KB = load_knowledge_base()
FRAGMENTS = [
    "\n",
    "\r\n",
    "\r",
    "\t",
    " ",
    "[",
    "]",
    "[***]",
    "{{x}}",
    "___",
    "***",
    "XXX",
    "xXx",
    "<<f>>",
    "yes/no",
    "Yes / No / N/A",
    "mild, moderate/severe",
    "/",
    "PROCEDURE",
    "INDICATION:",
    "INDICATION: knee pain",
    "## Findings",
    "Label: value",
    "Label:",
    "1. ",
    "- ",
    "CPT: 76942-26",
    "CPT 47000 x2",
    "Coding:",
    "Billing: 20611-RT (2 units)",
    "Dr. Smith",
    "e.g. this",
    "Done.",
    "the lower",
    "Images: [***]",
    "Reason for image guidance: N/A",
    '"A." B',
    "é\u2028\x0c\u00a0",
]
texts = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=12)), max_size=30).map(
    "".join
)
# The patterns as first written, slower: what the faster ones must agree with.
LAZY_LABEL_LINE = regex.compile(
    r"^(?P<lead>[ \t]*(?:[-*•>]+[ \t]*)*(?:\(?\d{1,2}[.)][ \t]+|[A-Z][.)][ \t]+)?)"
    r"(?P<label>[A-Za-z][A-Za-z0-9 /&'(),.#-]{0,48}?)[ \t]*:(?:[ \t]+(?P<value>\S.*?))?[ \t]*$"
)
LOOK_BEHIND_END = regex.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")
ABBREVIATION = regex.compile(
    r"(?:\b(?:Dr|Mr|Mrs|Ms|St|vs|approx|e\.g|i\.e|No|Fig|cf|etc|incl|M\.D|D\.O|Ph\.D)|\b[A-Z])\.$"
)
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _groups(match: regex.Match[str] | None) -> object:
    if match is None:
        return None
    return [match.span(name) for name in ("lead", "label", "value")], match.span()


def _plain_sentences(text: str) -> tuple[tuple[int, int], ...]:
    out, pos = [], 0

    def add(start: int, end: int) -> None:
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start:
            out.append((start, end))

    for boundary in LOOK_BEHIND_END.finditer(text):
        if ABBREVIATION.search(text[pos : boundary.start()]):
            continue
        add(pos, boundary.start())
        pos = boundary.end()
    add(pos, len(text))
    return tuple(out)


@SETTINGS
@given(texts)
def test_patterns_agree_with_the_plain_ones(text: str) -> None:
    assert _groups(_LABEL_LINE.match(text)) == _groups(LAZY_LABEL_LINE.match(text))
    assert _sentence_spans(text) == _plain_sentences(text)
    assert _is_blank(text) == (not _WORD_CHAR.search(_PLACEHOLDER.sub("", text)))
    line = text.replace("\n", "")
    assert _placeholders_in(line) == tuple(m.span() for m in _PLACEHOLDER.finditer(line))


@SETTINGS
@given(texts)
def test_placeholders_are_those_of_one_search(text: str) -> None:
    note = parse_note(text, SectionVocabulary(KB.sections))
    assert [(p.start, p.end) for p in note.placeholders] == [
        m.span() for m in _PLACEHOLDER.finditer(text)
    ]


def test_memos_do_not_change_the_note() -> None:
    paths = sorted((ROOT / "fixtures" / "notes").glob("*.txt"))
    notes = [path.read_text(encoding="utf-8") for path in paths]
    variants = [*notes, *(n.replace("\n", "\r\n") for n in notes), *(n[:-40] for n in notes)]
    warm = SectionVocabulary(KB.sections)
    for text in variants * 2:  # the second time round, everything comes from the memos
        fresh = parse_note(text, SectionVocabulary(KB.sections))
        assert dataclasses.asdict(parse_note(text, warm)) == dataclasses.asdict(fresh)


def test_a_full_memo_keeps_two_generations() -> None:
    memo: Memo[str, int] = Memo(max_entries=2, max_chars=10)
    memo.put("a", 1)
    memo.put("b", 2)
    memo.put("c", 3)  # the young generation was full: a and b become the old one
    assert dict(memo) == {"c": 3}
    assert memo["a"] == 1  # read from the old generation, and brought back
    assert dict(memo) == {"c": 3, "a": 1} and memo.kept() == 3
    memo.put("d", 4)  # c and a become the old generation; b, in the one before, is gone
    assert memo["b"] is None
    assert memo.kept() == 3
    memo.put("0123456789", 5)  # too much text: the young generation turns over too
    assert dict(memo) == {"0123456789": 5}
    assert memo["d"] == 4 and memo["c"] is None
    assert memo.get("0123456789") == 5  # from the old generation: get reads both, too
    assert memo.get("c", 0) == 0
    memo.clear()
    assert memo.kept() == 0 and memo["d"] is None
