"""Open documents: their text, kept in sync with the editor by incremental changes."""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types

from notelint.positions import Encoding, LineIndex, Position

if TYPE_CHECKING:
    import asyncio

    from notelint.lsp.linting import Analysis


@dataclass(eq=False)
class LintState:
    """Where linting of one document stands."""

    latest: Analysis | None = None  # the newest analysis of any version
    published: Analysis | None = None  # what the client shows, or should pull
    timer: asyncio.Task[None] | None = None  # a debounced lint, waiting or running
    running: asyncio.Task[Analysis] | None = None  # at most one analysis per document


@dataclass(eq=False)
class Document:
    uri: str
    text: str
    version: int
    path: Path | None  # on disk, for finding the project's config; None for untitled buffers
    lint: LintState = field(default_factory=LintState)
    _line_starts: list[int] | None = field(default=None, repr=False)

    def apply(self, change: types.TextDocumentContentChangeEvent, encoding: Encoding) -> None:
        if isinstance(change, types.TextDocumentContentChangeWholeDocument):
            self.text = change.text
        else:
            start = self.offset(change.range.start, encoding)
            end = max(start, self.offset(change.range.end, encoding))
            self.text = self.text[:start] + change.text + self.text[end:]
        self._line_starts = None

    def offset(self, position: types.Position, encoding: Encoding) -> int:
        """The string offset of an editor position, clamped as LSP says.

        Only the position's own line goes through a LineIndex: building one for the whole text
        on every keystroke would cost a quarter of a second on a 5 MB note.
        """
        starts = self._starts()
        if position.line >= len(starts):
            return len(self.text)
        start = starts[max(position.line, 0)]
        end = starts[position.line + 1] - 1 if position.line + 1 < len(starts) else len(self.text)
        line = LineIndex(self.text[start:end], encoding)
        return start + line.offset(Position(0, position.character))

    def _starts(self) -> list[int]:
        if self._line_starts is None:
            lines = self.text.split("\n")
            # Each line starts after the lengths of the lines before it and their newlines.
            self._line_starts = list(
                map(operator.add, accumulate(map(len, lines), initial=0), range(len(lines)))
            )
        return self._line_starts


def path_of(uri: str) -> Path | None:
    from pygls.uris import to_fs_path

    if not uri.startswith("file:"):
        return None
    path = to_fs_path(uri)
    return Path(path) if path else None
