"""Recognise the primary procedures a note documents, as families of codes. Pure.

A procedure episode is an action ("injected", "core biopsy", "drain left in place") and a
target ("subacromial bursa", "liver", "lymph node") in the same sentence, or in neighbouring
sentences of one section when the action's own sentence names no target. Families
(``rules/families.toml``) say which actions and targets make them; actions carry the
assertion (a negated, planned or historical action makes no episode). Whether a guidance
code may be reported apart is a fact of the family, never of a phrase.
"""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import regex

from notelint.core.match import Evidence, EvidenceIndex, ReadingKey
from notelint.core.memo import Memo, sentence_size
from notelint.core.note import Note, Sentence
from notelint.kb.models import Family

if TYPE_CHECKING:
    from notelint.kb import KnowledgeBase

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
class Recognition:
    """What recognising needs from the knowledge base alone: built once per knowledge base."""

    families: tuple[tuple[str, Family], ...]
    # Every concept some family names as a target, as an action, as a word that rules it
    # out: their mentions are found sentence by sentence, each kind in one pass, and only
    # where needed (targets and exclusions where an action is).
    targets: tuple[str, ...]
    actions: tuple[str, ...]
    unless: tuple[str, ...]
    concepts: tuple[str, ...]  # all three
    # Action -> the numbers (in ``families``) of the families other than fallbacks that name
    # it: a stating sentence is read only for the families whose actions it names.
    by_action: dict[str, tuple[int, ...]]
    # What each stating sentence says alone, by what decides it (``EvidenceIndex.reading_key``
    # over all three kinds): templates make notes state their procedures in the same words.
    readings: Memo[ReadingKey, _Reading] = field(
        default_factory=lambda: Memo(size=lambda key: sentence_size(key[1][0]))
    )

    # Documented modalities -> the families that matter (a few combinations ever occur).
    _relevant: dict[frozenset[str], _Relevant] = field(default_factory=dict)

    def relevant(self, documented: frozenset[str]) -> _Relevant:
        found = self._relevant.get(documented)
        if found is None:
            found = self._relevant[documented] = _relevant(self.families, documented)
        return found

    def fresh(self) -> Recognition:
        """This vocabulary with nothing remembered of note text (its families and what was
        worked out from them alone are shared): for each owner of memos (``engine.Engine``)."""
        return dataclasses.replace(self, readings=Memo(size=lambda key: sentence_size(key[1][0])))

    def forget(self) -> None:
        self.readings.clear()

    def remembered(self) -> int:
        return self.readings.kept()


@dataclass(frozen=True, slots=True)
class _Reading:
    """What one stating sentence alone says of each family whose action it names."""

    # Family -> the episode the sentence makes: its action's and its target's concepts (no
    # target for a family without targets).
    made: dict[str, tuple[str, str | None]]
    # Family -> its actions in the sentence, which names no target: they look for theirs in
    # the sentences around.
    around: dict[str, tuple[str, ...]]


_NOTHING = _Reading({}, {})


def build_recognition(kb: KnowledgeBase) -> Recognition:
    """What recognising procedures works out from the knowledge base alone, with an empty memo
    (``compiled_rules.CompiledRules.recognition`` keeps one per knowledge base; each
    ``engine.Engine`` takes a :meth:`~Recognition.fresh` one)."""
    families = kb.families.values()
    targets = tuple(dict.fromkeys(t for f in families for t in f.targets))
    actions = tuple(dict.fromkeys(a for f in families for a in f.actions))
    unless = tuple(dict.fromkeys(u for f in families for u in f.unless))
    families_ = tuple(kb.families.items())
    by_action: dict[str, list[int]] = {}
    for number, (_, family) in enumerate(families_):
        for action in dict.fromkeys(family.actions) if not family.fallback else ():
            by_action.setdefault(action, []).append(number)
    return Recognition(
        families_,
        targets,
        actions,
        unless,
        (*targets, *actions, *unless),
        {action: tuple(numbers) for action, numbers in by_action.items()},
    )


def statements(note: Note) -> frozenset[int]:
    """The sentences (of ``note.headed``) that state which procedure was performed: headings
    and titles, the impression, the first sentence of the note and of each narrative or
    procedure section, and the leading list of short items of a procedure section, or numbered
    ones of the note's opening section."""
    out: set[int] = set()
    leading: dict[int, bool] = {}  # section -> whether its sentences so far were statements
    text, sections, is_heading = note.text, note.sections, note.is_heading
    opening = note.headed[0].section if note.headed else -1  # its numbered list names procedures
    for number, sentence in enumerate(note.headed):
        kind = sections[sentence.section].kind
        if kind in _STATING or number == 0:
            out.add(number)
            continue
        if kind not in _OPENING:
            continue  # "TECHNIQUE:", "FINDINGS:": labels, not names of the procedure
        if is_heading(sentence):
            out.add(number)  # a title, or "PROCEDURE: Right knee injection" on one line
            continue
        first = sentence.section not in leading
        numbered = (
            sentence.section == opening and _NUMBERED.match(text, sentence.span.start) is not None
        )
        limit = _NUMBERED_ITEM if numbered else _SHORT_ITEM if kind == "procedure" else 0
        short = _words(text, sentence) <= limit
        stating = first or (leading[sentence.section] and short)
        leading[sentence.section] = stating
        if stating:
            out.add(number)
    return frozenset(out)


# A procedure section's leading items ("1. Left genicular nerve block") are at most this long.
_SHORT_ITEM = 12
# A numbered item of the note's opening section ("2) US guided core biopsy R axillary node
# (level I) -> 38505 + 76942") lists a procedure, as a procedure section's items do, and may
# be longer.
_NUMBERED_ITEM = 20
_NUMBERED = regex.compile(r"[ \t]*\(?\d{1,2}[.)][ \t]")


def _words(text: str, sentence: Sentence) -> int:
    start, end = sentence.span
    return text.count(" ", start, end) + 1


def recognise(
    note: Note,
    ev: EvidenceIndex,
    kb: KnowledgeBase,
    modalities: Iterable[str],
    vocabulary: Recognition | None = None,
) -> list[Episode]:
    """The episodes that decide how the guidance the note documents (``modalities``) is
    coded: of each family that says how one of them is coded, its first stated episode, else
    its first mentioned one; and any operation.

    Stated procedures are looked for first, in the few sentences that state them. Only where
    they leave a documented modality undecided is the rest of the note searched, and then, once
    something is stated, only for families that include that modality's guidance (a procedure
    merely mentioned among the steps may show guidance included, never reported apart).
    """
    vocabulary = vocabulary or build_recognition(kb)
    documented = frozenset(modalities)
    finder = _Finder(note, ev, vocabulary, statements(note))
    relevant = vocabulary.relevant(documented)
    episodes: list[Episode] = []
    states = finder.states
    for family_id, family in relevant.ordinary:
        if family.surgical or states(family_id):
            episode = finder.episode(family_id, family, stated_only=not family.surgical)
            episodes.extend([episode] if episode else [])
    for family_id, family in relevant.fallbacks if not episodes else ():
        episode = finder.episode(family_id, family, True)  # only as the one procedure stated
        if episode and episode.stated:
            episodes.append(episode)
            break
    found = {e.family_id for e in episodes}
    stated = any(e.stated and not e.family.surgical for e in episodes)
    decided = {m for e in episodes if not e.family.surgical for m in e.family.guidance}
    undecided = documented - decided
    for family_id, family, included in relevant.searched:
        if family_id in found or (stated and undecided.isdisjoint(included)):
            continue
        episode = finder.episode(family_id, family, stated_only=False)
        if episode:
            episodes.append(episode)
    return episodes


@dataclass(frozen=True, slots=True)
class _Relevant:
    """The families that may say how some documented guidance is coded, and operations, in
    the knowledge base's order, as :func:`recognise` goes through them."""

    ordinary: tuple[tuple[str, Family], ...]  # all but fallbacks
    fallbacks: tuple[tuple[str, Family], ...]
    # Neither fallbacks nor operations, each with the modalities whose guidance it includes.
    searched: tuple[tuple[str, Family, frozenset[str]], ...]


def _relevant(families: tuple[tuple[str, Family], ...], documented: frozenset[str]) -> _Relevant:
    relevant = [
        (family_id, family)
        for family_id, family in families
        if family.surgical or not documented.isdisjoint(family.guidance)
    ]
    return _Relevant(
        tuple((i, f) for i, f in relevant if not f.fallback),
        tuple((i, f) for i, f in relevant if f.fallback),
        tuple(
            (i, f, frozenset(m for m, how in f.guidance.items() if how == "included"))
            for i, f in relevant
            if not f.fallback and not f.surgical
        ),
    )


class _Finder:
    def __init__(
        self, note: Note, ev: EvidenceIndex, vocabulary: Recognition, stated: frozenset[int]
    ) -> None:
        self._note = note
        self._ev = ev
        self._vocabulary = vocabulary
        self._stated = stated
        self._found: dict[tuple[str, ...], list[Evidence]] = {}
        self._named: dict[int, dict[str, Evidence]] = {}  # sentence -> what _at gives
        self._targeted: dict[int, list[Evidence]] = {}  # sentence -> the targets it names
        self._near: dict[int, list[Evidence]] = {}  # sentence -> the targets around it
        self._nearest: dict[int, list[Evidence]] = {}  # action's start -> its targets
        self._readings = [(p, self._reading(p)) for p in sorted(stated)]
        # Family -> the stating sentences that name its actions, in reading order.
        self._stating: dict[str, list[tuple[int, _Reading]]] = {}
        for position, reading in self._readings:
            for family_id in (*reading.made, *reading.around):
                self._stating.setdefault(family_id, []).append((position, reading))

    def episode(self, family_id: str, family: Family, stated_only: bool) -> Episode | None:
        """The family's first stated episode, else (unless ``stated_only``) its first."""
        if stated_only and not family.fallback:
            return self._stated_episode(family_id, family)
        actions = self._stated_actions(family) if stated_only else self._actions(family)
        if not actions:
            return None
        ev = self._ev
        if ev.has_any(family.unless_in_note) or not all(map(ev.has, family.requires_in_note)):
            return None
        if family.fallback and self._left_blank(family):
            return None  # a template that leaves blanks where it names the procedure: unknown
        first: Episode | None = None
        stated = self._stated
        for action in actions:
            if family.fallback and self._names_a_target(action.sentence):
                continue  # the organ is named (or left blank): that decides, not this
            target = self._target(family, action) if family.targets else None
            if family.targets and target is None:
                continue
            sentences = {action.sentence, target.sentence if target else action.sentence}
            if self._ruled_out(family, sentences, target):
                continue
            is_stated = not sentences.isdisjoint(stated)
            episode = Episode(family_id, family, action, target, is_stated)
            if is_stated:
                return episode
            first = first or episode
        return first

    def states(self, family_id: str) -> bool:
        """Whether a stating sentence names one of the family's actions."""
        return family_id in self._stating

    def _stated_episode(self, family_id: str, family: Family) -> Episode | None:
        """The family's first episode whose action a stating sentence names: one whose
        sentence names its target too, else one whose target is in the sentences around."""
        if family_id not in self._stating:
            return None
        ev = self._ev
        if ev.has_any(family.unless_in_note) or not all(map(ev.has, family.requires_in_note)):
            return None
        stating = self._stating[family_id]
        for position, reading in stating:  # a sentence that names action and target together
            made = reading.made.get(family_id)
            if made is not None:
                action, target = made
                named = (t for t in self._targets_in(position) if t.concept == target)
                found = next(named) if target else None
                return Episode(family_id, family, self._at(position)[action], found, True)
        for position, reading in stating:  # else an action whose target is in the next sentences
            for action in reading.around.get(family_id, ()):
                found = next(
                    (t for t in self._around(position) if t.concept in family.targets), None
                )
                if found and not self._ruled_out(family, {position, found.sentence}, found):
                    return Episode(family_id, family, self._at(position)[action], found, True)
        return None

    def _stated_actions(self, family: Family) -> list[Evidence]:
        """The mentions of the family's actions in the stating sentences, in reading order."""
        found = []
        for position, _ in self._readings:
            named = self._at(position)
            found.extend(sorted((named[c] for c in family.actions if c in named), key=_START))
        return found

    def _reading(self, sentence: int) -> _Reading:
        """What the stating sentence alone says (see ``_Reading``), remembered by what
        decides it."""
        if not self._at(sentence):
            return _NOTHING  # no action that counts: nothing to remember either
        vocabulary = self._vocabulary
        key = self._ev.reading_key(sentence, vocabulary.concepts)
        known = vocabulary.readings[key]
        if known is None:
            known = vocabulary.readings.put(key, self._read(sentence))
        return known

    def _read(self, sentence: int) -> _Reading:
        actions = self._at(sentence)
        if not actions:
            return _NOTHING
        named = self._targets_in(sentence)
        made: dict[str, tuple[str, str | None]] = {}
        around: dict[str, tuple[str, ...]] = {}
        vocabulary = self._vocabulary
        by_action, families = vocabulary.by_action, vocabulary.families
        for number in sorted({n for action in actions for n in by_action.get(action, ())}):
            family_id, family = families[number]
            mine = sorted((actions[c] for c in family.actions if c in actions), key=_START)
            if family.targets and not named:
                around[family_id] = tuple(a.concept for a in mine)
            else:
                for action in mine:
                    target = self._target(family, action) if family.targets else None
                    if (target or not family.targets) and not self._ruled_out(
                        family, {sentence}, target
                    ):
                        made[family_id] = (action.concept, target.concept if target else None)
                        break
        return _Reading(made, around) if made or around else _NOTHING

    def _ruled_out(
        self, family: Family, sentences: set[int], target: Evidence | None = None
    ) -> bool:
        """Whether one of ``sentences`` names something that rules the family out, and says
        it of the episode's ``target``, not of another one."""
        if not family.unless:
            return False
        unless = self._vocabulary.unless
        for sentence in sentences:
            named = self._ev.mentions_in(sentence, unless)
            for concept in family.unless:
                mention = named.get(concept)
                if mention is not None and not self._said_of_another(mention, target):
                    return True
        return False

    def _said_of_another(self, mention: Evidence, target: Evidence | None) -> bool:
        """Whether ``mention`` is said of another target than ``target``: the first target
        named after it in their sentence is another ("core biopsy of the adrenal mass and FNA
        of a liver lesion"; "FNA and core biopsy of the nodule" says it of the nodule)."""
        if target is None or target.sentence != mention.sentence:
            return False
        after = [t for t in self._targets_in(mention.sentence) if t.span.start >= mention.span.end]
        if not after:
            return False
        following = min(after, key=_START)
        return following.concept != target.concept and following.span.start != target.span.start

    def _at(self, sentence: int) -> dict[str, Evidence]:
        """Action -> its first mention that counts in the sentence."""
        named = self._named.get(sentence)
        if named is None:
            named = self._named[sentence] = self._ev.mentions_in(sentence, self._vocabulary.actions)
        return named

    def _actions(self, family: Family) -> list[Evidence]:
        """The mentions of the family's actions, in reading order, in the sentences where
        they may make an episode: with targets, those that name one of the family's targets
        and their neighbours (most notes name an action far more often than any one family's
        target), else anywhere."""
        if not family.targets:
            return self._mentions(family.actions)
        if not any(map(self._ev.has, family.targets)):  # cheap: stops at the first mention
            return []
        last = len(self._note.headed) - 1
        places = sorted(
            {
                p
                for target in self._mentions(family.targets)
                for p in range(
                    max(0, target.sentence - NEIGHBOURS),
                    min(last, target.sentence + NEIGHBOURS) + 1,
                )
            }
        )
        found = []
        for position in places:
            named = self._at(position)
            if named:
                here = [named[c] for c in family.actions if c in named]
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
        same = self._acted_on(action)
        if same is None:
            same = self._around(action.sentence)
        return next((t for t in same if t.concept in family.targets), None)

    def _acted_on(self, action: Evidence) -> list[Evidence] | None:
        """The targets nearest ``action`` in its sentence (several when found in the same
        words: "breast" and "breast cyst" are one target), or None if it names none."""
        found = self._nearest.get(action.span.start)
        if found is None:
            named = self._targets_in(action.sentence)
            if not named:
                return None
            nearest = min(named, key=lambda t: abs(t.span.start - action.span.start))
            found = self._nearest[action.span.start] = [
                t
                for t in named
                if t.span.start < nearest.span.end and nearest.span.start < t.span.end
            ]
        return found

    def _around(self, sentence: int) -> list[Evidence]:
        """The targets named in the sentences of the same section around ``sentence``, the
        nearest first (the one before, then the one after)."""
        found = self._near.get(sentence)
        if found is None:
            section, last = self._section(sentence), len(self._note.headed) - 1
            found = self._near[sentence] = [
                t
                for distance in range(1, NEIGHBOURS + 1)
                for p in (sentence - distance, sentence + distance)
                if 0 <= p <= last and self._section(p) == section
                for t in self._targets_in(p)
            ]
        return found

    def _left_blank(self, family: Family) -> bool:
        """Whether a sentence that names one of the family's actions holds a blank: the note
        is a template whose procedure is not filled in, so no fallback may stand for it."""
        headed, in_placeholder = self._note.headed, self._note.in_placeholder
        return any(in_placeholder(*headed[a.sentence].span) for a in self._mentions(family.actions))

    def _names_a_target(self, sentence: int) -> bool:
        """Whether the sentence names a target, or has a blank where one would go."""
        start, end = self._note.headed[sentence].span
        return bool(self._targets_in(sentence)) or self._note.in_placeholder(start, end)

    def _targets_in(self, sentence: int) -> list[Evidence]:
        """The targets of any family that sentence ``sentence`` names."""
        found = self._targeted.get(sentence)
        if found is None:
            named = self._ev.mentions_in(sentence, self._vocabulary.targets)
            found = [named[c] for c in self._vocabulary.targets if c in named] if named else []
            self._targeted[sentence] = found
        return found

    def _section(self, sentence: int) -> int:
        return self._note.headed[sentence].section
