"""Open documents: their text, kept in sync with the editor by incremental changes."""

from __future__ import annotations

from dataclasses import dataclass, field
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
    _index: LineIndex | None = field(default=None, repr=False)

    def apply(self, change: types.TextDocumentContentChangeEvent, encoding: Encoding) -> None:
        if isinstance(change, types.TextDocumentContentChangeWholeDocument):
            self.text = change.text
        else:
            start = self.offset(change.range.start, encoding)
            end = max(start, self.offset(change.range.end, encoding))
            self.text = self.text[:start] + change.text + self.text[end:]
        self._index = None

    def offset(self, position: types.Position, encoding: Encoding) -> int:
        """The string offset of an editor position, clamped as LSP says."""
        if self._index is None or self._index.encoding != encoding:
            self._index = LineIndex(self.text, encoding)  # once per text version
        return self._index.offset(Position(position.line, position.character))


def path_of(uri: str) -> Path | None:
    from pygls.uris import to_fs_path

    if not uri.startswith("file:"):
        return None
    path = to_fs_path(uri)
    return Path(path) if path else None
