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
    matcher = CompiledMatcher(tuple(concepts), ContextMatcher(kb.triggers))
    kb.cache["matcher"] = matcher
    return matcher


def match_evidence(note: Note, kb: KnowledgeBase) -> EvidenceIndex:
    matcher = compiled(kb)
    sentences = _with_headings(note)
    starts = [s.span.start for s in sentences]
    hits_cache: dict[int, list[TriggerHit]] = {}
    index = EvidenceIndex()
    text = note.text
    for item in matcher.concepts:
        found: list[Evidence] = []
        for m in item.pattern.finditer(text):
            position = bisect.bisect_right(starts, m.start()) - 1
            if position < 0:
                continue
            sentence = sentences[position]
            start, end = m.start(), m.end()
            if end > sentence.span.end:  # crossed a sentence boundary: retry inside the sentence
                inner = item.pattern.search(text, start, sentence.span.end)
                if not inner:
                    continue
                start, end = inner.start(), inner.end()
            if start >= sentence.span.end or note.in_placeholder(start, end):
                continue
            if position not in hits_cache:
                hits_cache[position] = matcher.context.hits(
                    text, sentence.span.start, sentence.span.end
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


def find_sides(note: Note, kb: KnowledgeBase) -> list[SideMention]:
    """Sided mentions of paired anatomy ("left knee", "knee on the right"), in reading order."""
    pattern = kb.cache.get("sides")
    if not isinstance(pattern, regex.Pattern):
        concept = kb.concepts.get(SITE_CONCEPT)
        if concept is None:
            return []
        sites = "|".join(f"(?:{p})" for p in concept.patterns)
        pattern = regex.compile(
            rf"\b{_SIDE_WORD}[\s-]+(?:(?!left|right)[a-z]+[\s-]+){{0,3}}?(?P<site>{sites})"
            rf"|(?P<site2>{sites})\b[^.\n]{{0,20}}?\bon the (?P<side2>left|right)\b",
            regex.IGNORECASE,
        )
        kb.cache["sides"] = pattern
    sentences = note.sentences
    starts = [s.span.start for s in sentences]
    out = []
    for m in pattern.finditer(note.text):
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
