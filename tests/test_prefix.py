"""The literal-prefix index finds exactly what running every pattern would, only faster."""

from __future__ import annotations

import functools
import random
from pathlib import Path

import pytest
import regex
from hypothesis import example, given, settings
from hypothesis import strategies as st

from notelint.core.compiled_rules import CompiledRules
from notelint.core.edits import Earlier
from notelint.core.match import CompiledMatcher, match_evidence
from notelint.core.note import parse_note
from notelint.core.prefix import (
    PrefixIndex,
    _ascii_stand_in,
    _fold,
    reach_behind,
    required_prefixes,
)
from notelint.core.textdiff import differing_middle
from notelint.kb import KnowledgeBase, load_knowledge_base

ROOT = Path(__file__).resolve().parents[1]


@functools.cache
def _kb() -> KnowledgeBase:
    return load_knowledge_base()


@functools.cache
def _matcher() -> CompiledMatcher:
    return CompiledRules.of(_kb()).matcher.fresh()  # memos of its own: the rules' keep none


@functools.cache
def _fragments() -> tuple[str, ...]:
    """Words and phrases the patterns look for, plus look-alikes and awkward characters."""
    words: set[str] = set()
    for pattern in _matcher().index.patterns:
        words.update(regex.findall(r"[A-Za-z][A-Za-z-]+", pattern.pattern))
    notes = sorted((ROOT / "fixtures" / "notes").glob("*.txt"))[:5]
    for note in notes:
        words.update(note.read_text(encoding="utf-8").split()[:200])
    odd = [" ", "  ", "\n", "\r\n", "\t", ".", ", ", ": ", "-", "(", ")", "[", "]", "_", "µ", "°"]
    odd += ["\u212a", "\u017f", "é", "NO", "Not", "CT-guided", "US", "x2", "76942-26", "; "]
    return tuple(sorted(words)) + tuple(odd)


texts = st.lists(st.sampled_from(_fragments()) | st.text(max_size=3), max_size=40).map(
    lambda parts: "".join(part if part in "\n\r\n" else part + " " for part in parts)
)


def _spans(matches: object) -> list[tuple[int, int]]:
    return [m.span() for m in matches]  # type: ignore[attr-defined]


@settings(max_examples=150, deadline=None)
@example(text="Not here and nothing; no knee\u212a.", cut=16, start=0)  # "no" inside "nothing"
@given(text=texts, cut=st.integers(min_value=0, max_value=400), start=st.integers(0, 50))
def test_scan_finds_exactly_what_finditer_finds(text: str, cut: int, start: int) -> None:
    matcher = _matcher()
    # New text is scanned whole; seen again, its lines are filed; then served from the file.
    scans = [matcher.scan(text) for _ in range(3)]
    assert scans[0].starts == scans[1].starts == scans[2].starts
    assert scans[0].cut == scans[1].cut == scans[2].cut
    scan = scans[2]
    # Searches that stop anywhere, inside words too, where the index must step aside.
    ends = {min(cut, len(text)), *range(min(len(text), 60))}
    for number, pattern in enumerate(matcher.index.patterns):
        assert _spans(scan.finditer(number)) == _spans(pattern.finditer(text)), pattern.pattern
        for endpos in ends:
            pos = min(start, endpos)
            expected = _spans(pattern.finditer(text, pos, endpos))
            assert _spans(scan.finditer(number, pos, endpos)) == expected, (pattern.pattern, endpos)
            relative = [(start - pos, end - pos) for start, end in expected]
            assert list(scan.spans(number, pos, endpos)) == relative, (pattern.pattern, endpos)
            assert scan.may_match_any([number], pos, endpos) == [number] or not expected


def test_lines_filed_from_other_notes_give_the_same_starts() -> None:
    index = PrefixIndex(list(_matcher().index.patterns))
    notes = sorted((ROOT / "fixtures" / "notes").glob("*.txt"))
    texts = [path.read_text(encoding="utf-8") for path in notes]
    fresh = [(s.starts, s.cut) for s in map(PrefixIndex(list(index.patterns)).scan, texts)]
    for _ in range(2):  # the second round is served from lines filed in the first
        assert [(s.starts, s.cut) for s in map(index.scan, texts)] == fresh
    mixed = texts[0] + "\n" + texts[1][: len(texts[1]) // 2] + "\nA new line: x"
    assert index.scan(mixed).starts == PrefixIndex(list(index.patterns)).scan(mixed).starts


def test_every_knowledge_base_pattern_but_a_few_is_indexed() -> None:
    index = _matcher().index
    assert len(index.unanchored) <= 3, [index.patterns[n].pattern for n in index.unanchored]


@pytest.mark.parametrize(
    ("pattern", "prefixes"),
    [
        (r"\bultrasound\b", {"ultraso"}),  # \b takes one of the eight places
        (r"(?:CT|US)-guided", {"ct-guide", "us-guide"}),
        (r"\w+ guided", None),
        (r"images? (?:saved|stored)", {"image sa", "image st", "images s"}),
    ],
)
def test_required_prefixes(pattern: str, prefixes: set[str] | None) -> None:
    found = required_prefixes(pattern)
    texts_found = None if found is None else {p.text.lower() for p in found}
    assert texts_found == prefixes


def test_words_with_non_ascii_letters_keep_their_matches() -> None:
    # The Kelvin sign folds to "k" under IGNORECASE, so "\u212anee" is "knee" to `regex`.
    pattern = regex.compile(r"\bknee\b", regex.IGNORECASE)
    index = PrefixIndex([pattern])
    for text in ("left \u212anee", "kneecap knee", "x knee", "ünee knee"):
        assert _spans(index.scan(text).finditer(0)) == _spans(pattern.finditer(text))


def _first_counted_by_brute_force(text: str, concept: str) -> tuple[int, int] | None:
    """Each sentence searched with the bare pattern, no index, no laziness."""
    kb = _kb()
    matcher = _matcher()
    note = parse_note(text, _vocabulary())  # type: ignore[arg-type]
    evidence = match_evidence(note, kb, None, matcher)
    number = matcher.numbers[concept]
    item = matcher.concepts[number]
    sentences = evidence._sentences
    for position, sentence in enumerate(sentences):
        kind = note.sections[sentence.section].kind
        if sentence.is_template or not item.counts_in(kind):
            continue
        owned = sentences[position + 1].span.start if position + 1 < len(sentences) else len(text)
        if item.veto is not None and item.veto.search(text, sentence.span.start, sentence.span.end):
            continue  # the concept's unless_sentence: the whole sentence does not count
        for m in item.pattern.finditer(text, sentence.span.start, sentence.span.end):
            if m.start() >= owned:
                break
            if note.in_placeholder(m.start(), m.end()):
                continue
            base = sentence.span.start  # assertions are worked out within the sentence
            rel = (m.start() - base, m.end() - base)
            assertion = evidence._assertion(sentence, position, *rel)
            meaning = "negated" in item.concept.counts_when and not sentence.negative_value
            if assertion == "negated" and meaning:  # "not palpable" is the concept itself
                assertion = evidence._assertion(sentence, position, *rel, own_words=True)
            if assertion in item.concept.counts_when:
                return m.span()
    return None


@functools.cache
def _vocabulary() -> object:
    return CompiledRules.of(_kb()).sections.fresh()


def test_lazy_evidence_equals_a_brute_force_search() -> None:
    notes = sorted((ROOT / "fixtures" / "notes").glob("*.txt"))
    rng = random.Random(7)
    concepts = list(_matcher().numbers)
    for path in notes:
        text = path.read_text(encoding="utf-8")
        note = parse_note(text, _vocabulary())  # type: ignore[arg-type]
        evidence = match_evidence(note, _kb(), None, _matcher())
        for concept in rng.sample(concepts, 25):
            found = evidence.first_of(concept)
            got = (found.span.start, found.span.end) if found else None
            assert got == _first_counted_by_brute_force(text, concept), (path.name, concept)


@pytest.mark.parametrize(
    ("pattern", "reach"),
    [
        (r"\bknee\b", 1),
        (r"knee", 1),
        (r"(?<!\btrigger[\s-]{1,3})MCP", 11),  # 10 characters, and \b sees one more
        (r"(?<=(?<=ab)c)x", 3),  # a lookbehind inside one looks from where that one starts
        (r"(?>(?<=abc))x", 3),
        (r"(?<=\w+ )knee", None),  # unbounded lookbehind: never kept
        (r"(?<=[[:alpha:]])x", None),  # `regex`-only syntax: unknown
    ],
)
def test_reach_behind(pattern: str, reach: int | None) -> None:
    assert reach_behind(pattern) == reach


def test_sentences_remembered_from_other_notes_give_the_same_findings() -> None:
    """The same sentence after different words: a lookbehind sees past the sentence start."""
    from notelint.core.analysis import analyze
    from notelint.core.engine import Engine
    from notelint.kb.loader import _load_cached

    notes = sorted((ROOT / "fixtures" / "notes").glob("*.txt"))
    texts = [path.read_text(encoding="utf-8") for path in notes]
    sentence = "MCP joint injection under ultrasound guidance, images saved."
    texts += [f"Digit: {word}\n{sentence}\nCPT: 20600, 76942" for word in ("index", "trigger")]
    warm = _kb()
    engine = Engine(warm)
    for text in texts:  # fill the memos
        analyze(text, warm, None, engine)
    _load_cached.cache_clear()
    try:
        for text in texts:
            fresh = load_knowledge_base()
            assert fresh is not warm
            assert analyze(text, warm, None, engine) == analyze(text, fresh)
            _load_cached.cache_clear()
    finally:
        _load_cached.cache_clear()


def test_sentences_remembered_after_other_lines_give_the_same_reports() -> None:
    """Near patterns and triggers are kept under a key with one character of what precedes a
    sentence, and first mentions under the sentence's context too: the same procedure lines
    after other lines, in other sections and beside blanks, report as a fresh analysis does."""
    from notelint.core.analysis import analyze
    from notelint.core.engine import Engine

    folders = ("coding-realistic", "coding")
    notes = [p for f in folders for p in sorted((ROOT / "fixtures" / f).glob("*.txt"))[:40]]
    texts = [path.read_text(encoding="utf-8") for path in notes]
    line = "Right knee injection under fluoroscopic guidance."
    texts += [
        f"{heading}\n{line}\nImages saved to PACS. CPT: 20610, 77002"
        for heading in ("PROCEDURE:", "HISTORY:", "Plan:", "No injection was done.", "[site]")
    ]
    kb = _kb()
    engine = Engine(kb)  # one engine: each note meets what the others taught it
    warm = [analyze(text, kb, None, engine) for text in texts + texts[::-1]][len(texts) :][::-1]
    fresh = [analyze(text, kb) for text in texts]  # a fresh engine each: nothing kept
    assert warm == fresh


@pytest.mark.parametrize(
    ("first", "then", "counts"),
    [
        ("PROCEDURE:", "INDICATION:", False),  # the section decides whether it counts
        ("INDICATION:", "PROCEDURE:", True),
        ("HISTORY:", "PROCEDURE:", True),
        ("PROCEDURE:", "FOLLOW UP:", False),
    ],
)
def test_a_remembered_first_mention_keeps_to_its_sentence_context(
    first: str, then: str, counts: bool
) -> None:
    """The same sentence, remembered under one heading, is judged afresh under another."""
    from notelint.core.engine import Engine

    kb = _kb()
    engine = Engine(kb)  # the second note meets what the first taught the memos
    sentence = "Right knee injection under fluoroscopy."
    for heading in (first, then):
        text = f"{heading} {sentence}\nImages saved.\n"
        note = parse_note(text, engine.sections)
        index = match_evidence(note, kb, None, engine.matcher)
        at = next(
            i
            for i, s in enumerate(note.headed)
            if text[s.span.start : s.span.end].startswith("Right knee")
        )
        found = index.mentions_in(at, ("action.inject",)).get("action.inject")
    assert (found is not None) is counts


def test_memos_that_turn_over_mid_scan_change_nothing() -> None:
    from notelint.core.memo import Memo

    patterns = list(_matcher().index.patterns)
    small = PrefixIndex(patterns)
    small._lines, small._seen = Memo(max_entries=3), Memo(max_entries=3)
    notes = sorted((ROOT / "fixtures" / "notes").glob("*.txt"))[:6]
    texts = [path.read_text(encoding="utf-8") for path in notes]
    for text in texts * 3:
        assert small.scan(text).starts == PrefixIndex(patterns).scan(text).starts


@settings(max_examples=40, deadline=None)
@given(
    edits=st.lists(
        st.tuples(st.floats(0, 1), st.integers(0, 40), st.sampled_from(_fragments())),
        min_size=1,
        max_size=6,
    )
)
def test_edits_to_a_long_text_splice_the_same_starts(
    edits: list[tuple[float, int, str]],
) -> None:
    """Typing in a long document: the scan of each version equals a scan from scratch."""
    patterns = list(_matcher().index.patterns)
    index = PrefixIndex(patterns)
    notes = sorted((ROOT / "fixtures" / "notes").glob("*.txt"))
    text = "\n\n".join(path.read_text(encoding="utf-8") for path in notes)
    text = (text * (70_000 // len(text) + 1))[:70_000]
    scan = index.scan(text)
    for where, removed, inserted in edits:
        at = int(where * len(text))
        earlier_text, text = text, text[:at] + inserted + text[at + removed :]
        differs = differing_middle(earlier_text, text)
        assert differs is not None
        # What analysis passes as edits.LongNotes finds it; the scan reads only scan and edit.
        earlier = Earlier(None, scan, None, *differs)  # type: ignore[arg-type]
        scan = index.scan(text, earlier)
        fresh = PrefixIndex(patterns).scan(text)
        assert scan.starts == fresh.starts
        assert scan.cut == fresh.cut


@settings(max_examples=300, deadline=None)
@given(text=texts | st.text(max_size=80))
def test_no_sentence_ends_inside_a_word(text: str) -> None:
    """The evidence search relies on it: a search cut inside a word is the one case where the
    prefix index could miss a match (see Scan.in_word)."""
    note = parse_note(text, _vocabulary())  # type: ignore[arg-type]
    scan = _matcher().scan(text)
    for sentence in match_evidence(note, _kb(), None, _matcher())._sentences:
        assert not scan.in_word(sentence.span.end), (text, sentence)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("aZk s\n\r\t-_.µ°×“”’–é\u212a\u017f\U0001f600\ud800")))
def test_folding_keeps_offsets_and_reads_each_character_alone(text: str) -> None:
    """The folded text: the same length, each ASCII character lowercased and every other one
    replaced by what an ASCII literal sees of it."""
    expected = "".join(c.lower() if c.isascii() else _ascii_stand_in(c) for c in text)
    assert _fold(text) == expected


def test_lines_with_the_same_starts_share_one_entry() -> None:
    """The scan memo keeps one copy of each distinct per-line entry, and it is the right one."""
    patterns = list(_matcher().index.patterns)
    index = PrefixIndex(patterns)
    text = "Ultrasound guidance was used.\nUltrasound guidance was used!\nNo pneumothorax.\n"
    for _ in range(2):  # lines are filed in the memo when they come back
        scan = index.scan(text)
    assert scan.starts == PrefixIndex(patterns).scan(text).starts
    first, second, other = (index._lines.get(line) for line in _fold(text).split("\n")[:3])
    assert first is not None and first == second and first is second
    assert other is not None and other != first
