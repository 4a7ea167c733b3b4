"""Parse a note as written: sections, fields, sentences, placeholders and code mentions.

Pure: text in, a :class:`Note` out. Offsets are Python string offsets into the original text.
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field

import regex

from notelint.findings import CodeMention, Span
from notelint.prefix import PrefixIndex

_MARKDOWN_HEADING = regex.compile(r"^[ \t]{0,3}#{1,6}[ \t]+(?P<label>.+?)[ \t]*#*[ \t]*$")
# "Label: value" or "Label:" alone; optional list marker or numbering before the label.
_LABEL_LINE = regex.compile(
    r"^(?P<lead>[ \t]*(?:[-*•>]+[ \t]*)*(?:\(?\d{1,2}[.)][ \t]+|[A-Z][.)][ \t]+)?)"
    r"(?P<label>[A-Za-z][A-Za-z0-9 /&'(),.#-]{0,48}?)[ \t]*:(?:[ \t]+(?P<value>\S.*?))?[ \t]*$"
)


@functools.lru_cache(maxsize=2048)
def _label_line(line: str) -> regex.Match[str] | None:
    """_LABEL_LINE on one line: each line is tried by several steps, and lines recur."""
    return _LABEL_LINE.match(line)


_ALL_CAPS = regex.compile(r"^[ \t]*(?P<label>[A-Z][A-Z0-9 /&,()'-]{2,60}?)[ \t]*$")
_LIST_ITEM = regex.compile(r"^[ \t]*(?:[-*•]|\d{1,2}[.)]|[A-Z][.)])[ \t]+")
_SENTENCE_END = regex.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")
_ABBREVIATION = regex.compile(
    r"(?:\b(?:Dr|Mr|Mrs|Ms|St|vs|approx|e\.g|i\.e|No|Fig|cf|etc|incl|M\.D|D\.O|Ph\.D)|\b[A-Z])\.$"
)
_MENU_WORD = r"(?:yes|no|none|nil|minimal|mild|moderate|severe|good|fair|poor|left|right|bilateral|done|not done|n/a)"
_PLACEHOLDER = regex.compile(
    r"\[[^\[\]\n]{0,120}\]|\{\{[^{}\n]{0,120}\}\}|_{3,}|\*{3,}|\bX{3,}\b|<<[^<>\n]{0,60}>>"
    rf"|\b{_MENU_WORD}(?:,[ \t]*{_MENU_WORD})?(?:[ \t]*/[ \t]*{_MENU_WORD}\b(?:,[ \t]*{_MENU_WORD}\b)?)+",
    regex.IGNORECASE,
)
_PLACEHOLDERS = PrefixIndex([_PLACEHOLDER])  # the same matches, tried only where one can start
_WORD_CHAR = regex.compile(r"[^\W_]")
NEGATIVE_VALUE = regex.compile(
    r"^(?:none|no|nil|n/?a|not (?:done|obtained|performed|applicable|available)|-+)\.?$",
    regex.IGNORECASE,
)

_CODE = r"(?:\d{5}|\d{4}[TFU]|[A-V]\d{4})"
_CODING_LABEL = regex.compile(
    r"^(?:cpt|hcpcs|cpt/hcpcs|cpt ?codes?|procedure codes?|billing(?: codes?)?|codes?|coding|charges?|cpt\(s\))$",
    regex.IGNORECASE,
)
_CODE_MENTION = regex.compile(
    rf"(?<![\w.-])(?P<code>{_CODE})(?P<mods>(?:[ \t]*-[ \t]?[0-9A-Z]{{2}}\b)*)"
    r"(?:[ \t]*(?:[x×][ \t]*(?P<units>\d{1,3})\b|\([ \t]*(?P<units2>\d{1,3})[ \t]*units?[ \t]*\)|[ \t]+(?P<units3>\d{1,3})[ \t]*units?\b))?",
)
_PREFIXED_CODE = regex.compile(
    rf"\b(?:CPT|HCPCS)(?:[ \t]*codes?)?[ \t]*[:#]?[ \t]*(?={_CODE}(?![\w]))"
)
_MODIFIER = regex.compile(r"-[ \t]?([0-9A-Z]{2})\b")


@dataclass(frozen=True, slots=True)
class Section:
    kind: str
    heading: str
    heading_span: Span
    span: Span  # the heading line through the end of the section's content
    content_span: Span
    empty: bool


@dataclass(frozen=True, slots=True)
class Sentence:
    span: Span
    section: int
    is_field: bool = False
    label_span: Span | None = None
    value_span: Span | None = None
    # A template field with no real value: empty, a placeholder, or a menu of choices.
    is_template: bool = False
    negative_value: bool = False


@dataclass(slots=True)
class Note:
    text: str
    sections: list[Section] = field(default_factory=list)
    sentences: list[Sentence] = field(default_factory=list)
    placeholders: list[Span] = field(default_factory=list)  # in order, never overlapping
    codes: list[CodeMention] = field(default_factory=list)
    coding_lines: list[Span] = field(default_factory=list)

    def section_of(self, sentence: Sentence) -> Section:
        return self.sections[sentence.section]

    def in_placeholder(self, start: int, end: int) -> bool:
        # Spans are ordered and disjoint: only the first one ending after `start` can overlap.
        first = bisect.bisect_right(self.placeholders, start, key=lambda p: p.end)
        return first < len(self.placeholders) and self.placeholders[first].start < end


@dataclass(frozen=True, slots=True)
class _Line:
    start: int
    end: int
    text: str


def _lines(text: str) -> list[_Line]:
    out, pos = [], 0
    for raw in text.split("\n"):
        out.append(_Line(pos, pos + len(raw), raw.rstrip("\r")))
        pos += len(raw) + 1
    return out


class SectionVocabulary:
    """Heading text -> section kind, from the knowledge base's [section] tables."""

    _SPACES = regex.compile(r"[\s_]+")
    _NUMBERING = regex.compile(r"^\d+[.)]\s*")

    def __init__(self, headings: Mapping[str, list[str]]) -> None:
        self._kinds = {h: kind for kind, hs in headings.items() for h in hs}
        self._seen: dict[str, str | None] = {}  # labels recur from note to note

    def kind(self, label: str) -> str | None:
        if label not in self._seen:
            if len(self._seen) >= 10_000:
                self._seen.clear()
            key = self._SPACES.sub(" ", label.strip().strip("#*:").lower()).strip()
            self._seen[label] = self._kinds.get(self._NUMBERING.sub("", key))
        return self._seen[label]


def parse_note(text: str, vocabulary: SectionVocabulary) -> Note:
    note = Note(text=text)
    placeholders = _PLACEHOLDERS.scan(text).finditer(0)
    note.placeholders = [Span(m.start(), m.end()) for m in placeholders]
    lines = _lines(text)
    heads = _find_headings(lines, vocabulary)
    _build_sections(note, lines, heads)
    line_starts = [line.start for line in lines]
    for index, section in enumerate(note.sections):
        # Only the lines from the one holding the section's start can overlap it.
        first = max(bisect.bisect_right(line_starts, section.content_span.start) - 1, 0)
        _split_sentences(note, lines[first:], section, index)
    _find_codes(note, lines)
    return note


@dataclass(frozen=True, slots=True)
class _Heading:
    line: int
    kind: str
    label: str
    label_span: Span
    inline_value: Span | None  # "INDICATION: knee pain" keeps its content on the heading line


def _find_headings(lines: list[_Line], vocabulary: SectionVocabulary) -> list[_Heading]:
    heads: list[_Heading] = []
    for number, line in enumerate(lines):
        heading = _heading(line, vocabulary)
        if heading:
            heads.append(_Heading(number, *heading))
    return heads


def _heading(
    line: _Line, vocabulary: SectionVocabulary
) -> tuple[str, str, Span, Span | None] | None:
    text = line.text
    if not text.strip():
        return None
    markdown = _MARKDOWN_HEADING.match(text)
    if markdown:
        label = markdown.group("label").strip("*: ")
        span = Span(line.start + markdown.start("label"), line.start + markdown.end("label"))
        return vocabulary.kind(label) or "other", label, span, None
    labelled = _label_line(text)
    if labelled:
        label = labelled.group("label").strip()
        kind = vocabulary.kind(label)
        span = Span(line.start + labelled.start("label"), line.start + labelled.end("label"))
        if kind:
            value = labelled.group("value")
            inline = (
                Span(line.start + labelled.start("value"), line.start + labelled.end("value"))
                if value
                else None
            )
            return kind, label, span, inline
        if (
            labelled.group("value") is None
            and len(label.split()) <= 6
            and not labelled.group("lead").strip()
        ):
            return "other", label, span, None
        return None
    caps = _ALL_CAPS.match(text)
    if (
        caps
        and sum(c.isalpha() for c in caps.group("label")) >= 3
        and len(caps.group("label").split()) <= 8
    ):
        label = caps.group("label")
        span = Span(line.start + caps.start("label"), line.start + caps.end("label"))
        return vocabulary.kind(label) or "other", label, span, None
    return None


def _build_sections(note: Note, lines: list[_Line], heads: list[_Heading]) -> None:
    end_of_text = len(note.text)
    if not heads or heads[0].line > 0:
        first = heads[0].line if heads else len(lines)
        end = lines[first].start if first < len(lines) else end_of_text
        note.sections.append(_section(note, "body", "", Span(0, 0), Span(0, end), Span(0, end)))
    for i, head in enumerate(heads):
        line = lines[head.line]
        next_line = heads[i + 1].line if i + 1 < len(heads) else len(lines)
        next_start = lines[next_line].start if next_line < len(lines) else end_of_text
        if head.inline_value:
            # "Reason for guidance: N/A" owns its line and any soft-wrapped continuation;
            # what follows is narrative of its own, not more of that field.
            last = _continuation_end(lines, head.line, next_line)
            end = min(lines[last].end + 1, next_start)
            content = Span(head.inline_value.start, lines[last].end)
            note.sections.append(
                _section(
                    note, head.kind, head.label, head.label_span, Span(line.start, end), content
                )
            )
            if end < next_start:
                rest = Span(end, next_start)
                note.sections.append(_section(note, "body", "", Span(end, end), rest, rest))
            continue
        content_start = min(line.end + 1, end_of_text)
        content = Span(content_start, max(content_start, next_start))
        note.sections.append(
            _section(
                note, head.kind, head.label, head.label_span, Span(line.start, next_start), content
            )
        )


def _continuation_end(lines: list[_Line], first: int, stop: int) -> int:
    """The last line of a sentence that starts on line ``first`` and wraps onto lowercase lines."""
    last = first
    while last + 1 < stop:
        following = lines[last + 1].text.lstrip()
        if not following or _label_line(lines[last + 1].text) or not following[0].islower():
            break
        if lines[last].text.rstrip().endswith((".", "!", "?", ":", ";")):
            break
        if _ends_in_placeholder(lines[last].text):
            break  # a template field ("Images: [***]") does not wrap onto the next line
        last += 1
    return last


def _ends_in_placeholder(text: str) -> bool:
    trailing = [m for m in _PLACEHOLDER.finditer(text) if not text[m.end() :].strip()]
    return bool(trailing)


def _section(
    note: Note, kind: str, heading: str, heading_span: Span, span: Span, content: Span
) -> Section:
    empty = _is_blank(note.text[content.start : content.end])
    return Section(kind, heading, heading_span, span, content, empty)


def _is_blank(text: str) -> bool:
    """Nothing written but placeholders, punctuation and white space."""
    if not _WORD_CHAR.search(text):
        return True  # removing placeholders cannot add a word character
    return not _WORD_CHAR.search(_PLACEHOLDER.sub("", text))


def _split_sentences(note: Note, lines: list[_Line], section: Section, index: int) -> None:
    paragraph: list[_Line] = []

    def flush() -> None:
        if paragraph:
            _sentences_in(note, paragraph[0].start, paragraph[-1].end, index)
            paragraph.clear()

    for line in lines:
        if line.start >= section.content_span.end:
            break  # lines are in order: none further overlaps the section
        start, end = (
            max(line.start, section.content_span.start),
            min(line.end, section.content_span.end),
        )
        if end <= start:
            continue
        piece = _Line(start, end, note.text[start:end])
        if not piece.text.strip():
            flush()
            continue
        labelled = _label_line(piece.text) if start == line.start else None
        if labelled:
            flush()
            note.sentences.append(_field_sentence(note, piece, labelled, index))
            continue
        if _LIST_ITEM.match(piece.text):
            flush()
        paragraph.append(piece)
    flush()


def _field_sentence(note: Note, line: _Line, match: regex.Match[str], section: int) -> Sentence:
    label = Span(line.start + match.start("label"), line.start + match.end("label"))
    if match.group("value") is None:
        return Sentence(Span(line.start, line.end), section, True, label, None, is_template=True)
    value = Span(line.start + match.start("value"), line.start + match.end("value"))
    raw = note.text[value.start : value.end]
    template = _is_blank(raw)
    negative = bool(NEGATIVE_VALUE.match(raw.strip()))
    return Sentence(Span(line.start, line.end), section, True, label, value, template, negative)


def _sentences_in(note: Note, start: int, end: int, section: int) -> None:
    text = note.text[start:end]
    pos = 0
    for boundary in _SENTENCE_END.finditer(text):
        if _ABBREVIATION.search(text[pos : boundary.start()]):
            continue
        _add_sentence(note, start + pos, start + boundary.start(), section)
        pos = boundary.end()
    _add_sentence(note, start + pos, end, section)


def _add_sentence(note: Note, start: int, end: int, section: int) -> None:
    while end > start and note.text[end - 1].isspace():
        end -= 1
    if end > start:
        note.sentences.append(Sentence(Span(start, end), section))


def _find_codes(note: Note, lines: list[_Line]) -> None:
    """Codes written in the note: on coding lines and sections, or prefixed with CPT/HCPCS."""
    coding_sections = [s.content_span for s in note.sections if s.kind == "coding"]
    for line in lines:
        labelled = _label_line(line.text)
        is_coding = bool(labelled and _CODING_LABEL.match(labelled.group("label").strip()))
        in_section = any(s.start <= line.start < s.end for s in coding_sections)
        if is_coding or in_section:
            note.coding_lines.append(Span(line.start, line.end))
            offset = line.start + (
                labelled.start("value") if labelled and labelled.group("value") else 0
            )
            _mentions(note, offset, line.end)
        else:
            for prefix in _PREFIXED_CODE.finditer(line.text):
                _mentions(note, line.start + prefix.end(), line.end, only_first=True)


def _mentions(note: Note, start: int, end: int, only_first: bool = False) -> None:
    for match in _CODE_MENTION.finditer(note.text, start, end):
        mods = match.group("mods") or ""
        mod_base = match.start("mods")
        modifiers = tuple(m.group(1) for m in _MODIFIER.finditer(mods))
        mod_spans = tuple(
            Span(mod_base + m.start(1), mod_base + m.end(1)) for m in _MODIFIER.finditer(mods)
        )
        units_text = match.group("units") or match.group("units2") or match.group("units3")
        units = int(units_text) if units_text else 1
        note.codes.append(
            CodeMention(
                match.group("code"), modifiers, units, Span(match.start(), match.end()), mod_spans
            )
        )
        if only_first:
            return
