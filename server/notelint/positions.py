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


class LineIndex:
    """Maps offsets in ``text`` to positions and back, for one encoding."""

    def __init__(self, text: str, encoding: Encoding = "utf-16") -> None:
        self.text = text
        self.encoding: Encoding = encoding
        if "\r" in text:
            breaks = list(_LINE_BREAK.finditer(text))
            self.line_starts = [0, *(m.end() for m in breaks)]
            self._line_ends = [m.start() for m in breaks]
        else:  # the common case, with every step in C: built on each keystroke in the server
            lengths = itertools.accumulate(map(len, text.split("\n")))
            ends = list(map(operator.add, lengths, itertools.count()))[:-1]
            self._line_ends = ends
            self.line_starts = [0, *map(operator.add, ends, itertools.repeat(1))]

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
