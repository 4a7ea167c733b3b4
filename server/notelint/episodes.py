"""Recognise the primary procedures a note documents, as families of codes. Pure.

A procedure episode is an action ("injected", "core biopsy", "drain left in place") and a
target ("subacromial bursa", "liver", "lymph node") in the same sentence, or in neighbouring
sentences of one section when the action's own sentence names no target. Families
(``rules/families.toml``) say which actions and targets make them; actions carry the
assertion (a negated, planned or historical action makes no episode). Whether a guidance
code may be reported apart is a fact of the family, never of a phrase.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from notelint.kb import KnowledgeBase
from notelint.kb.models import Family
from notelint.match import Evidence, EvidenceIndex
from notelint.note import Note, Sentence

# How many sentences away, within one section, an action without a target looks for one.
NEIGHBOURS = 2


@dataclass(frozen=True, slots=True)
class Episode:
    family_id: str
    family: Family
    action: Evidence
    target: Evidence | None
    # Whether the note states it as a procedure performed (a title, a heading, the first
    # sentence of the note or of a procedure section, the impression) rather than only
    # mentioning it among the steps of the technique.
    stated: bool


# Section kinds whose every sentence states what was done.
_STATING = frozenset({"title", "impression"})
# Section kinds whose first sentence states what was done.
_OPENING = frozenset({"procedure", "body", "other"})


@dataclass(frozen=True, slots=True)
class _Vocabulary:
    """What recognising needs from the knowledge base alone: built once per knowledge base."""

    families: tuple[tuple[str, Family], ...]
    targets: tuple[str, ...]  # every concept some family names as a target


def _vocabulary(kb: KnowledgeBase) -> _Vocabulary:
    cached = kb.cache.get("episodes")
    if isinstance(cached, _Vocabulary):
        return cached
    targets = tuple(dict.fromkeys(t for f in kb.families.values() for t in f.targets))
    vocabulary = _Vocabulary(tuple(kb.families.items()), targets)
    kb.cache["episodes"] = vocabulary
    return vocabulary


def statements(note: Note) -> frozenset[int]:
    """The sentences (of ``note.headed``) that state which procedure was performed: headings
    and titles, the impression, the first sentence of the note and of each narrative or
    procedure section, and a procedure section's leading list of short items."""
    out: set[int] = set()
    leading: dict[int, bool] = {}  # section -> whether its sentences so far were statements
    text = note.text
    for number, sentence in enumerate(note.headed):
        kind = note.sections[sentence.section].kind
        if note.is_heading(sentence) or kind in _STATING or number == 0:
            out.add(number)
            continue
        if kind not in _OPENING:
            continue
        first = sentence.section not in leading
        short = kind == "procedure" and _words(text, sentence) <= _SHORT_ITEM
        stating = first or (leading[sentence.section] and short)
        leading[sentence.section] = stating
        if stating:
            out.add(number)
    return frozenset(out)


# A procedure section's leading items ("1. Left genicular nerve block") are at most this long.
_SHORT_ITEM = 12


def _words(text: str, sentence: Sentence) -> int:
    start, end = sentence.span
    return text.count(" ", start, end) + 1


def recognise(note: Note, ev: EvidenceIndex, kb: KnowledgeBase) -> list[Episode]:
    """The first episode of each family the note documents, in the knowledge base's order
    (a family's first stated episode, else its first mentioned one)."""
    vocabulary = _vocabulary(kb)
    finder = _Finder(note, ev, vocabulary, statements(note))
    episodes: list[Episode] = []
    fallbacks: list[tuple[str, Family]] = []
    for family_id, family in vocabulary.families:
        if family.fallback:
            fallbacks.append((family_id, family))
            continue
        episode = finder.episode(family_id, family)
        if episode:
            episodes.append(episode)
    for family_id, family in fallbacks:  # only as the one procedure the note states
        episode = None if episodes else finder.episode(family_id, family)
        if episode and episode.stated:
            episodes.append(episode)
    return episodes


class _Finder:
    def __init__(
        self, note: Note, ev: EvidenceIndex, vocabulary: _Vocabulary, stated: frozenset[int]
    ) -> None:
        self._stated = stated
        self._note = note
        self._ev = ev
        self._vocabulary = vocabulary
        # Sentence -> the targets of any family it names.
        self._targeted: dict[int, list[Evidence]] | None = None

    def episode(self, family_id: str, family: Family) -> Episode | None:
        ev = self._ev
        if ev.has_any(family.unless_in_note) or not all(map(ev.has, family.requires_in_note)):
            return None
        first: Episode | None = None
        for action in self._mentions(family.actions):
            target = self._target(family, action) if family.targets else None
            if family.targets and target is None:
                continue
            sentences = {action.sentence, target.sentence if target else action.sentence}
            if any(e.sentence in sentences for e in self._mentions(family.unless)):
                continue
            stated = not sentences.isdisjoint(self._stated)
            episode = Episode(family_id, family, action, target, stated)
            if stated:
                return episode
            first = first or episode
        return first

    def _mentions(self, concepts: Iterable[str]) -> list[Evidence]:
        found = [e for c in concepts for e in self._ev.all_of(c)]
        return sorted(found, key=lambda e: e.span.start)

    def _target(self, family: Family, action: Evidence) -> Evidence | None:
        """The family's target the action acts on: the target nearest the action in its
        sentence ("cryoablation of an iliac bone metastasis (renal cell)" treats bone), or,
        when its sentence names none, the nearest in the sentences around it."""
        if action.sentence in self._sentences_with_targets():
            named = self._targets_in(action.sentence)
            nearest = min(named, key=lambda t: abs(t.span.start - action.span.start))
            # Targets found in the same words ("breast" and "breast cyst") are one target.
            same = (
                t
                for t in named
                if t.span.start < nearest.span.end and nearest.span.start < t.span.end
            )
            return next((t for t in same if t.concept in family.targets), None)
        targets = self._mentions(family.targets)
        section = self._section(action.sentence)
        near = [
            t
            for t in targets
            if abs(t.sentence - action.sentence) <= NEIGHBOURS
            and self._section(t.sentence) == section
        ]
        return min(near, key=lambda t: abs(t.sentence - action.sentence), default=None)

    def _sentences_with_targets(self) -> dict[int, list[Evidence]]:
        if self._targeted is None:
            self._targeted = {}
            for concept in self._vocabulary.targets:
                for mention in self._ev.all_of(concept):
                    self._targeted.setdefault(mention.sentence, []).append(mention)
        return self._targeted

    def _targets_in(self, sentence: int) -> list[Evidence]:
        return self._sentences_with_targets()[sentence]

    def _section(self, sentence: int) -> int:
        return self._note.headed[sentence].section
