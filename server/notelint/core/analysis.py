"""The pure analysis core: text in, a Report out. Every front end calls :func:`analyze`."""

from __future__ import annotations

import gc
from collections.abc import Iterable

from notelint.checks.context import make_finding
from notelint.core.compiled_rules import CompiledRules
from notelint.core.decide import decide
from notelint.core.engine import Engine
from notelint.core.findings import Finding, InputIssue, Report, Span
from notelint.core.match import find_sides, match_evidence
from notelint.core.note import parse_note
from notelint.core.settings import Settings
from notelint.kb import KnowledgeBase


def analyze(
    text: str, kb: KnowledgeBase, settings: Settings | None = None, engine: Engine | None = None
) -> Report:
    """Analyse one note. Pure: text in, a Report out. ``engine`` holds what is kept from note
    to note (see ``engine.py``); without one, nothing is kept."""
    engine = engine or Engine(kb)
    earlier = engine.long_notes.earlier(text)  # a long note lately analysed, edited into this
    note = parse_note(text, engine.sections, earlier)
    # Where each pattern can match, in the text as its sentences read: for both steps.
    scan = engine.matcher.scan(note.flowed, engine.long_notes.flowed(earlier, note))
    evidence = match_evidence(note, kb, scan, engine.matcher, earlier)
    engine.long_notes.keep(note, scan, evidence)
    sides = find_sides(note, engine.matcher, scan)
    settings = settings or Settings()
    return decide(note, evidence, sides, kb, settings, engine.recognition, engine.rules.decide)


# Input rules whose note is not analysed: its text is too large or not text at all.
_SKIPPED = frozenset({"NL903", "NL904"})


def analyze_input(
    text: str | None,
    issues: Iterable[InputIssue],
    kb: KnowledgeBase,
    settings: Settings | None = None,
    engine: Engine | None = None,
) -> Report:
    """A note as a front end read it: the input findings (NL901–NL904) first, then the
    analysis of its text, unless there is no text or an input rule says to skip it.
    One function, so that files, batches and editor buffers get the same findings."""
    issues = list(issues)
    settings = settings or Settings()
    if text is None or any(rule in _SKIPPED for rule, _ in issues):
        report = Report(text=text or "")
    else:
        report = analyze(text, kb, settings, engine)
    report.findings[:0] = input_findings(issues, kb, settings)
    return report


def input_findings(
    issues: Iterable[InputIssue], kb: KnowledgeBase, settings: Settings
) -> list[Finding]:
    """The findings of input rules, at the start of the note, as the settings allow them."""
    made = (make_finding(kb, settings, rule, Span(0, 0), values=values) for rule, values in issues)
    return [finding for finding in made if finding]


def sentence_spans(text: str, kb: KnowledgeBase, engine: Engine | None = None) -> list[Span]:
    """Where each sentence of ``text`` is (headings read as sentences included), in order."""
    if engine is None:
        return [s.span for s in parse_note(text, CompiledRules.of(kb).sections.fresh()).headed]
    note = parse_note(text, engine.sections, engine.long_notes.earlier(text))
    return [sentence.span for sentence in note.headed]


def remembered(kb: KnowledgeBase) -> int:
    """How many pieces of note text what was compiled from ``kb`` holds: none, since every
    memo belongs to an engine (the knowledge-base cache checks it before writing)."""
    return CompiledRules.of(kb).remembered()


def collect_garbage_rarely() -> None:
    """For a process that analyses many notes: collect cycles far less often.

    Analysis makes tens of thousands of short-lived objects per long note and almost no
    reference cycles, so the collector's default (a young-generation pass every 700
    allocations, and with them full passes over the memos) costs a quarter of the time
    of a long note and most of its worst-case latency. Front ends call this; the core
    itself changes nothing process-wide.
    """
    gc.set_threshold(50_000, 50, 100)


def collect_young_garbage() -> None:
    """For a server, when a result has just been sent and nobody waits: collect the youngest
    generation now, so that the collector seldom has to run in the middle of the next
    analysis (where its pause, a few milliseconds after a long note, adds to that keystroke's
    latency). Each call costs about as much as the pause it saves."""
    gc.collect(0)
