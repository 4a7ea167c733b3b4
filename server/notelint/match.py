"""Find evidence: each concept's mentions with their section and assertion context."""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field

import regex

from notelint.context import ContextMatcher, TriggerHit
from notelint.findings import Span
from notelint.kb import KnowledgeBase
from notelint.kb.models import Assertion, Concept
from notelint.note import NEGATIVE_VALUE, Note, Sentence
from notelint.prefix import PrefixIndex, Scan


@dataclass(frozen=True, slots=True)
class Evidence:
    concept: str
    span: Span
    sentence: int
    section_kind: str
    assertion: Assertion
    counts: bool  # affirmative evidence, in a section where the concept counts


@dataclass(slots=True)
class EvidenceIndex:
    mentions: dict[str, list[Evidence]] = field(default_factory=dict)

    def present(self, concept: str) -> list[Evidence]:
        return [e for e in self.mentions.get(concept, ()) if e.counts]

    def has(self, concept: str) -> bool:
        return any(e.counts for e in self.mentions.get(concept, ()))

    def has_any(self, concepts: Iterable[str]) -> bool:
        return any(self.has(c) for c in concepts)

    def first(self, concepts: Iterable[str]) -> Evidence | None:
        found = [e for c in concepts for e in self.present(c)]
        return min(found, key=lambda e: e.span.start) if found else None


@dataclass(frozen=True, slots=True)
class _CompiledConcept:
    id: str
    concept: Concept
    pattern: regex.Pattern[str]


@dataclass(frozen=True, slots=True)
class CompiledMatcher:
    concepts: tuple[_CompiledConcept, ...]
    context: ContextMatcher
    # One index, so one pass over a note serves all: the concepts' patterns in order, then
    # the context triggers' from number `triggers`, then the sided-anatomy pattern if any.
    index: PrefixIndex
    triggers: int
    sides: int | None

    def scan(self, text: str) -> Scan:
        return self.index.scan(text)


def compiled(kb: KnowledgeBase) -> CompiledMatcher:
    """Compile the knowledge base's patterns once per knowledge base."""
    cached = kb.cache.get("matcher")
    if isinstance(cached, CompiledMatcher):
        return cached
    concepts = []
    for concept_id, concept in kb.concepts.items():
        if concept.vocabulary:
            continue
        flags = 0 if concept.case_sensitive else regex.IGNORECASE
        joined = "|".join(f"(?:{p})" for p in concept.patterns)
        concepts.append(_CompiledConcept(concept_id, concept, regex.compile(joined, flags)))
    context = ContextMatcher(kb.triggers)
    patterns = [item.pattern for item in concepts] + context.patterns
    sides = _sides_pattern(kb)
    if sides:
        patterns.append(sides)
    matcher = CompiledMatcher(
        tuple(concepts),
        context,
        PrefixIndex(patterns),
        triggers=len(concepts),
        sides=len(patterns) - 1 if sides else None,
    )
    kb.cache["matcher"] = matcher
    return matcher


def match_evidence(note: Note, kb: KnowledgeBase, scan: Scan | None = None) -> EvidenceIndex:
    """Each concept's mentions; ``scan``, if given, is ``compiled(kb).scan(note.text)``."""
    matcher = compiled(kb)
    sentences = _with_headings(note)
    starts = [s.span.start for s in sentences]
    hits_cache: dict[int, list[TriggerHit]] = {}
    index = EvidenceIndex()
    text = note.text
    scan = matcher.scan(text) if scan is None else scan
    for number, item in enumerate(matcher.concepts):
        found: list[Evidence] = []
        for m in scan.finditer(number):
            position = bisect.bisect_right(starts, m.start()) - 1
            if position < 0:
                continue
            sentence = sentences[position]
            start, end = m.start(), m.end()
            if end > sentence.span.end:  # crossed a sentence boundary: retry inside the sentence
                inner = next(scan.finditer(number, start, sentence.span.end), None)
                if not inner:
                    continue
                start, end = inner.start(), inner.end()
            if start >= sentence.span.end or note.in_placeholder(start, end):
                continue
            if position not in hits_cache:
                hits_cache[position] = matcher.context.hits(
                    scan, matcher.triggers, sentence.span.start, sentence.span.end
                )
            found.append(
                _evidence(note, item, sentence, position, start, end, hits_cache[position], matcher)
            )
        if found:
            index.mentions[item.id] = found
    return index


def _with_headings(note: Note) -> list[Sentence]:
    """Sentences plus each heading label as a sentence of its own section (titles name procedures).

    A heading asserts only what its content does: an empty heading is a template that
    satisfies nothing, and a heading whose content is "none" is negated.
    """
    headings = []
    for number, section in enumerate(note.sections):
        if section.heading_span.end <= section.heading_span.start:
            continue
        content = note.text[section.content_span.start : section.content_span.end].strip()
        negative = bool(NEGATIVE_VALUE.match(content))
        # "Performed by: Jane Roe, PA-C" reads as one statement: the heading runs to its line's end.
        line_end = note.text.find("\n", section.heading_span.end)
        line_end = len(note.text) if line_end < 0 else line_end
        end = line_end if section.content_span.start < line_end else section.heading_span.end
        span = Span(section.heading_span.start, end)
        headings.append(Sentence(span, number, is_template=section.empty, negative_value=negative))
    return sorted([*note.sentences, *headings], key=lambda s: s.span.start)


def _evidence(
    note: Note,
    item: _CompiledConcept,
    sentence: Sentence,
    position: int,
    start: int,
    end: int,
    hits: list[TriggerHit],
    matcher: CompiledMatcher,
) -> Evidence:
    kind = note.sections[sentence.section].kind
    if sentence.is_template:
        assertion: Assertion = "hypothetical"
    elif sentence.negative_value:
        assertion = "negated"
    else:
        assertion = matcher.context.assertion(note.text, hits, start, end)
    concept = item.concept
    in_section = (
        not concept.sections or kind in concept.sections
    ) and kind not in concept.exclude_sections
    counts = in_section and assertion in concept.counts_when and not sentence.is_template
    return Evidence(item.id, Span(start, end), position, kind, assertion, counts)


@dataclass(frozen=True, slots=True)
class SideMention:
    side: str  # "left", "right" or "bilateral"
    site: str  # normalised paired anatomy, e.g. "knee"
    span: Span
    section: int


_SIDE_WORD = r"(?P<side>left|right|bilateral|lt\.?|rt\.?)"
_SIDE_NORMAL = {"lt": "left", "lt.": "left", "rt": "right", "rt.": "right"}
SITE_CONCEPT = "anatomy.paired_site"


def _sides_pattern(kb: KnowledgeBase) -> regex.Pattern[str] | None:
    concept = kb.concepts.get(SITE_CONCEPT)
    if concept is None:
        return None
    sites = "|".join(f"(?:{p})" for p in concept.patterns)
    return regex.compile(
        rf"\b{_SIDE_WORD}[\s-]+(?:(?!left|right)[a-z]+[\s-]+){{0,3}}?(?P<site>{sites})"
        rf"|(?P<site2>{sites})\b[^.\n]{{0,20}}?\bon the (?P<side2>left|right)\b",
        regex.IGNORECASE,
    )


def find_sides(note: Note, kb: KnowledgeBase, scan: Scan | None = None) -> list[SideMention]:
    """Sided mentions of paired anatomy ("left knee", "knee on the right"), in reading order."""
    matcher = compiled(kb)
    if matcher.sides is None:
        return []
    scan = matcher.scan(note.text) if scan is None else scan
    sentences = note.sentences
    starts = [s.span.start for s in sentences]
    out = []
    for m in scan.finditer(matcher.sides):
        if note.in_placeholder(m.start(), m.end()):
            continue
        side = (m.group("side") or m.group("side2")).lower()
        site = (m.group("site") or m.group("site2")).lower().rstrip("s")
        position = bisect.bisect_right(starts, m.start()) - 1
        section = sentences[position].section if position >= 0 else 0
        out.append(
            SideMention(_SIDE_NORMAL.get(side, side), site, Span(m.start(), m.end()), section)
        )
    return out
