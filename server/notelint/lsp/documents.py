"""Open documents: their text, kept in sync with the editor by incremental changes."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types

from notelint.core.positions import Encoding, LineIndex, Position

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
            self.text, self._index = change.text, None
            return
        start = self.offset(change.range.start, encoding)
        end = max(start, self.offset(change.range.end, encoding))
        # Updating the index costs a fraction of building one, and the analysis of this
        # version uses it too (see index).
        self._index = self._index_for(encoding).edited(start, end, change.text)
        self.text = self._index.text

    def offset(self, position: types.Position, encoding: Encoding) -> int:
        """The string offset of an editor position, clamped as LSP says."""
        return self._index_for(encoding).offset(Position(position.line, position.character))

    def index(self, encoding: Encoding) -> LineIndex | None:
        """The line index of exactly the current text in ``encoding``, if one was built."""
        index = self._index
        if index is not None and index.text is self.text and index.encoding == encoding:
            return index
        return None

    def adopt(self, index: LineIndex) -> None:
        """Keep an index an analysis built, if it is of the current text: the next change
        then updates it rather than indexing the text again."""
        if index.text is self.text and self.index(index.encoding) is None:
            self._index = index

    def _index_for(self, encoding: Encoding) -> LineIndex:
        index = self.index(encoding)
        if index is None:
            index = self._index = LineIndex(self.text, encoding)  # once per whole text
        return index


def path_of(uri: str) -> Path | None:
    from pygls.uris import to_fs_path

    if not uri.startswith("file:"):
        return None
    path = to_fs_path(uri)
    return Path(path) if path else None
