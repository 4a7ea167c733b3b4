"""The one place that converts string offsets to line/character positions.

Analysis works on Python string offsets (code points). Editors speak LSP positions whose
``character`` counts UTF-16 code units by default (or UTF-8 bytes, or code points, as
negotiated). Everything that leaves the core goes through :class:`LineIndex`.
"""

from __future__ import annotations

import bisect
import itertools
import operator
import re
from dataclasses import dataclass
from typing import Literal

Encoding = Literal["utf-16", "utf-8", "utf-32"]
# LSP ends a line at \r\n, \n or a lone \r.
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True, slots=True)
class Position:
    line: int  # 0-based
    character: int  # 0-based, in the index's encoding units


@dataclass(frozen=True, slots=True)
class Range:
    start: Position
    end: Position


def _units(text: str, encoding: Encoding) -> int:
    if encoding == "utf-32" or text.isascii():
        return len(text)
    if encoding == "utf-16":
        return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)
    return len(text.encode("utf-8"))


def _breaks(text: str, base: int = 0) -> tuple[list[int], list[int]]:
    """Where each line break in ``text`` begins and ends (where the next line starts), plus
    ``base``: the break's offsets in a larger text that ``text`` is a slice of."""
    if "\r" in text:
        found = list(_LINE_BREAK.finditer(text))
        return [m.start() + base for m in found], [m.end() + base for m in found]
    # the common case, with every step in C: the server indexes each text version it lints
    lengths = itertools.accumulate(map(len, text.split("\n")))
    ends = list(map(operator.add, lengths, itertools.count(base)))[:-1]
    return ends, list(map(operator.add, ends, itertools.repeat(1)))


def _shifted(offsets: list[int], delta: int) -> list[int]:
    """``offsets`` moved by ``delta`` (``offsets`` itself when ``delta`` is 0)."""
    return offsets if delta == 0 else list(map(operator.add, offsets, itertools.repeat(delta)))


class LineIndex:
    """Maps offsets in ``text`` to positions and back, for one encoding."""

    def __init__(self, text: str, encoding: Encoding = "utf-16") -> None:
        self.text = text
        self.encoding: Encoding = encoding
        self._line_ends, starts = _breaks(text)
        self.line_starts = [0, *starts]

    def edited(self, start: int, end: int, new_text: str) -> LineIndex:
        """The index of this text with ``text[start:end]`` replaced by ``new_text``: equal to a
        fresh ``LineIndex`` of the result, at the cost of rescanning only the edited lines
        (the server updates its index on each keystroke). ``self`` is left as it was.

        Whether a break is a CRLF or a lone CR or LF depends only on its neighbours. So the
        breaks before the line above the edit stay (a CR right before ``start`` could join an LF
        that the edit inserts), and so do the breaks that begin after ``end``, shifted by the
        change in length (an LF right at ``end`` could join a CR before it); the text between
        is scanned again.
        """
        start = max(0, min(start, len(self.text)))
        end = max(start, min(end, len(self.text)))
        text = self.text[:start] + new_text + self.text[end:]
        delta = len(new_text) - (end - start)
        first = max(self.line_of(start) - 1, 0)  # the first line scanned again
        after = bisect.bisect_right(self._line_ends, end)  # the first break kept after the edit
        scan_from = self.line_starts[first]
        scan_to = self._line_ends[after] + delta if after < len(self._line_ends) else len(text)
        ends, starts = _breaks(text[scan_from:scan_to], scan_from)
        index = LineIndex.__new__(LineIndex)
        index.text = text
        index.encoding = self.encoding
        index._line_ends = self._line_ends[:first] + ends + _shifted(self._line_ends[after:], delta)
        index.line_starts = (
            self.line_starts[: first + 1] + starts + _shifted(self.line_starts[after + 1 :], delta)
        )
        return index

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self.line_starts, offset) - 1

    def position(self, offset: int) -> Position:
        offset = max(0, min(offset, len(self.text)))
        line = self.line_of(offset)
        start = self.line_starts[line]
        return Position(line, _units(self.text[start:offset], self.encoding))

    def range(self, start: int, end: int) -> Range:
        return Range(self.position(start), self.position(end))

    def line_end(self, line: int) -> int:
        """Offset of the end of ``line``, before its line break."""
        return self._line_ends[line] if line < len(self._line_ends) else len(self.text)

    def offset(self, position: Position) -> int:
        """Offset of an editor position; positions past a line's end clamp to it (as LSP says)."""
        if position.line >= len(self.line_starts):
            return len(self.text)
        if position.line < 0:
            return 0
        start = self.line_starts[position.line]
        end = self.line_end(position.line)
        if self.encoding == "utf-32" or self.text[start:end].isascii():
            return min(start + max(position.character, 0), end)
        units = 0
        for i in range(start, end):
            if units >= position.character:
                return i
            units += _units(self.text[i], self.encoding)
        return end
