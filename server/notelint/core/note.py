"""Parse a note as written: sections, fields, sentences, placeholders and code mentions.

Pure: text in, a :class:`Note` out. Offsets are Python string offsets into the original text.

Most of the work is per line, and lines recur: between notes from one template, and between
versions of a document being edited. So what a line, a section's content or a paragraph says
is worked out once per distinct text, relative to its start, and kept in bounded memos.
"""

from __future__ import annotations

import bisect
import copy
import functools
import itertools
import operator
import weakref
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

import regex

from notelint.core.findings import CodeMention, Span, span_of
from notelint.core.memo import REUSE, Memo

if TYPE_CHECKING:
    from notelint.core.edits import Earlier

# A Markdown heading's opening; its label is the rest of the line less a closing run of blanks
# and '#' (found from the end: a lazy label before that run made long blank runs quadratic).
_MARKDOWN_OPENING = regex.compile(r"[ \t]{0,3}#{1,6}[ \t]+")
# "Label: value" or "Label:" alone; optional list marker or numbering before the label, and
# an aside after it ("Procedure history (copied forward from procedure note, reviewed today):").
# The value runs to the last character that is not a space or tab: found greedily, since a
# lazy `.*?` tries the end of the line after each character of it.
_LABEL_LINE = regex.compile(
    r"^(?P<lead>[ \t]*(?:[-*•>]+[ \t]*)*(?:\(?\d{1,2}[.)][ \t]+|[A-Z][.)][ \t]+)?)"
    r"(?P<label>[A-Za-z][A-Za-z0-9 /&'(),.#-]{0,48}?(?:[ \t]*\([^()\n:]{1,70}\))?)[ \t]*:"
    r"(?:[ \t]+(?P<value>\S(?:.*[^ \t\n])?))?[ \t]*$"
)


_ALL_CAPS = regex.compile(r"^[ \t]*(?P<label>[A-Z][A-Z0-9 /&,()'-]{2,60}?)[ \t]*$")
# A wrapped line may start with the acronym that ends the sentence before it ("... prior to
# suprascapular" / "RFA."); one followed by a word ("CT guidance ...") starts a sentence.
_WRAPPED_ACRONYM = regex.compile(r"[A-Z]{2,6}[.,;)]")
_LIST_ITEM = regex.compile(r"^[ \t]*(?:[-*•]|\(?\d{1,2}[.)]|\(?[A-Z][.)])[ \t]+")
# Where a sentence ends, from the [.!?] that ends it (so one past it): faster to find than
# with a look-behind, and the same matches, since the white space ending one is no [.!?].
_SENTENCE_BREAK = regex.compile(r"[.!?][\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")
_ABBREVIATION = regex.compile(
    r"(?:\b(?:Dr|Mr|Mrs|Ms|St|vs|approx|e\.g|i\.e|No|Fig|cf|etc|incl|M\.D|D\.O|Ph\.D)|\b[A-Z])\.$"
)
# An _ABBREVIATION match is at most 7 characters: 16 keep it and the character before it.
_ABBREVIATION_REACH = 16
_MENU_WORD = r"(?:yes|no|none|nil|minimal|mild|moderate|severe|good|fair|poor|left|right|bilateral|done|not done|n/a)"
# An EHR list left unanswered keeps its id and options: {Blank single:19197::"US-guided"/"CT"}.
_BRACKETS = r"\[(?![xX✓✔]\])[^\[\]\n]{0,120}\]|\{\{[^{}\n]{0,120}\}\}|\{[^{}\n]{1,60}?:\d{1,9}::?[^{}\n]{0,240}\}|_{3,}|\*{3,}|\bX{3,}\b|<<[^<>\n]{0,60}>>"
_MENU = rf"\b{_MENU_WORD}(?:,[ \t]*{_MENU_WORD})?(?:[ \t]*/[ \t]*{_MENU_WORD}\b(?:,[ \t]*{_MENU_WORD}\b)?)+"
_PLACEHOLDER = regex.compile(f"{_BRACKETS}|{_MENU}", regex.IGNORECASE)
# A checklist line: a box, ticked or not, then what it says ("[x] real-time needle
# visualization", "[ ] images saved to PACS"). An unticked one says nothing happened.
_CHECKBOX = regex.compile(
    r"^[ \t]*(?:[-*•][ \t]*)?(?:\[(?P<mark>[ xX✓✔]?)\]|(?P<box>[☐☑☒]))[ \t]*\S"
)
# Every menu match has a "/": on a line without one, only the other branches can match.
_BRACKET_PLACEHOLDER = regex.compile(_BRACKETS, regex.IGNORECASE)
_MENU_PLACEHOLDER = regex.compile(_MENU, regex.IGNORECASE)
_WORD_CHAR = regex.compile(r"[^\W_]")
NEGATIVE_VALUE = regex.compile(
    r"^(?:none|no|nil|n/?a|not (?:done|obtained|performed|applicable|available)|-+)\.?$"
    # "Ultrasound guidance: available in room, not used - superficial target"
    r"|^(?:[^.;:,]{0,40},\s*)?not (?:used|utilized|utilised|employed|needed|required)\b",
    regex.IGNORECASE,
)

_CODE = r"(?:\d{5}|\d{4}[TFU]|[A-V]\d{4})"
_CODING_LABEL = regex.compile(
    r"^(?:cpt|hcpcs|cpt/hcpcs|cpt ?codes?|procedure codes?|billing(?: codes?)?|codes?|coding|charges?|cpt\(s\))$",
    regex.IGNORECASE,
)
_CODE_MENTION = regex.compile(
    rf"(?<![\w.-])(?P<code>{_CODE})(?P<mods>(?:[ \t]*-[ \t]?(?P<mod>[0-9A-Z]{{2}})\b)*)"
    r"(?:[ \t]*(?:[x×][ \t]*(?P<units>\d{1,3})\b|\([ \t]*(?P<units2>\d{1,3})[ \t]*units?[ \t]*\)|[ \t]+(?P<units3>\d{1,3})[ \t]*units?\b"
    r"|\|[ \t]*(?P<units4>\d{1,3})[ \t]*(?=\||$)))?",  # the last: a table's units column
)
# A line that lists codes and nothing else ("CPT 49083, 76942", "47000 / 76942", a table row
# "| 20610 | RT | 1 |"), after an optional label or CPT/HCPCS prefix: a coding line.
_CODE_LIST = regex.compile(
    rf"^[ \t>*•·|-]*(?:(?:CPT|HCPCS)(?:[ \t]*codes?)?[ \t]*[:#]?[ \t]*)?"
    rf"(?:{_CODE}(?![\w])(?:[ \t]*-[ \t]?[0-9A-Z]{{2}}\b)*"
    r"(?:[ \t]*(?:[x×][ \t]*\d{1,3}\b|\([ \t]*\d{1,3}[ \t]*units?[ \t]*\)|[ \t]+\d{1,3}[ \t]*units?\b|\|[ \t]*(?:\d{1,3}|[0-9A-Z]{2})[ \t]*(?=\||$)))*"
    r"(?:[ \t]*(?:[,;/+&|]|\band\b)[ \t]*|[ \t]+|(?=[ \t.|]*$)))+[ \t.|]*$",
    regex.IGNORECASE,
)
_PREFIXED_CODE = regex.compile(
    rf"\b(?:CPT|HCPCS)(?:[ \t]*codes?)?[ \t]*[:#]?[ \t]*(?={_CODE}(?![\w]))"
)
_SENTENCE_STOPS = (".", "!", "?", ":", ";")


# Sections and sentences are named tuples, not dataclasses: a long note makes thousands of
# them, and a tuple is made in one step.
class Section(NamedTuple):
    kind: str
    heading: str
    heading_span: Span
    span: Span  # the heading line through the end of the section's content
    content_span: Span
    empty: bool
    negative: bool = False  # its content says only "none", "N/A" or the like

    @property
    def has_heading(self) -> bool:
        return self.heading_span.end > self.heading_span.start


class Sentence(NamedTuple):
    span: Span
    section: int
    # A template field with no real value: empty, a placeholder, or a menu of choices.
    is_template: bool = False
    negative_value: bool = False


@dataclass(slots=True, weakref_slot=True)
class Note:
    text: str
    sections: list[Section] = field(default_factory=list)
    # In reading order, each section's heading read as a sentence (see _Sections), then the
    # sentences of its content.
    headed: list[Sentence] = field(default_factory=list)
    placeholders: list[Span] = field(default_factory=list)  # in order, never overlapping
    codes: list[CodeMention] = field(default_factory=list)
    coding_lines: list[Span] = field(default_factory=list)
    lineage: Lineage | None = None  # when parsed as an edit of an earlier version
    _starts: list[int] | None = field(default=None, repr=False, compare=False)
    _flowed: str | None = field(default=None, repr=False, compare=False)

    @property
    def flowed(self) -> str:
        """The text as its sentences read: a line break inside a sentence (a report wrapped at
        80 columns) is a space, so the patterns, which stop at line ends, read across it.
        Line breaks between sentences stay. Offsets are those of ``text``."""
        if self._flowed is None:
            self._flowed = _flowed(self.text, self.headed)
        return self._flowed

    @property
    def sentences(self) -> list[Sentence]:
        """The sentences of the text, without the headings read as sentences."""
        return [s for s in self.headed if not self.is_heading(s)]

    def is_heading(self, sentence: Sentence) -> bool:
        """Whether ``sentence`` (of ``headed``) is its section's heading read as a sentence:
        the one that starts where the heading does (content starts after it)."""
        section = self.sections[sentence.section]
        return sentence.span.start == section.heading_span.start and section.has_heading

    def in_section(self, section: int) -> range:
        """The positions (in ``headed``) of the sentences of section ``section``."""
        return range(_by_section(self.headed, section), _by_section(self.headed, section + 1))

    def starts(self) -> list[int]:
        """Where each of ``headed`` starts."""
        if self._starts is None:
            self._starts = list(map(_FIRST, map(_FIRST, self.headed)))
        return self._starts

    def in_placeholder(self, start: int, end: int) -> bool:
        # Spans are ordered and disjoint: only the first one ending after `start` can overlap.
        first = bisect.bisect_right(self.placeholders, start, key=lambda p: p.end)
        return first < len(self.placeholders) and self.placeholders[first].start < end


def _flowed(text: str, sentences: list[Sentence]) -> str:
    breaks: list[int] = []
    at, count, number = text.find("\n"), len(sentences), 0
    while at != -1:
        while number < count and sentences[number].span.end <= at:
            number += 1
        if number < count and sentences[number].span.start < at:
            breaks.append(at)
        at = text.find("\n", at + 1)
    if not breaks:
        return text
    chars = list(text)
    for at in breaks:
        chars[at] = " "
        if chars[at - 1] == "\r":
            chars[at - 1] = " "
    return "".join(chars)


@dataclass(frozen=True, slots=True)
class Lineage:
    """How a note lines up with the earlier version it was parsed as an edit of.

    Sections before ``before`` are the earlier's; those from ``after`` are the earlier's from
    ``earlier_after`` on, moved by ``shift`` characters, as is all text from ``changed_end``.
    """

    earlier: weakref.ReferenceType[Note]  # not kept alive by its successors
    before: int
    after: int
    earlier_after: int
    shift: int
    changed_end: int


# ``Sentence(...)`` and ``Section(...)`` without the named tuple's ``__new__``, a Python function.
_new_sentence: Callable[[tuple[Any, ...]], Sentence] = functools.partial(tuple.__new__, Sentence)
_new_section: Callable[[tuple[Any, ...]], Section] = functools.partial(tuple.__new__, Section)


def make_sentence(
    span: Span,
    section: int,
    template: bool = False,
    negative: bool = False,
) -> Sentence:
    """``Sentence(...)``, quicker."""
    return _new_sentence((span, section, template, negative))


_Pair = tuple[int, int]  # a span relative to the start of a line, paragraph or section
# A code mention relative to its line: code, modifiers, units, span, modifier spans.
_MentionAt = tuple[str, tuple[str, ...], int, _Pair, tuple[_Pair, ...]]


@dataclass(frozen=True, slots=True)
class _HeadingAt:
    kind: str
    label: str
    label_span: _Pair
    inline_value: _Pair | None  # "INDICATION: knee pain" keeps its content on the heading line


@dataclass(frozen=True, slots=True)
class _FieldAt:
    template: bool
    negative: bool


@dataclass(slots=True)  # not frozen: made for every new line, and faster so
class _LineInfo:
    """One line's part in each step, from its text alone (and the vocabulary)."""

    placeholders: tuple[_Pair, ...]
    blank: bool  # nothing but placeholders, punctuation and white space
    empty: bool  # white space only
    heading: _HeadingAt | None
    field: _FieldAt | None  # the whole line as a "Label: value" sentence
    list_item: bool
    can_follow: bool  # may continue a sentence wrapped from the line before
    stops: bool  # a sentence on it does not wrap onto the next line
    coding: bool  # labelled as a coding line ("CPT: ...")
    value_offset: int  # where a labelled line's value starts, else 0
    prefixed: tuple[_MentionAt, ...]  # the code after each "CPT"/"HCPCS" prefix


# A sentence relative to its section's content: start, end, and what it says if a field.
_SentenceAt = tuple[int, int, _FieldAt | None]


@dataclass(frozen=True, slots=True)
class _ContentInfo:
    """A section's content, from its text alone and whether it starts a line."""

    empty: bool
    sentences: tuple[_SentenceAt, ...]
    negative: bool  # says only "none", "N/A" or the like


class SectionVocabulary:
    """Heading text -> section kind, from the knowledge base's [section] tables: built once
    per knowledge base (``compiled_rules.CompiledRules.sections``), whose memos stay empty;
    each ``engine.Engine`` takes a :meth:`fresh` one."""

    _SPACES = regex.compile(r"[\s_]+")
    _NUMBERING = regex.compile(r"^\d+[.)]\s*")
    _ASIDE = regex.compile(r"\s*\([^()]*\)$")  # "procedure history (copied forward ...)"

    def __init__(
        self,
        headings: Mapping[str, list[str]],
        rest_reads_as: Mapping[str, str] | None = None,
        heading_words: Mapping[str, list[str]] | None = None,
    ) -> None:
        self._kinds = {h: kind for kind, hs in headings.items() for h in hs}
        # Kinds whose heading starts a copy of an earlier note -> what the rest reads as.
        self.rest_reads_as = dict(rest_reads_as or {})
        # Words that make a heading no table lists read as a kind, one pattern per kind; not as
        # a preposition ("Prior to procedure:" is no history).
        self._words = [
            (kind, regex.compile(r"\b(?:" + "|".join(map(regex.escape, words)) + r")\b(?! to\b)"))
            for kind, words in (heading_words or {}).items()
            if words
        ]
        self.forget()

    def fresh(self) -> SectionVocabulary:
        """This vocabulary with nothing remembered (its headings are shared, read-only): for
        each owner of memos (see ``engine.Engine``)."""
        other = copy.copy(self)
        other.forget()
        return other

    def kind(self, label: str) -> str | None:
        if label in self._seen:
            return self._seen[label]
        if len(self._seen) >= 10_000:
            self._seen.clear()
        key = self._NUMBERING.sub("", self._SPACES.sub(" ", label.strip().strip("#*:").lower()))
        kind = self._kinds.get(key.strip())
        if kind is None:  # a listed heading with an aside, else one that names its kind
            kind = self._kinds.get(self._ASIDE.sub("", key).strip()) or next(
                (k for k, words in self._words if words.search(key)), None
            )
        if REUSE:
            self._seen[label] = kind
        return kind

    def forget(self) -> None:
        """Drop what was kept of the notes parsed so far."""
        self._seen: dict[str, str | None] = {}  # labels recur from note to note
        # Memos of parse_note's work, here since a line's heading kind depends on us.
        self._line_memo: Memo[str, _LineInfo] = Memo()
        # Section content, by whether it starts mid-line (after an inline heading) or not.
        self._content_memos: tuple[Memo[str, _ContentInfo], Memo[str, _ContentInfo]] = (
            Memo(),
            Memo(),
        )
        self._paragraphs: Memo[str, tuple[_Pair, ...]] = Memo()  # their sentences
        self._coding: Memo[str, tuple[_MentionAt, ...]] = Memo()  # coding lines' codes

    def remembered(self) -> int:
        memos = (self._line_memo, *self._content_memos, self._paragraphs, self._coding)
        return len(self._seen) + sum(memo.kept() for memo in memos)

    def _line(self, raw: str) -> _LineInfo:
        return self._line_memo[raw] or self._line_memo.put(raw, _line_info(raw, self))


@dataclass(slots=True)
class _Lines:
    """The note's lines, split on "\\n": an end excludes the newline but not a "\\r"."""

    starts: list[int]
    ends: list[int]
    infos: list[_LineInfo]


def parse_note(text: str, vocabulary: SectionVocabulary, earlier: Earlier | None = None) -> Note:
    """The note's sections, sentences, placeholders and code mentions; given the ``earlier``
    version that ``text`` is an edit of (``edits.LongNotes``), parsed only where it changed
    (see :func:`_edited`)."""
    if earlier is None:
        note = _parse(text, vocabulary)
    else:
        note = _edited(earlier.note, text, earlier.head, earlier.tail, vocabulary)
    return _read_earlier_notes(note, vocabulary)


def _read_earlier_notes(note: Note, vocabulary: SectionVocabulary) -> Note:
    """Give a copy of an earlier note (a "Previous note:" heading) and every section after it
    the kind its heading's kind reads as (history): it tells what happened then, not today.
    A copied note keeps its own title and headings, so nothing in it can end the copy: it runs
    to the end of the note, where such copies are pasted. The copy starts at the first heading
    whose own kind says so, so a note parsed as an edit reads as one parsed whole."""
    starts = vocabulary.rest_reads_as
    if not starts:
        return note
    sections, reads_as = note.sections, None
    for number, section in enumerate(sections):
        reads_as = reads_as or (
            starts.get(vocabulary.kind(section.heading) or "") if section.heading else None
        )
        if reads_as is not None and section.kind != reads_as:
            sections[number] = section._replace(kind=reads_as)
    return note


def _starts_earlier_note(sections: list[Section], vocabulary: SectionVocabulary) -> bool:
    starts = vocabulary.rest_reads_as
    return bool(starts) and any(vocabulary.kind(s.heading) in starts for s in sections if s.heading)


def _parse(text: str, vocabulary: SectionVocabulary) -> Note:
    note = Note(text=text)
    lines = _lines(text, vocabulary)
    note.placeholders = [
        span_of((start + a, start + b))
        for start, info in zip(lines.starts, lines.infos, strict=True)
        if info.placeholders
        for a, b in info.placeholders
    ]
    heads = [(number, info.heading) for number, info in enumerate(lines.infos) if info.heading]
    _Sections(note, vocabulary).build(lines, heads)
    _find_codes(note, lines, vocabulary)
    return note


def _edited(earlier: Note, text: str, head: int, tail: int, vocabulary: SectionVocabulary) -> Note:
    """``text``, which is ``earlier``'s text with all but the first ``head`` and the last
    ``tail`` characters replaced, parsed only from the heading line before the first changed
    line to the heading line after the last.

    A section runs from its heading line to the next, and what the parser makes of it depends
    on those lines alone (whether a line is a heading depends on the line alone): so the
    sections ended by an unchanged heading line before the change, and those from the first
    heading line after it, are the earlier's. The text between is parsed on its own, which
    gives what parsing it within the whole would (it starts on a heading line or at the
    start, and ends at one or at the end).
    """
    shift, old = len(text) - len(earlier.text), earlier
    before = _last_heading_before(old.sections, text.rfind("\n", 0, head) + 1)
    earlier_after = _first_heading_after(old.sections, len(old.text) - tail)
    start = old.sections[before].span.start
    old_end = (
        old.sections[earlier_after].span.start
        if earlier_after < len(old.sections)
        else len(old.text)
    )
    middle = _parse(text[start : old_end + shift], vocabulary)
    after = before + len(middle.sections)
    note = Note(
        text,
        lineage=Lineage(
            weakref.ref(earlier), before, after, earlier_after, shift, len(text) - tail
        ),
    )
    note.sections = [
        *old.sections[:before],
        *_moved_sections(middle.sections, start),
        *_moved_sections(old.sections[earlier_after:], shift),
    ]
    first, last = _by_section(old.headed, before), _by_section(old.headed, earlier_after)
    moved_middle = _moved_sentences(middle.headed, start, before)
    old_after = old.headed[last:]
    moved_after = _moved_sentences(old_after, shift, after - earlier_after)
    note.headed = [*old.headed[:first], *moved_middle, *moved_after]
    # Spans and codes: the earlier's before the parsed text, its own, the earlier's after it.
    cut = (start, old_end, shift)
    note.placeholders = _spliced(old.placeholders, middle.placeholders, cut, _FIRST, _moved_spans)
    note.coding_lines = _spliced(old.coding_lines, middle.coding_lines, cut, _FIRST, _moved_spans)
    note.codes = _spliced(old.codes, middle.codes, cut, _code_start, _moved_codes)
    if old._flowed is not None:  # no line break outside the middle's sentences reads otherwise
        note._flowed = old._flowed[:start] + middle.flowed + old._flowed[old_end:]
    # A copied earlier note's heading typed or deleted here changes the kinds of the sections
    # after it (see _read_earlier_notes): those kept from the earlier are not this note's.
    replaced = old.sections[before:earlier_after]
    if _starts_earlier_note(replaced, vocabulary) or _starts_earlier_note(
        middle.sections, vocabulary
    ):
        return _parse(text, vocabulary)
    return note


def _last_heading_before(sections: list[Section], offset: int) -> int:
    """The last section that starts on a heading line before ``offset``; else 0."""
    at = bisect.bisect_left(sections, offset, key=_section_start) - 1
    while at > 0 and not sections[at].has_heading:
        at -= 1
    return max(at, 0)


def _first_heading_after(sections: list[Section], offset: int) -> int:
    """The first section that starts on a heading line after ``offset``; else their count."""
    at = bisect.bisect_right(sections, offset, key=_section_start)
    while at < len(sections) and not sections[at].has_heading:
        at += 1
    return at


def _section_start(section: Section) -> int:
    return section.span.start


def _code_start(code: CodeMention) -> int:
    return code.span.start


_T = TypeVar("_T")


def _spliced(
    old: list[_T],
    middle: list[_T],
    cut: tuple[int, int, int],
    start_of: Callable[[_T], int],
    moved: Callable[[list[_T], int], list[_T]],
) -> list[_T]:
    """``old``'s items that start before ``cut``'s start, ``middle``'s moved there, and
    ``old``'s from its end on, moved by its shift."""
    start, old_end, shift = cut
    first = bisect.bisect_left(old, start, key=start_of)
    last = bisect.bisect_left(old, old_end, key=start_of)
    return [*old[:first], *moved(middle, start), *moved(old[last:], shift)]


_SENTENCE_SECTION = operator.itemgetter(1)
_FIRST = operator.itemgetter(0)  # a Span's start; a Sentence's span


def _by_section(sentences: list[Sentence], section: int) -> int:
    """How many of ``sentences`` (in section order) are in sections before ``section``."""
    return bisect.bisect_left(sentences, section, key=_SENTENCE_SECTION)


def _moved_spans(spans: list[Span], by: int) -> list[Span]:
    return [span_of((start + by, end + by)) for start, end in spans]


def _moved_sections(sections: list[Section], by: int) -> list[Section]:
    if not by:
        return sections
    return [
        _new_section(
            (
                kind,
                heading,
                span_of((label[0] + by, label[1] + by)),
                span_of((span[0] + by, span[1] + by)),
                span_of((content[0] + by, content[1] + by)),
                empty,
                negative,
            )
        )
        for kind, heading, label, span, content, empty, negative in sections
    ]


def _moved_sentences(sentences: list[Sentence], by: int, sections_by: int) -> list[Sentence]:
    return [
        _new_sentence(
            (
                span_of((span[0] + by, span[1] + by)),
                section + sections_by,
                template,
                negative,
            )
        )
        for span, section, template, negative in sentences
    ]


def _moved_codes(codes: list[CodeMention], by: int) -> list[CodeMention]:
    return [
        CodeMention(
            code.code,
            code.modifiers,
            code.units,
            span_of((code.span.start + by, code.span.end + by)),
            tuple(span_of((a + by, b + by)) for a, b in code.modifier_spans),
        )
        for code in codes
    ]


def _lines(text: str, vocabulary: SectionVocabulary) -> _Lines:
    raws = text.split("\n")
    lengths = list(map(len, raws))
    starts = list(itertools.accumulate((n + 1 for n in lengths[:-1]), initial=0))
    ends = list(map(operator.add, starts, lengths))
    memo, line = vocabulary._line_memo, vocabulary._line
    return _Lines(starts, ends, [memo[raw] or line(raw) for raw in raws])


def _line_info(raw: str, vocabulary: SectionVocabulary) -> _LineInfo:
    # Headings, wrapping and codes read the line without its "\r"; sentences read it whole.
    text = raw.rstrip("\r")
    spans = _placeholders_in(raw)
    labelled = _LABEL_LINE.match(text) if ":" in text else None
    whole = labelled if raw == text else _LABEL_LINE.match(raw) if ":" in raw else None
    following = text.lstrip()
    value = labelled.group("value") if labelled else None
    return _LineInfo(
        placeholders=spans,
        blank=_blank_around(raw, spans),
        empty=not following,
        heading=_heading(text, labelled, vocabulary),
        field=_checklist_item(raw) or _field(whole),
        list_item=bool(_LIST_ITEM.match(raw)),
        can_follow=bool(following)
        and not labelled
        and (following[0].islower() or bool(_WRAPPED_ACRONYM.match(following))),
        stops=text.rstrip().endswith(_SENTENCE_STOPS)
        or _ends_in_placeholder(text, spans if raw == text else _placeholders_in(text)),
        coding=bool(labelled and _CODING_LABEL.match(labelled.group("label").strip()))
        or _lists_codes(value if value else text),
        value_offset=labelled.start("value") if labelled and value else 0,
        prefixed=_prefixed(raw, text),
    )


def _checklist_item(line: str) -> _FieldAt | None:
    """A checklist line reads as a field of its own; an unticked box's, as a negative value."""
    box = (
        _CHECKBOX.match(line)
        if ("[" in line or "☐" in line or "☒" in line or "☑" in line)
        else None
    )
    if box is None:
        return None
    unticked = box.group("mark") in (" ", "") or box.group("box") == "☐"
    return _FieldAt(False, unticked)


def _lists_codes(text: str) -> bool:
    """Whether the line lists codes and nothing else: after a CPT/HCPCS prefix, in a table
    row, or two codes or more (one bare number on a line may be anything)."""
    if not _CODE_LIST.match(text):
        return False
    lead = text.lstrip(" \t>*•·-")
    return (
        lead.startswith("|")
        or lead.upper().startswith(("CPT", "HCPCS"))
        or (len(_CODE_MENTION.findall(text)) >= 2)
    )


def _placeholders_in(line: str) -> tuple[_Pair, ...]:
    """_PLACEHOLDER.finditer over one line; no placeholder crosses a newline."""
    if "/" in line:
        return tuple(_with_menus(line))
    if _may_hold_brackets(line):
        return tuple(m.span() for m in _BRACKET_PLACEHOLDER.finditer(line))
    return ()


def _with_menus(line: str) -> Iterator[_Pair]:
    """_PLACEHOLDER's matches from its two kinds of branch, each found quicker alone.

    As in one search: the leftmost match wins (the first branch if both start at one place),
    and the next search starts at its end. A match found before then stays the leftmost.
    """
    bracket = _BRACKET_PLACEHOLDER.search(line) if _may_hold_brackets(line) else None
    menu = _MENU_PLACEHOLDER.search(line)
    while bracket or menu:
        found = min(filter(None, (bracket, menu)), key=lambda m: m.start())  # bracket on a tie
        yield found.span()
        end = found.end()
        if bracket and bracket.start() < end:
            bracket = _BRACKET_PLACEHOLDER.search(line, end)
        if menu and menu.start() < end:
            menu = _MENU_PLACEHOLDER.search(line, end)


def _may_hold_brackets(line: str) -> bool:
    """Whether the line has what each bracket-like placeholder starts with: quicker to look
    for than to match."""
    return (
        "[" in line
        or "{" in line
        or "___" in line
        or "***" in line
        or "<<" in line
        or "xxx" in line.lower()  # `X` ignoring case is only ever "X" or "x"
    )


def _blank_around(text: str, spans: tuple[_Pair, ...]) -> bool:
    """No word character outside the placeholders at ``spans``."""
    pos = 0
    for start, end in spans:
        if _WORD_CHAR.search(text, pos, start):
            return False
        pos = end
    return not _WORD_CHAR.search(text, pos)


def _is_blank(text: str) -> bool:
    """Nothing written but placeholders, punctuation and white space."""
    if not _WORD_CHAR.search(text):
        return True  # removing placeholders cannot add a word character
    return all(_blank_around(line, _placeholders_in(line)) for line in text.split("\n"))


def _ends_in_placeholder(text: str, spans: tuple[_Pair, ...]) -> bool:
    return bool(spans) and not text[spans[-1][1] :].strip()


def _prefixed(raw: str, text: str) -> tuple[_MentionAt, ...]:
    if "CPT" not in text and "HCPCS" not in text:
        return ()  # the pattern is case-sensitive
    found = (_mentions(raw, m.end(), only_first=True) for m in _PREFIXED_CODE.finditer(text))
    return tuple(itertools.chain.from_iterable(found))


def _heading(
    text: str, labelled: regex.Match[str] | None, vocabulary: SectionVocabulary
) -> _HeadingAt | None:
    if not text.strip():
        return None
    markdown = _markdown_label(text) if "#" in text else None
    if markdown:
        label = text[markdown[0] : markdown[1]].strip("*: ")
        return _HeadingAt(vocabulary.kind(label) or "other", label, markdown, None)
    if labelled:
        return _labelled_heading(labelled, vocabulary)
    caps = _ALL_CAPS.match(text) if text.isupper() else None  # it allows no lowercase
    if (
        caps
        and sum(c.isalpha() for c in caps.group("label")) >= 3
        and len(caps.group("label").split()) <= 8
    ):
        label = caps.group("label")
        return _HeadingAt(vocabulary.kind(label) or "other", label, caps.span("label"), None)
    return None


def _markdown_label(line: str) -> tuple[int, int] | None:
    """Where a Markdown heading's label lies in ``line`` (one line, no newline), if it is one."""
    opening = _MARKDOWN_OPENING.match(line)
    if opening is None:
        return None
    if opening.end() == len(line):  # blanks only: the label is the last blank, as ever
        return (len(line) - 1, len(line)) if line[-2] in " \t" else None
    closing = len(line.rstrip(" \t").rstrip("#").rstrip(" \t"))
    return opening.end(), max(closing, opening.end() + 1)


def _labelled_heading(
    labelled: regex.Match[str], vocabulary: SectionVocabulary
) -> _HeadingAt | None:
    label = labelled.group("label").strip()
    kind = vocabulary.kind(label)
    span = labelled.span("label")
    if kind:
        inline = labelled.span("value") if labelled.group("value") else None
        return _HeadingAt(kind, label, span, inline)
    if (
        labelled.group("value") is None
        and len(label.split()) <= 6
        and not labelled.group("lead").strip()
    ):
        return _HeadingAt("other", label, span, None)
    return None


def _field(labelled: regex.Match[str] | None) -> _FieldAt | None:
    if labelled is None:
        return None
    if labelled.group("value") is None:
        return _FieldAt(True, False)
    value = labelled.group("value")
    negative = bool(NEGATIVE_VALUE.match(value.strip())) or (
        ("[" in value or "☒" in value) and _TICKED_NO.search(value) is not None
    )
    return _FieldAt(_is_blank(value), negative)


# A yes/no choice answered no: "US guidance used: [ ] Yes  [X] No", "☐ Yes ☒ No".
_TICKED_NO = regex.compile(
    r"(?:\[[xX✓✔]\]|☒|☑)[ \t]*no\b(?![ \t]*\w)|(?:\[ ?\]|☐)[ \t]*yes\b[^\[☐☒☑\n]{0,10}(?:\[[xX✓✔]\]|☒|☑)[ \t]*no\b",
    regex.IGNORECASE,
)


class _Sections:
    """Adds the note's sections, each with its sentences: these come in section order."""

    def __init__(self, note: Note, vocabulary: SectionVocabulary) -> None:
        self.note, self.vocabulary = note, vocabulary
        # Looked up once: a long note has thousands of sections.
        self._text, self._memos = note.text, vocabulary._content_memos
        self._sections, self._headed = note.sections, note.headed

    def build(self, lines: _Lines, heads: list[tuple[int, _HeadingAt]]) -> None:
        end_of_text, starts, count = len(self.note.text), lines.starts, len(lines.starts)
        if not heads or heads[0][0] > 0:
            first = heads[0][0] if heads else count
            end = starts[first] if first < count else end_of_text
            self.add("body", "", Span(0, 0), Span(0, end), Span(0, end))
        for i, (number, head) in enumerate(heads):
            next_line = heads[i + 1][0] if i + 1 < len(heads) else count
            next_start = starts[next_line] if next_line < count else end_of_text
            self.add_heading(lines, number, head, next_line, next_start)

    def add_heading(
        self, lines: _Lines, number: int, head: _HeadingAt, next_line: int, next_start: int
    ) -> None:
        start = lines.starts[number]
        label = span_of((start + head.label_span[0], start + head.label_span[1]))
        if head.inline_value:
            # "Reason for guidance: N/A" owns its line and any soft-wrapped continuation;
            # what follows is narrative of its own, not more of that field.
            last = _continuation_end(lines, number, next_line)
            end = min(lines.ends[last] + 1, next_start)
            content = span_of((start + head.inline_value[0], lines.ends[last]))
            self.add(
                head.kind, head.label, label, span_of((start, end)), content, lines.ends[number]
            )
            if end < next_start:
                rest = Span(end, next_start)
                self.add("body", "", Span(end, end), rest, rest)
            return
        content_start = min(lines.ends[number] + 1, len(self.note.text))
        content = span_of((content_start, max(content_start, next_start)))
        self.add(
            head.kind, head.label, label, span_of((start, next_start)), content, lines.ends[number]
        )

    def add(
        self,
        kind: str,
        heading: str,
        heading_span: Span,
        span: Span,
        content: Span,
        line_end: int = 0,  # of the heading's line
    ) -> None:
        text, (base, content_end) = self._text, content
        at_line_start = base == 0 or text[base - 1] == "\n"
        memo, key = self._memos[at_line_start], text[base:content_end]
        info = memo[key] or memo.put(key, _read_content(key, at_line_start, self.vocabulary))
        index = len(self._sections)
        self._sections.append(
            _new_section((kind, heading, heading_span, span, content, info.empty, info.negative))
        )
        if heading_span.end > heading_span.start:
            # A heading reads as a sentence of its section (titles name procedures), asserting
            # only what its content does: an empty heading is a template that satisfies
            # nothing, one whose content is "none" is negated. "Performed by: Jane Roe, PA-C"
            # reads as one statement: the heading runs to its line's end.
            end = line_end if content.start < line_end else heading_span.end
            sentence = (span_of((heading_span.start, end)), index)
            # A line of capitals no known heading names ("CT-GUIDED CORE BIOPSY, LIVER") is
            # the note's title, not an unfilled field, even with nothing under it.
            title = kind == "other" and ":" not in text[heading_span.start : line_end]
            empty = info.empty and not title
            self._headed.append(_new_sentence((*sentence, empty, info.negative)))
        append = self._headed.append
        for start, end, field_at in info.sentences:
            span = span_of((base + start, base + end))
            if field_at is None:
                append(_new_sentence((span, index, False, False)))
            else:
                append(_field_sentence(span, field_at, index))


def _continuation_end(lines: _Lines, first: int, stop: int) -> int:
    """The last line of a sentence that starts on line ``first`` and wraps onto lowercase lines."""
    infos, last = lines.infos, first
    while last + 1 < stop and infos[last + 1].can_follow and not infos[last].stops:
        last += 1
    return last


def _read_content(content: str, at_line_start: bool, vocabulary: SectionVocabulary) -> _ContentInfo:
    """Whether ``content`` is blank, and its sentences: fields, and paragraphs split up."""
    sentences: list[_SentenceAt] = []
    paragraph: list[int] = []  # start and end of the paragraph being gathered
    blank, pos = True, 0
    for number, piece in enumerate(content.split("\n")):
        start, end, pos = pos, pos + len(piece), pos + len(piece) + 1
        if not piece:
            continue  # nothing of the line is in the section: no break in a paragraph
        empty, list_item, field_at, piece_blank = _piece(
            piece, number > 0 or at_line_start, vocabulary
        )
        blank = blank and piece_blank
        if paragraph and (empty or field_at or list_item):
            sentences.extend(_paragraph_sentences(content, paragraph, vocabulary))
            paragraph.clear()
        if field_at:
            sentences.append((start, end, field_at))
        elif not empty:
            paragraph[:] = [paragraph[0] if paragraph else start, end]
    if paragraph:
        sentences.extend(_paragraph_sentences(content, paragraph, vocabulary))
    negative = bool(NEGATIVE_VALUE.match(content.strip()))
    return _ContentInfo(blank, tuple(sentences), negative)


def _piece(
    piece: str, at_line_start: bool, vocabulary: SectionVocabulary
) -> tuple[bool, bool, _FieldAt | None, bool]:
    """White space only, list item, field, blank: a line's part in a section's content."""
    if at_line_start:
        info = vocabulary._line(piece)
        return info.empty, info.list_item, info.field, info.blank
    # Only a line's start can be a field's.
    return not piece.strip(), bool(_LIST_ITEM.match(piece)), None, _is_blank(piece)


def _paragraph_sentences(
    content: str, paragraph: list[int], vocabulary: SectionVocabulary
) -> list[_SentenceAt]:
    start, end = paragraph
    text, memo = content[start:end], vocabulary._paragraphs
    spans = memo[text] or memo.put(text, _sentence_spans(text))
    return [(start + a, start + b, None) for a, b in spans]


def _sentence_spans(text: str) -> tuple[_Pair, ...]:
    out: list[_Pair] = []
    pos = 0
    for boundary in _SENTENCE_BREAK.finditer(text):
        end = boundary.start() + 1
        if _abbreviation_before(text, pos, end):
            continue
        _add_sentence(out, text, pos, end)
        pos = boundary.end()
    _add_sentence(out, text, pos, len(text))
    return tuple(out)


def _abbreviation_before(text: str, start: int, end: int) -> bool:
    """_ABBREVIATION in ``text[start:end]``: it only matches at the end, so read only the end."""
    if end <= start or text[end - 1] != ".":
        return False  # `$` is the end of the text: no "\n" can end it here
    return bool(_ABBREVIATION.search(text[max(start, end - _ABBREVIATION_REACH) : end]))


def _add_sentence(out: list[_Pair], text: str, start: int, end: int) -> None:
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        out.append((start, end))


def _field_sentence(span: Span, field_at: _FieldAt, section: int) -> Sentence:
    return make_sentence(span, section, field_at.template, field_at.negative)


def _find_codes(note: Note, lines: _Lines, vocabulary: SectionVocabulary) -> None:
    """Codes written in the note: on coding lines and sections, or prefixed with CPT/HCPCS."""
    infos, starts, ends = lines.infos, lines.starts, lines.ends
    in_section = _in_coding_sections(note, starts)
    marked = {n for n, info in enumerate(infos) if info.coding or info.prefixed}
    for number in sorted(in_section | marked):
        info, start = infos[number], starts[number]
        if info.coding or number in in_section:
            note.coding_lines.append(Span(start, ends[number]))
            line = note.text[start : ends[number]]
            _add_mentions(note, start, _coding_mentions(line, info, vocabulary._coding))
        else:
            _add_mentions(note, start, info.prefixed)


def _in_coding_sections(note: Note, starts: list[int]) -> set[int]:
    """The lines that start inside the content of a coding section."""
    numbers: set[int] = set()
    for section in note.sections:
        if section.kind == "coding":
            content = section.content_span
            first = bisect.bisect_left(starts, content.start)
            numbers.update(range(first, bisect.bisect_left(starts, content.end)))
    return numbers


def _coding_mentions(
    line: str, info: _LineInfo, memo: Memo[str, tuple[_MentionAt, ...]]
) -> tuple[_MentionAt, ...]:
    """Every code on a coding line, after its label if it has one."""
    found = memo[line]
    if found is None:
        found = memo.put(line, _mentions(line, info.value_offset))
    return found


def _mentions(line: str, start: int, only_first: bool = False) -> tuple[_MentionAt, ...]:
    """Code mentions in ``line`` from ``start``: the same as in the whole note, where the line
    ends the search too, and the look-behind sees the same character (or, at the line's
    start, a newline instead of nothing: neither is one it rejects)."""
    out: list[_MentionAt] = []
    for match in _CODE_MENTION.finditer(line, start):
        modifiers = tuple(match.captures("mod"))  # every repetition's, in one step
        mod_spans = tuple(match.spans("mod"))
        units_text = (
            match.group("units")
            or match.group("units2")
            or match.group("units3")
            or match.group("units4")
        )
        units = int(units_text) if units_text else 1
        out.append((match.group("code"), modifiers, units, match.span(), mod_spans))
        if only_first:
            break
    return tuple(out)


def _add_mentions(note: Note, base: int, mentions: tuple[_MentionAt, ...]) -> None:
    for code, modifiers, units, (start, end), mod_spans in mentions:
        spans = tuple(Span(base + a, base + b) for a, b in mod_spans)
        note.codes.append(
            CodeMention(code, modifiers, units, Span(base + start, base + end), spans)
        )
