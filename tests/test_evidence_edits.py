"""A long note edited one change at a time: what is reused from the version before, as
edits.LongNotes finds it (the parse, note.Lineage; the evidence, match.EvidenceIndex.follow),
must equal what the new version gives from scratch."""

from __future__ import annotations

import functools
from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st

from notelint.core.analysis import analyze
from notelint.core.compiled_rules import CompiledRules
from notelint.core.decide import decide
from notelint.core.edits import REUSE_FROM
from notelint.core.engine import Engine
from notelint.core.match import EvidenceIndex, find_sides, match_evidence
from notelint.core.note import Note, _parse, parse_note
from notelint.core.settings import Settings
from notelint.kb import KnowledgeBase, load_knowledge_base

ROOT = Path(__file__).resolve().parents[1]

# What typing near a heading or a mention can change: headings appear and go, lines join and
# split, values turn negative, words that mentions and their context are made of.
FRAGMENTS = (
    "",
    "\n",
    "\n\n",
    ":",
    " ",
    "a",
    "PROCEDURE:\n",
    "\nIMPRESSION: ",
    "FINDINGS\n",
    "Indication: none\n",
    "Permanent images: [describe]\n",
    "no ",
    "not ",
    "The procedure was discontinued. ",
    "biopsy was aborted",
    "left knee",
    "Images were archived to PACS.",
    "under ultrasound guidance",
    "CPT: 76942-26\n",
    "history of ",
    "# Technique\n",
)


@functools.cache
def _kb() -> KnowledgeBase:
    return load_knowledge_base()


@functools.cache
def _long_note() -> str:
    notes = sorted((ROOT / "fixtures" / "notes").glob("*.txt"))
    text = "\n\n".join(path.read_text(encoding="utf-8") for path in notes)
    size = REUSE_FROM + 6_000
    return (text * (size // len(text) + 1))[:size]


def _steps(engine: Engine, text: str) -> EvidenceIndex:
    """Parse, scan and search as ``analyze`` does: the engine keeps long notes for the next."""
    earlier = engine.long_notes.earlier(text)
    note = parse_note(text, engine.sections, earlier)
    scan = engine.matcher.scan(note.flowed, engine.long_notes.flowed(earlier, note))
    index = match_evidence(note, engine.kb, scan, engine.matcher, earlier)
    engine.long_notes.keep(note, scan, index)
    return index


def _fresh(text: str, kb: KnowledgeBase) -> EvidenceIndex:
    """An evidence index that reuses nothing from earlier versions."""
    rules = CompiledRules.of(kb)
    matcher = rules.matcher.fresh()
    note = _parse(text, rules.sections.fresh())
    return EvidenceIndex(note, matcher, matcher.scan(note.flowed))


def _parts(note: Note) -> tuple[object, ...]:
    return (
        note.flowed,
        note.sections,
        note.sentences,
        note.headed,
        note.placeholders,
        note.codes,
        note.coding_lines,
    )


def _at(text: str, where: float, to_line_start: bool) -> int:
    at = int(where * len(text))
    return text.rfind("\n", 0, at) + 1 if to_line_start else at


edits = st.lists(
    st.tuples(st.floats(0, 1), st.booleans(), st.integers(0, 60), st.sampled_from(FRAGMENTS)),
    min_size=1,
    max_size=5,
)


# The long note as written, with Windows line ends, and in capitals (more lines are headings).
variants = st.sampled_from(["plain", "crlf", "upper"])


def _variant(text: str, variant: str) -> str:
    if variant == "crlf":
        return text.replace("\n", "\r\n")
    return text.upper() if variant == "upper" else text


@settings(max_examples=60, deadline=None)
@example(edits=[(0.0, True, 0, "a")], variant="plain")
@example(edits=[(0.5, True, 0, "PROCEDURE:\n"), (0.5, True, 12, "")], variant="plain")
@example(edits=[(1.0, False, 0, "CPT: 76942-26\n")], variant="crlf")
@example(edits=[(0.3, False, 1, "\n")], variant="crlf")  # a line end between "\r" and "\n"
@given(edits=edits, variant=variants)
def test_a_long_note_reparsed_after_edits_equals_a_fresh_parse(
    edits: list[tuple[float, bool, int, str]], variant: str
) -> None:
    engine = Engine(_kb())
    vocabulary = CompiledRules.of(_kb()).sections.fresh()
    text = _variant(_long_note(), variant)
    _steps(engine, text)
    for where, to_line_start, removed, inserted in edits:
        at = _at(text, where, to_line_start)
        text = text[:at] + inserted + text[at + removed :]
        note = _steps(engine, text)._note
        assert note.lineage is not None  # parsed as an edit, not from scratch
        assert _parts(note) == _parts(_parse(text, vocabulary))


# Typing at the very top, as the benchmark does; a heading typed into the last section.
@settings(max_examples=40, deadline=None)
@example(edits=[(0.0, True, 0, "a")], asked_before=1.0, variant="plain")
@example(edits=[(0.999, False, 0, "\nIMPRESSION: ")], asked_before=0.5, variant="crlf")
@given(edits=edits, asked_before=st.floats(0, 1), variant=variants)
def test_evidence_reused_across_edits_equals_a_fresh_search(
    edits: list[tuple[float, bool, int, str]], asked_before: float, variant: str
) -> None:
    kb = _kb()
    engine = Engine(kb)  # keeps the earlier versions, as an editor's server does
    concepts = sorted(kb.concepts)
    text = _variant(_long_note(), variant)
    earlier = _steps(engine, text)
    for concept in concepts[: int(asked_before * len(concepts))]:
        earlier.first_of(concept)  # the earlier version was asked some of its questions
    for where, to_line_start, removed, inserted in edits:
        at = _at(text, where, to_line_start)
        text = text[:at] + inserted + text[at + removed :]
        index = _steps(engine, text)
        fresh = _fresh(text, kb)
        for concept in concepts:
            assert index.first_of(concept) == fresh.first_of(concept), concept


@settings(max_examples=15, deadline=None)
@given(edits=edits)
def test_reports_after_edits_equal_those_of_a_fresh_analysis(
    edits: list[tuple[float, bool, int, str]],
) -> None:
    kb, settings_ = _kb(), Settings()
    engine = Engine(kb)
    text = _long_note()
    _steps(engine, text)
    for where, to_line_start, removed, inserted in edits:
        at = _at(text, where, to_line_start)
        text = text[:at] + inserted + text[at + removed :]
        index = _steps(engine, text)
        note = index._note
        reused = decide(
            note,
            index,
            find_sides(note, engine.matcher),
            kb,
            settings_,
        )
        fresh_note = parse_note(text, CompiledRules.of(kb).sections.fresh())
        fresh_sides = find_sides(fresh_note, engine.matcher)
        fresh = decide(fresh_note, _fresh(text, kb), fresh_sides, kb, settings_)
        assert reused == fresh


# Each version analysed whole, as the language server does: recognising procedures asks every
# stating sentence what it names, and the next version takes those answers, moved, where the
# edit left the sentence alone.
@settings(max_examples=12, deadline=None)
@example(edits=[(0.0, True, 0, "a"), (0.0, True, 1, "")])
@example(edits=[(0.5, True, 0, "PROCEDURE: CT-guided core biopsy of the liver.\n")])
@given(edits=edits)
def test_analyses_after_edits_equal_those_of_a_fresh_analysis(
    edits: list[tuple[float, bool, int, str]],
) -> None:
    kb = _kb()
    engine = Engine(kb)
    text = _long_note()
    analyze(text, kb, engine=engine)
    for where, to_line_start, removed, inserted in edits:
        at = _at(text, where, to_line_start)
        text = text[:at] + inserted + text[at + removed :]
        assert analyze(text, kb, engine=engine) == analyze(text, kb)


def test_an_edited_version_takes_the_earlier_mentions_moved() -> None:
    """What recognition asked of the earlier version is answered for the sentences the edit
    left alone without searching them again, at their new offsets, as a fresh search gives."""
    kb = _kb()
    engine = Engine(kb)
    text = _long_note()
    analyze(text, kb, engine=engine)
    edited = "x" + text
    analyze(edited, kb, engine=engine)
    index = engine.long_notes.earlier(edited + "y")
    assert index is not None
    evidence, fresh = index.evidence, _fresh(edited, kb)
    actions = engine.recognition.actions
    asked = evidence._mentions[id(engine.matcher.group(actions))]
    edit = evidence._edit
    assert edit is not None
    carried = [p for p in asked if edit.earlier_position(p) is not None]
    assert len(carried) > 100
    found = [evidence.mentions_in(p, actions) for p in carried]
    assert any(found)  # some sentences name actions, at offsets moved by the edit
    assert found == [fresh.mentions_in(p, actions) for p in carried]
    assert [evidence.reading_key(p, actions) for p in carried] == [
        fresh.reading_key(p, actions) for p in carried
    ]


def test_an_edit_is_searched_only_where_it_changed() -> None:
    """The reuse is real: after a one-character edit at the top, the new index lines up
    with the old one and leaves most sentences out of its searches."""
    kb = _kb()
    engine = Engine(kb)  # keeps the earlier versions, as an editor's server does
    text = _long_note()
    earlier = _steps(engine, text)
    for concept in kb.concepts:
        earlier.first_of(concept)
    edited = text[:1] + "x" + text[1:]
    index = _steps(engine, edited)
    edit = index._edit
    assert edit is not None and edit.earlier is earlier._first and edit.shift == 1
    assert edit.after < len(index._note.headed) // 10  # the rest is the earlier's, moved
    assert len(index._note.headed) - edit.after == len(earlier._note.headed) - edit.earlier_after


def test_short_notes_reuse_nothing() -> None:
    kb = _kb()
    engine = Engine(kb)  # keeps the earlier versions, as an editor's server does
    text = "PROCEDURE: ultrasound-guided biopsy."
    assert _steps(engine, text)._edit is None
    assert engine.long_notes.earlier(text) is None and engine.long_notes.remembered() == 0


def test_a_copied_earlier_note_typed_into_a_long_note_and_taken_out_again() -> None:
    """Its heading changes the kind of every section after it: a long note with one is never
    read as an edit of another, and each version reads as it would from scratch."""
    kb = _kb()
    engine = Engine(kb)
    text = _long_note()
    at = _at(text, 0.5, True)
    versions = [text, text[:at] + "Previous note:\n" + text[at:], text]
    for version in versions:
        assert analyze(version, kb, engine=engine) == analyze(version, kb)
    note = parse_note(versions[1], CompiledRules.of(kb).sections.fresh())
    assert {s.kind for s in note.sections if s.span.start > at} == {"history"}
    # Edited before and after the copy, it is read as an edit, as a fresh parse reads it.
    copied = versions[1]
    for edited in (f"x{copied}", f"{copied}\nPlan: review.\n", copied):
        assert analyze(edited, kb, engine=engine) == analyze(edited, kb)
    assert engine.long_notes.earlier(copied + "y") is not None
