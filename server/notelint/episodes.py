"""Recognise the primary procedures a note documents, as families of codes. Pure.

A procedure episode is an action ("injected", "core biopsy", "drain left in place") and a
target ("subacromial bursa", "liver", "lymph node") in the same sentence, or in neighbouring
sentences of one section when the action's own sentence names no target. Families
(``rules/families.toml``) say which actions and targets make them; actions carry the
assertion (a negated, planned or historical action makes no episode). Whether a guidance
code may be reported apart is a fact of the family, never of a phrase.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable
from dataclasses import dataclass

from notelint.kb import KnowledgeBase
from notelint.kb.models import Family
from notelint.match import Evidence, EvidenceIndex
from notelint.note import Note, Sentence

_START = operator.attrgetter("span.start")

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
        if kind in _STATING or number == 0:
            out.add(number)
            continue
        if kind not in _OPENING:
            continue  # "TECHNIQUE:", "FINDINGS:": labels, not names of the procedure
        if note.is_heading(sentence):
            out.add(number)  # a title, or "PROCEDURE: Right knee injection" on one line
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


def recognise(
    note: Note, ev: EvidenceIndex, kb: KnowledgeBase, modalities: Iterable[str]
) -> list[Episode]:
    """The episodes that decide how the guidance the note documents (``modalities``) is
    coded: of each family that says how one of them is coded, its first stated episode, else
    its first mentioned one; and any operation.

    Stated procedures are looked for first, in the few sentences that state them. Only where
    they leave a documented modality undecided is the rest of the note searched, and then, once
    something is stated, only for families that include that modality's guidance (a procedure
    merely mentioned among the steps may show guidance included, never reported apart).
    """
    vocabulary = _vocabulary(kb)
    documented = frozenset(modalities)
    finder = _Finder(note, ev, vocabulary, statements(note))
    relevant = [
        (family_id, family)
        for family_id, family in vocabulary.families
        if family.surgical or not documented.isdisjoint(family.guidance)
    ]
    episodes: list[Episode] = []
    for family_id, family in relevant:
        if not family.fallback:
            episode = finder.episode(family_id, family, stated_only=not family.surgical)
            episodes.extend([episode] if episode else [])
    for family_id, family in relevant:  # only as the one procedure the note states
        episode = (
            None if episodes or not family.fallback else finder.episode(family_id, family, True)
        )
        if episode and episode.stated:
            episodes.append(episode)
    found = {e.family_id for e in episodes}
    stated = any(e.stated and not e.family.surgical for e in episodes)
    decided = {m for e in episodes if not e.family.surgical for m in e.family.guidance}
    undecided = documented - decided
    for family_id, family in relevant:
        if family_id in found or family.fallback or family.surgical:
            continue
        if stated and not any(family.guidance.get(m) == "included" for m in undecided):
            continue
        episode = finder.episode(family_id, family, stated_only=False)
        if episode:
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
        self._targeted: dict[int, list[Evidence]] = {}  # sentence -> the targets it names
        self._by_sentence: dict[int, list[str]] | None = None
        self._anywhere: list[str] = []  # target concepts the scan cannot place
        self._around: dict[str, list[Evidence]] = {}  # concept -> its stated mentions
        self._found: dict[tuple[str, ...], list[Evidence]] = {}

    def episode(self, family_id: str, family: Family, stated_only: bool) -> Episode | None:
        """The family's first stated episode, else (unless ``stated_only``) its first."""
        if family.targets and not any(map(self._ev.may_occur, family.targets)):
            return None  # none of its targets is named anywhere
        actions = self._stated_actions(family) if stated_only else self._actions(family)
        if not actions:
            return None
        ev = self._ev
        if ev.has_any(family.unless_in_note) or not all(map(ev.has, family.requires_in_note)):
            return None
        first: Episode | None = None
        for action in actions:
            if family.fallback and self._names_a_target(action.sentence):
                continue  # the organ is named (or left blank): that decides, not this
            target = self._target(family, action) if family.targets else None
            if family.targets and target is None:
                continue
            sentences = {action.sentence, target.sentence if target else action.sentence}
            if any(self._ev.in_sentence(c, n) for c in family.unless for n in sentences):
                continue
            stated = not sentences.isdisjoint(self._stated)
            episode = Episode(family_id, family, action, target, stated)
            if stated:
                return episode
            first = first or episode
        return first

    def _stated_actions(self, family: Family) -> list[Evidence]:
        """The mentions of the family's actions in the stating sentences."""
        found = [e for c in family.actions for e in self._stated_mentions(c)]
        return sorted(found, key=_START)

    def _stated_mentions(self, concept: str) -> list[Evidence]:
        known = self._around.get(concept)
        if known is None:
            possible = self._ev.possible_sentences(concept)
            places = self._stated if possible is None else self._stated & possible
            in_sentence = self._ev.in_sentence
            known = [e for p in sorted(places) if (e := in_sentence(concept, p))]
            self._around[concept] = known
        return known

    def _actions(self, family: Family) -> list[Evidence]:
        """The mentions of the family's actions that may pair with one of its targets, in
        reading order. With targets, only the sentences that name one, and their neighbours,
        are searched: most notes name an action ("injected") far more often than any one
        family's target."""
        if not family.targets:
            return self._mentions(family.actions)
        if not any(map(self._ev.has, family.targets)):  # cheap: stops at the first mention
            return []
        last = len(self._note.headed) - 1
        near = sorted(
            {
                p
                for target in self._mentions(family.targets)
                for p in range(
                    max(0, target.sentence - NEIGHBOURS),
                    min(last, target.sentence + NEIGHBOURS) + 1,
                )
            }
        )
        in_sentence = self._ev.in_sentence
        found = []
        for position in near:
            here = [e for c in family.actions if (e := in_sentence(c, position))]
            found.extend(sorted(here, key=_START))
        return found

    def _mentions(self, concepts: list[str]) -> list[Evidence]:
        """Every mention of any of ``concepts`` that counts, in reading order."""
        key = tuple(concepts)
        found = self._found.get(key)
        if found is None:
            mentions = [e for c in concepts for e in self._ev.all_of(c)]
            found = self._found[key] = sorted(mentions, key=_START)
        return found

    def _target(self, family: Family, action: Evidence) -> Evidence | None:
        """The family's target the action acts on: the target nearest the action in its
        sentence ("cryoablation of an iliac bone metastasis (renal cell)" treats bone), or,
        when its sentence names none, the nearest in the sentences around it."""
        named = self._targets_in(action.sentence)
        if named:
            nearest = min(named, key=lambda t: abs(t.span.start - action.span.start))
            # Targets found in the same words ("breast" and "breast cyst") are one target.
            same = (
                t
                for t in named
                if t.span.start < nearest.span.end and nearest.span.start < t.span.end
            )
            return next((t for t in same if t.concept in family.targets), None)
        section = self._section(action.sentence)
        for distance in range(1, NEIGHBOURS + 1):
            for position in (action.sentence - distance, action.sentence + distance):
                if 0 <= position < len(self._note.headed) and self._section(position) == section:
                    found = [t for t in self._targets_in(position) if t.concept in family.targets]
                    if found:
                        return found[0]
        return None

    def _names_a_target(self, sentence: int) -> bool:
        """Whether the sentence names a target, or has a blank where one would go."""
        start, end = self._note.headed[sentence].span
        return bool(self._targets_in(sentence)) or self._note.in_placeholder(start, end)

    def _targets_in(self, sentence: int) -> list[Evidence]:
        """The targets of any family that sentence ``sentence`` names."""
        found = self._targeted.get(sentence)
        if found is None:
            in_sentence = self._ev.in_sentence
            possible = self._possible_targets().get(sentence, ())
            found = [e for c in (*self._anywhere, *possible) if (e := in_sentence(c, sentence))]
            self._targeted[sentence] = found
        return found

    def _possible_targets(self) -> dict[int, list[str]]:
        """Sentence -> the target concepts whose patterns may match there (from the scan),
        so that a sentence is searched only for targets it may name."""
        if self._by_sentence is None:
            self._by_sentence = {}
            for concept in self._vocabulary.targets:
                sentences = self._ev.possible_sentences(concept)
                if sentences is None:
                    self._anywhere.append(concept)
                    continue
                for sentence in sentences:
                    self._by_sentence.setdefault(sentence, []).append(concept)
        return self._by_sentence

    def _section(self, sentence: int) -> int:
        return self._note.headed[sentence].section
