"""Find evidence: each concept's mentions with their section and assertion context."""

from __future__ import annotations

import bisect
import copy
import dataclasses
import itertools
import operator
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple, TypeVar

import regex

from notelint.core.candidates import Candidates
from notelint.core.context import ContextMatcher, TriggerHit
from notelint.core.findings import Span
from notelint.core.memo import Memo, sentence_size
from notelint.core.note import Lineage, Note, Sentence
from notelint.core.prefix import PrefixIndex, reach_behind
from notelint.kb.models import Assertion, Concept

if TYPE_CHECKING:
    from notelint.core.edits import Earlier
    from notelint.kb import KnowledgeBase


@dataclass(frozen=True, slots=True)
class Evidence:
    concept: str
    span: Span
    sentence: int
    section_kind: str
    assertion: Assertion
    counts: bool  # affirmative evidence, in a section where the concept counts


class EvidenceIndex:
    """Evidence that counts, per concept, found when first asked for.

    Deciding only asks whether a concept is present and where it first is, so each concept's
    search stops at its first mention that counts, and only looks in sentences where it could
    count at all (its sections, no template fields). A long note that is an edit of one
    searched lately (see :meth:`follow`) is searched only where the two differ.
    """

    def __init__(self, note: Note, matcher: CompiledMatcher, scan: Candidates) -> None:
        self._note = note
        self._matcher = matcher
        self._scan = scan
        self._sentences = note.headed
        self._starts = note.starts()
        self._hits: dict[int, list[TriggerHit]] = {}
        self._keys: dict[int, SentenceKey] = {}
        self._first: dict[str, Evidence | None] = {}
        self._all: dict[str, tuple[Evidence, ...]] = {}
        self._possible: dict[int, frozenset[int] | None] = {}  # see possible_sentences
        self._first_keys: dict[int, FirstKey] = {}
        # group -> sentence -> mentions: see mentions_in; group -> its far sentences. (Groups
        # by identity: the matcher keeps each for as long as this index can ask for it.)
        self._far: dict[int, frozenset[int] | range] = {}
        self._mentions: dict[int, dict[int, dict[str, Evidence]]] = {}
        self._near_keys: dict[int, SentenceKey] = {}
        self._reading_keys: dict[int, dict[int, ReadingKey]] = {}  # group -> sentence -> key
        # Near or not -> sentence -> its matches in SentenceMemo (see _matches).
        self._known: tuple[dict[int, dict[int, Matches]], dict[int, dict[int, Matches]]] = ({}, {})
        self._edit: _Edit | None = None

    def follow(self, earlier: EvidenceIndex) -> None:
        """Reuse what was found in the earlier version this note was parsed as an edit of,
        if ``earlier`` is its evidence."""
        lineage = self._note.lineage
        if lineage is not None and earlier._note is lineage.earlier():
            self._edit = _edit_between(earlier, self, lineage)

    def has(self, concept: str) -> bool:
        first = self._first  # asked very often, mostly of concepts already searched
        if concept in first:
            return first[concept] is not None
        return self.first_of(concept) is not None

    def has_any(self, concepts: Iterable[str]) -> bool:
        first_of = self.first_of
        return any(first_of(concept) is not None for concept in concepts)

    def first(self, concepts: Iterable[str]) -> Evidence | None:
        found = [e for e in map(self.first_of, concepts) if e is not None]
        return min(found, key=lambda e: e.span.start) if found else None

    def first_of(self, concept: str) -> Evidence | None:
        """The first mention of ``concept`` that counts, or ``None``."""
        if concept not in self._first:
            number = self._matcher.numbers.get(concept)
            self._first[concept] = None if number is None else self._find(concept, number)
        return self._first[concept]

    def all_of(self, concept: str) -> tuple[Evidence, ...]:
        """Every mention of ``concept`` that counts, at most one per sentence, in reading
        order (procedure recognition pairs mentions sentence by sentence)."""
        found = self._all.get(concept)
        if found is None:
            number = self._matcher.numbers.get(concept)
            found = self._all[concept] = () if number is None else tuple(self._each(number))
        return found

    def each_of(self, concept: str) -> Iterator[Evidence]:
        """:meth:`all_of`, found as it is asked for: for a question the first few answer."""
        found = self._all.get(concept)
        if found is not None:
            return iter(found)
        number = self._matcher.numbers.get(concept)
        return iter(()) if number is None else self._each(number)

    def mentions_in(self, position: int, concepts: tuple[str, ...]) -> dict[str, Evidence]:
        """The first mention that counts in sentence ``position`` (of ``note.headed``) of
        each of ``concepts`` that has one there, by concept.

        Remembered across notes by what decides it (see ``_first_key``), as sentences recur:
        procedure recognition asks about the same few sentences of every note, and one seen
        before costs a lookup, however many concepts.
        """
        group = self._matcher.group(concepts)
        by_position = _of_group(self._mentions, group)
        known = by_position.get(position)
        if known is None:
            known = self._carried_mentions(id(group), position)
            if known is None:
                known = self._mentions_at(position, group)
            by_position[position] = known
        return known

    def _from_earlier(self, position: int) -> tuple[_Edit, int] | None:
        """The edit this note is of, and the earlier version's position of sentence
        ``position``, if the edit left that sentence and all its patterns see alone."""
        edit = self._edit
        earlier = None if edit is None else edit.earlier_position(position)
        return None if edit is None or earlier is None else (edit, earlier)

    def _carried_mentions(self, group: int, position: int) -> dict[str, Evidence] | None:
        """The earlier version's mentions in sentence ``position``, moved, if the edit left
        it alone and the earlier asked for them."""
        carried = self._from_earlier(position)
        if carried is None:
            return None
        edit, earlier = carried
        found = edit.mentions.get(group, {}).get(earlier)
        if not found or earlier == position:
            return found
        shift = edit.shift
        return {
            concept: Evidence(
                e.concept,
                Span(e.span.start + shift, e.span.end + shift),
                position,
                e.section_kind,
                e.assertion,
                e.counts,
            )
            for concept, e in found.items()
        }

    def reading_key(self, position: int, concepts: tuple[str, ...]) -> ReadingKey:
        """A key for all that ``concepts``' mentions in sentence ``position`` depend on:
        sentences with equal keys, in any notes, have equal :meth:`mentions_in`. (What is
        worked out from those mentions alone may be remembered under it.)"""
        group = self._matcher.group(concepts)
        keys = _of_group(self._reading_keys, group)
        key = keys.get(position)
        if key is None:
            carried = self._from_earlier(position)
            if carried is not None:
                key = carried[0].reading_keys.get(id(group), {}).get(carried[1])
            if key is None:
                key = self._reading_key(position, group)
            keys[position] = key
        return key

    def _reading_key(self, position: int, group: GroupMemo) -> ReadingKey:
        sentence = self._sentences[position]
        far_mentions: _Mentions = ()  # of patterns that see before the key's text
        if group.others and position in self._far_sentences(group):
            start, end = sentence.span
            far = self._scan.may_match_any(group.others, start, end)
            far_mentions = self._first_mentions(position, far)
        return (sentence.is_template, self._first_key(position), far_mentions)

    def _far_sentences(self, group: GroupMemo) -> frozenset[int] | range:
        """The sentences where one of the group's patterns that are not near may match."""
        found = self._far.get(id(group))
        if found is None:
            places: set[int] = set()
            for number in group.others:
                possible = self.possible_sentences(self._matcher.concepts[number].id)
                if possible is None:
                    self._far[id(group)] = found = range(len(self._sentences))
                    return found
                places |= possible
            found = self._far[id(group)] = frozenset(places)
        return found

    def _mentions_at(self, position: int, group: GroupMemo) -> dict[str, Evidence]:
        if self._sentences[position].is_template:
            return {}
        start, end = self._sentences[position].span
        possible = self._scan.may_match_any
        found = self._first_mentions(position, possible(group.others, start, end))
        if group.held:
            key = self._first_key(position)
            remembered = group.memo[key]
            if remembered is None:
                held = possible(group.held, start, end)
                remembered = group.memo.put(key, self._first_mentions(position, held))
            found += remembered
        return self._evidence(position, found) if found else {}

    def _first_mentions(self, position: int, numbers: list[int]) -> _Mentions:
        """The first mention that counts in sentence ``position`` of each of ``numbers``,
        relative to the sentence: (number, start, end, assertion)."""
        base = self._sentences[position].span.start
        found = []
        for number in numbers:
            evidence = self._search_at(number, position)
            if evidence is not None:
                start, end = evidence.span
                found.append((number, start - base, end - base, evidence.assertion))
        return tuple(found)

    def _evidence(self, position: int, mentions: _Mentions) -> dict[str, Evidence]:
        sentence = self._sentences[position]
        base, kind = sentence.span.start, self._note.sections[sentence.section].kind
        concepts = self._matcher.concepts
        return {
            concepts[number].id: Evidence(
                concepts[number].id, Span(base + start, base + end), position, kind, assertion, True
            )
            for number, start, end, assertion in mentions
        }

    def _first_key(self, position: int) -> FirstKey:
        """What the first mentions of near patterns in a sentence depend on: its text and the
        few characters before it that such patterns and the context triggers see, its
        section's kind, whether it is a negative value, where a heading's line gives way to
        its value's sentence, and the blanks in it."""
        key = self._first_keys.get(position)
        if key is not None:
            return key
        carried = self._from_earlier(position)
        if carried is not None:
            key = carried[0].first_keys.get(carried[1])
            if key is not None:
                self._first_keys[position] = key
                return key
        sentence = self._sentences[position]
        start, end = sentence.span
        owned_until = self._starts[position + 1] if position + 1 < len(self._starts) else end
        placeholders = self._note.placeholders
        blanks: tuple[tuple[int, int], ...] = ()
        if placeholders and self._note.in_placeholder(start, end):
            first = bisect.bisect_right(placeholders, start, key=operator.attrgetter("end"))
            blanks = tuple(
                (p.start - start, p.end - start)
                for p in itertools.takewhile(lambda p: p.start < end, placeholders[first:])
            )
        key = self._first_keys[position] = (
            self._near_key(position),
            self._note.sections[sentence.section].kind,
            sentence.negative_value,
            min(owned_until, end) - start,
            blanks,
        )
        return key

    def possible_sentences(self, concept: str) -> frozenset[int] | None:
        """The sentences where ``concept``'s pattern may match (the scan says so at no search
        cost), or None when the scan cannot tell."""
        number = self._matcher.numbers.get(concept)
        if number is None:
            return frozenset()
        if number not in self._possible:
            starts = self._scan.candidates(number)
            sentence_starts = self._starts
            self._possible[number] = (
                None
                if starts is None or self._scan.cut_ends(number)
                else frozenset(bisect.bisect_right(sentence_starts, at) - 1 for at in starts)
            )
        return self._possible[number]

    def _each(self, number: int) -> Iterator[Evidence]:
        first = self.first_of(self._matcher.concepts[number].id)
        while first is not None:
            yield first
            first = self._search(number, first.sentence + 1)

    def _find(self, concept: str, number: int) -> Evidence | None:
        edit = self._edit
        if edit is None or concept not in edit.earlier:
            return self._search(number)
        # The earlier note's answer holds outside the sentences the edit may have changed.
        earlier = edit.earlier[concept]
        if earlier is not None and earlier.sentence < edit.before:
            return earlier
        found = self._search(number, edit.before, edit.after)
        if found or earlier is None:
            return found
        if earlier.sentence >= edit.earlier_after:
            start, end = earlier.span
            return Evidence(
                earlier.concept,
                Span(start + edit.shift, end + edit.shift),
                earlier.sentence + edit.after - edit.earlier_after,
                earlier.section_kind,
                earlier.assertion,
                earlier.counts,
            )
        return self._search(number, edit.after)

    def _search(self, number: int, lo: int = 0, hi: int | None = None) -> Evidence | None:
        """The first mention that counts in sentences ``lo`` up to ``hi``."""
        item = self._matcher.concepts[number]
        sentences, sections = self._sentences, self._note.sections
        negated_counts = "negated" in item.concept.counts_when
        for position in self._candidate_sentences(number, lo, len(sentences) if hi is None else hi):
            sentence = sentences[position]
            if sentence.is_template or (sentence.negative_value and not negated_counts):
                continue
            kind = sections[sentence.section].kind
            if not item.counts_in(kind):
                continue
            matches = self._matches(number, position)
            found = self._in_sentence(item, position, kind, matches) if matches else None
            if found:
                return found
        return None

    def _search_at(self, number: int, position: int) -> Evidence | None:
        """``_search`` of the one sentence ``position``, which the scan says may match."""
        item = self._matcher.concepts[number]
        sentence = self._sentences[position]
        if sentence.is_template or (
            sentence.negative_value and "negated" not in item.concept.counts_when
        ):
            return None
        kind = self._note.sections[sentence.section].kind
        if not item.counts_in(kind):
            return None
        matches = self._matches(number, position)
        return self._in_sentence(item, position, kind, matches) if matches else None

    def _candidate_sentences(self, number: int, lo: int, hi: int) -> Iterator[int]:
        """Sentences ``lo`` up to ``hi`` where the concept's pattern may match, in reading
        order (found as the search goes, since it usually stops early)."""
        starts = self._scan.candidates(number)
        if starts is None:
            yield from range(lo, hi)
            return
        sentence_starts = self._starts
        if lo > 0 or hi < len(sentence_starts):  # the starts that fall in those sentences
            if lo >= hi:
                return
            first = bisect.bisect_left(starts, sentence_starts[lo])
            last = len(starts)
            if hi < len(sentence_starts):
                last = bisect.bisect_left(starts, sentence_starts[hi])
            starts = starts[first:last]
        # A search that stops inside a word may match where the index has no start, but no
        # sentence ends inside a word (tests/test_prefix.py checks the parser keeps to that).
        ends = self._scan.cut_ends(number)
        if ends:  # a match may stop where a sentence ends: see Candidates.cut_ends
            extra = {i for i in range(lo, hi) if self._sentences[i].span.end in ends}
            positions = {bisect.bisect_right(sentence_starts, at) - 1 for at in starts}
            yield from sorted(p for p in positions | extra if p >= lo)
            return
        last = lo - 1
        for at in starts:
            position = bisect.bisect_right(sentence_starts, at) - 1
            if position > last:
                last = position
                yield position

    def _in_sentence(
        self, item: _CompiledConcept, position: int, kind: str, matches: tuple[tuple[int, int], ...]
    ) -> Evidence | None:
        sentence = self._sentences[position]
        base = sentence.span.start
        owned_until = (  # a heading's line may hold its value's sentence: that one owns it
            self._starts[position + 1] if position + 1 < len(self._starts) else len(self._note.text)
        )
        if item.veto is not None and item.veto.search(self._note.flowed, base, sentence.span.end):
            return None
        negation_is_meaning = "negated" in item.concept.counts_when
        for rel_start, rel_end in matches:
            start, end = base + rel_start, base + rel_end
            if start >= owned_until:
                break
            if self._note.in_placeholder(start, end):
                continue
            assertion = self._assertion(sentence, position, rel_start, rel_end)
            if assertion == "negated" and negation_is_meaning and not sentence.negative_value:
                # "not palpable" is the concept itself: a plan or an old state still is not
                assertion = self._assertion(sentence, position, rel_start, rel_end, own_words=True)
            if assertion in item.concept.counts_when:
                return Evidence(item.id, Span(start, end), position, kind, assertion, True)
        return None

    def _matches(self, number: int, position: int) -> tuple[tuple[int, int], ...]:
        """Pattern ``number``'s matches in a sentence, relative to its start; remembered by
        the sentence's text (and what patterns can see before it), as sentences recur."""
        span = self._sentences[position].span
        memo = self._matcher.memo
        if not memo.holds(number):
            return self._scan.spans(number, span.start, span.end)
        near = memo.holds_near(number)
        # The sentence's entry, looked up once per note rather than once per pattern.
        sentence_matches = self._known[near]
        known = sentence_matches.get(position)
        if known is None:
            key = self._near_key(position) if near else self._key(position)
            known = sentence_matches[position] = memo.matches(key, near)
        found = known.get(number)
        if found is None:
            found = known[number] = self._scan.spans(number, span.start, span.end)
        return found

    def _key(self, position: int) -> SentenceKey:
        key = self._keys.get(position)
        if key is None:
            span, text = self._sentences[position].span, self._note.flowed
            key = self._keys[position] = (
                text[max(0, span.start - REACH) : span.start],
                text[span.start : span.end],
            )
        return key

    def _near_key(self, position: int) -> SentenceKey:
        """As ``_key``, with only the few characters before the sentence that near patterns
        see (see ``SentenceMemo``): the key recurs wherever the sentence does."""
        key = self._near_keys.get(position)
        if key is None:
            span, text = self._sentences[position].span, self._note.flowed
            key = self._near_keys[position] = (
                text[max(0, span.start - self._matcher.memo.near) : span.start],
                text[span.start : span.end],
            )
        return key

    def _assertion(
        self, sentence: Sentence, position: int, start: int, end: int, own_words: bool = False
    ) -> Assertion:
        """The assertion of a mention at ``start``:``end``, relative to the sentence. With
        ``own_words``, the mention's words are the concept's own ("could not be palpated"):
        only triggers outside it, other than negations, count."""
        if sentence.negative_value:
            return "negated"
        key = self._near_key(position)
        hits = self._sentence_hits(position, key)
        if own_words:
            hits = [
                h for h in hits if h.assertion != "negated" and (h.end <= start or h.start >= end)
            ]
        return self._matcher.context.assertion(key[1], hits, start, end)

    def _sentence_hits(self, position: int, key: SentenceKey) -> list[TriggerHit]:
        memo = self._matcher.memo
        hits = memo.hits[key] if memo.holds_triggers else self._hits.get(position)
        if hits is None:
            span = self._sentences[position].span
            found = self._matcher.context.hits(
                self._scan, self._matcher.triggers, span.start, span.end
            )
            hits = [h.moved(-span.start) for h in found]
            if memo.holds_triggers:
                memo.remember_hits(key, hits)
            else:
                self._hits[position] = hits
        return hits


# What a pattern can see of a sentence: up to REACH characters before it, then the sentence.
SentenceKey = tuple[str, str]
Matches = tuple[tuple[int, int], ...]  # relative to the sentence
# See EvidenceIndex._first_key; and first mentions: (pattern number, start, end, assertion),
# relative to the sentence.
FirstKey = tuple[SentenceKey, str, bool, int, tuple[tuple[int, int], ...]]
_Mentions = tuple[tuple[int, int, int, Assertion], ...]
ReadingKey = tuple[bool, FirstKey, _Mentions]
REACH = 16
_SECTION = operator.itemgetter(1)  # of a Sentence


_PerSentence = TypeVar("_PerSentence")


def _of_group(
    table: dict[int, dict[int, _PerSentence]], group: GroupMemo
) -> dict[int, _PerSentence]:
    """A group's entry of a group -> sentence -> answer table (groups by identity), made
    when first asked for."""
    found = table.get(id(group))
    if found is None:
        found = table[id(group)] = {}
    return found


class _Edit(NamedTuple):
    """How a note's headed sentences line up with those of an earlier version of it.

    Sentences before ``before`` are the earlier's, at the same offsets; those from ``after``
    are the earlier's from ``earlier_after``, moved by ``shift`` characters. Neither they nor
    what patterns can see of them changed, so a mention found there in the earlier note
    counts, or not, the same way here.
    """

    # What the earlier note's index found (not the index, which would keep every earlier
    # version alive through its own _Edit): first mentions, mentions per sentence by group,
    # and the keys of sentences (see EvidenceIndex).
    earlier: dict[str, Evidence | None]
    mentions: dict[int, dict[int, dict[str, Evidence]]]
    first_keys: dict[int, FirstKey]
    reading_keys: dict[int, dict[int, ReadingKey]]
    before: int
    after: int
    earlier_after: int
    shift: int

    def earlier_position(self, position: int) -> int | None:
        """The earlier's sentence that sentence ``position`` is, with all that its patterns
        and its key see (the text up to the next sentence), or None. (The sentence just
        before the change may end where the changed text starts: it is read again.)"""
        if position < self.before - 1:
            return position
        if position >= self.after:
            return position - self.after + self.earlier_after
        return None


def _edit_between(earlier: EvidenceIndex, index: EvidenceIndex, lineage: Lineage) -> _Edit:
    """How the headed sentences of ``index``'s note, parsed as an edit of ``earlier``'s, line
    up with those (see :class:`~notelint.core.note.Lineage`)."""
    old, new = earlier._note, index._note
    first_after = bisect.bisect_left(new.headed, lineage.after, key=_SECTION)
    # Sentences after the change whose look-behind may see changed text are searched again.
    after = bisect.bisect_left(index._starts, lineage.changed_end + REACH, lo=first_after)
    earlier_first_after = bisect.bisect_left(old.headed, lineage.earlier_after, key=_SECTION)
    return _Edit(
        earlier._first,
        earlier._mentions,
        earlier._first_keys,
        earlier._reading_keys,
        bisect.bisect_left(new.headed, lineage.before, key=_SECTION),
        after,
        earlier_first_after + after - first_after,
        lineage.shift,
    )


class SentenceMemo:
    """Matches, trigger hits and first mentions per sentence text, shared by every note
    analysed with one knowledge base.

    Sound for a pattern whose lookbehinds see at most ``REACH - 1`` characters back (so what
    it matches within a sentence depends on the key alone); other patterns are not kept.
    Most patterns, and the context triggers, see one character back (a word boundary): they
    are "near", kept under a key with only that much of the text before the sentence, which
    recurs wherever the sentence does, after whatever line.
    """

    def __init__(self, patterns: Iterable[regex.Pattern[str]], triggers: range) -> None:
        reach = [reach_behind(p.pattern) for p in patterns]
        self._held = frozenset(n for n, r in enumerate(reach) if r is not None and r < REACH)
        near = [reach[n] for n in triggers]
        self.near = max((r or 0 for r in near), default=1)
        self._near = frozenset(
            n for n, r in enumerate(reach) if None not in near and r is not None and r <= self.near
        )
        self.holds_triggers = bool(self._near) and self._near.issuperset(triggers)
        self.forget()

    def fresh(self) -> SentenceMemo:
        """The same patterns' memo with nothing remembered."""
        other = copy.copy(self)
        other.forget()
        return other

    def holds(self, number: int) -> bool:
        return number in self._held

    def holds_near(self, number: int) -> bool:
        return number in self._near

    def group(self, numbers: tuple[int, ...]) -> GroupMemo:
        """The memo of the first mentions of a group of patterns, per sentence."""
        group = self._groups.get(numbers)
        if group is None:
            held = tuple(n for n in numbers if n in self._near)
            others = tuple(n for n in numbers if n not in self._near)
            group = self._groups[numbers] = GroupMemo(numbers, held, others)
        return group

    def forget(self) -> None:
        self._groups: dict[tuple[int, ...], GroupMemo] = {}
        self._matches: Memo[SentenceKey, dict[int, tuple[tuple[int, int], ...]]] = Memo(
            size=sentence_size
        )
        self._near_matches: Memo[SentenceKey, dict[int, tuple[tuple[int, int], ...]]] = Memo(
            size=sentence_size
        )
        self.hits: Memo[SentenceKey, list[TriggerHit]] = Memo(size=sentence_size)

    def remembered(self) -> int:
        groups = sum(group.memo.kept() for group in self._groups.values())
        return self._matches.kept() + self._near_matches.kept() + self.hits.kept() + groups

    def matches(self, key: SentenceKey, near: bool) -> dict[int, tuple[tuple[int, int], ...]]:
        """Pattern -> its matches in the sentence of ``key``: a ``_near_key`` for the near
        patterns, else a full one."""
        memo = self._near_matches if near else self._matches
        known = memo[key]
        return memo.put(key, {}) if known is None else known

    def remember_hits(self, key: SentenceKey, hits: list[TriggerHit]) -> None:
        self.hits.put(key, hits)


@dataclass(frozen=True, slots=True)
class GroupMemo:
    """A group of patterns' first mentions per sentence (see ``EvidenceIndex.mentions_in``):
    kept for the group's near patterns; the others are searched each time."""

    numbers: tuple[int, ...]
    held: tuple[int, ...]
    others: tuple[int, ...]
    memo: Memo[FirstKey, _Mentions] = field(default_factory=lambda: Memo(size=_first_size))


def _first_size(key: FirstKey) -> int:
    return sentence_size(key[0])


@dataclass(frozen=True, slots=True)
class _CompiledConcept:
    id: str
    concept: Concept
    pattern: regex.Pattern[str]
    veto: regex.Pattern[str] | None  # see Concept.unless_sentence

    # Section kind -> whether a mention there can count, filled in as kinds come up.
    _counts: dict[str, bool] = field(default_factory=dict)

    def counts_in(self, kind: str) -> bool:
        """Whether a mention in a section of this kind can count."""
        counts = self._counts.get(kind)
        if counts is None:
            sections, excluded = self.concept.sections, self.concept.exclude_sections
            counts = self._counts[kind] = (not sections or kind in sections) and (
                kind not in excluded
            )
        return counts


@dataclass(frozen=True, slots=True)
class CompiledMatcher:
    concepts: tuple[_CompiledConcept, ...]
    context: ContextMatcher
    # One index, so one pass over a note serves all: the concepts' patterns in order, then
    # the context triggers' from number `triggers`, then the sided-anatomy pattern if any.
    index: PrefixIndex
    triggers: int
    sides: int | None
    numbers: dict[str, int]  # concept id -> its number in `concepts` and in the index
    memo: SentenceMemo
    _groups: dict[tuple[str, ...], GroupMemo] = field(default_factory=dict)

    # The same, by the identity of a tuple asked for (which it keeps alive, so the identity is
    # never another's): callers ask with the same few long tuples, costly to hash each time.
    _same: dict[int, tuple[tuple[str, ...], GroupMemo]] = field(default_factory=dict)

    def group(self, concepts: tuple[str, ...]) -> GroupMemo:
        """The group of those of ``concepts`` that have patterns (see ``mentions_in``)."""
        same = self._same.get(id(concepts))
        if same is not None and same[0] is concepts:
            return same[1]
        group = self._groups.get(concepts)
        if group is None:
            numbers = tuple(self.numbers[c] for c in concepts if c in self.numbers)
            group = self._groups[concepts] = self.memo.group(numbers)
        if len(self._same) < _SAME_GROUPS:
            self._same[id(concepts)] = (concepts, group)
        return group

    def scan(self, text: str, earlier: Earlier | None = None) -> Candidates:
        """Where each pattern may match in ``text``; given the ``earlier`` version that
        ``text`` is an edit of (``edits.LongNotes``), scanned only where it changed."""
        return self.index.scan(text, earlier)

    def fresh(self) -> CompiledMatcher:
        """This matcher with nothing remembered: the compiled patterns are shared, read-only,
        and the memos are its own (see ``engine.Engine``)."""
        return dataclasses.replace(
            self, index=self.index.fresh(), memo=self.memo.fresh(), _groups={}, _same={}
        )

    def forget(self) -> None:
        """Drop what was remembered of the texts analysed so far."""
        self.memo.forget()
        self.index.forget()
        self._groups.clear()
        self._same.clear()

    def remembered(self) -> int:
        return self.memo.remembered() + self.index.remembered()


_SAME_GROUPS = 64  # tuples kept by identity: bounded, should a caller build one per call


def build_matcher(kb: KnowledgeBase) -> CompiledMatcher:
    """Compile the knowledge base's patterns (``compiled_rules.CompiledRules.matcher`` keeps
    the result, once per knowledge base), with empty memos."""
    concepts = []
    for concept_id, concept in kb.concepts.items():
        if concept.vocabulary:
            continue
        flags = 0 if concept.case_sensitive else regex.IGNORECASE
        joined = "|".join(f"(?:{p})" for p in concept.all_patterns())
        veto = "|".join(f"(?:{p})" for p in concept.unless_sentence)
        concepts.append(
            _CompiledConcept(
                concept_id,
                concept,
                regex.compile(joined, flags),
                regex.compile(veto, flags) if veto else None,
            )
        )
    context = ContextMatcher(kb.triggers)
    patterns = [item.pattern for item in concepts] + context.patterns
    sides = _sides_pattern(kb)
    if sides:
        patterns.append(sides)
    return CompiledMatcher(
        tuple(concepts),
        context,
        PrefixIndex(patterns),
        triggers=len(concepts),
        sides=len(patterns) - 1 if sides else None,
        numbers={item.id: number for number, item in enumerate(concepts)},
        memo=SentenceMemo(patterns, range(len(concepts), len(concepts) + len(context.patterns))),
    )


def match_evidence(
    note: Note,
    kb: KnowledgeBase,
    scan: Candidates | None,
    matcher: CompiledMatcher,
    earlier: Earlier | None = None,
) -> EvidenceIndex:
    """Each concept's evidence; ``scan``, if given, is ``matcher.scan(note.text)``.
    ``matcher`` holds the memos the search keeps (an engine's). Given the ``earlier`` version
    that the note was parsed as an edit of (``edits.LongNotes``), what was found there outside
    the sentences the edit changed is reused (see :meth:`EvidenceIndex.follow`)."""
    index = EvidenceIndex(note, matcher, matcher.scan(note.text) if scan is None else scan)
    if earlier is not None:
        index.follow(earlier.evidence)
    return index


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
        rf"|\b(?P<site2>{sites})\b[^.\n]{{0,20}}?\bon the (?P<side2>left|right)\b",
        regex.IGNORECASE,
    )


def find_sides(
    note: Note, matcher: CompiledMatcher, scan: Candidates | None = None
) -> list[SideMention]:
    """Sided mentions of paired anatomy ("left knee", "knee on the right"), in reading order;
    ``scan``, if given, is ``matcher.scan(note.text)``. Nothing of the note is kept."""
    if matcher.sides is None:
        return []
    scan = matcher.index.fresh().scan(note.flowed) if scan is None else scan
    sentences, starts = note.headed, note.starts()
    out = []
    for m in scan.finditer(matcher.sides):
        if note.in_placeholder(m.start(), m.end()):
            continue
        side = (m.group("side") or m.group("side2")).lower()
        site = (m.group("site") or m.group("site2")).lower().rstrip("s")
        position = bisect.bisect_right(starts, m.start()) - 1
        while position >= 0 and note.is_heading(sentences[position]):
            position -= 1  # the section of the sentence of the text it is in or follows
        section = sentences[position].section if position >= 0 else 0
        out.append(
            SideMention(_SIDE_NORMAL.get(side, side), site, Span(m.start(), m.end()), section)
        )
    return out
