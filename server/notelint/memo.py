"""Bounded memos: what was worked out from a piece of text, kept because notes repeat text.

Templates make notes share most of their lines and sentences, and an edited document is the
same text as a moment ago but for what was typed; the steps of the analysis that depend on a
piece of text alone keep their results here. Each memo empties itself when it holds too many
entries or too much text, so memory stays bounded however many notes pass through.
"""

from __future__ import annotations

from typing import Generic, TypeVar

_K = TypeVar("_K")
_V = TypeVar("_V")


class Memo(dict[_K, _V], Generic[_K, _V]):
    """Key -> what was worked out from it; emptied when it holds too much."""

    def __init__(self, max_entries: int = 50_000, max_chars: int = 2_000_000) -> None:
        super().__init__()
        self._chars = 0
        self._max_entries, self._max_chars = max_entries, max_chars

    def put(self, key: _K, value: _V, chars: int | None = None) -> _V:
        """Keep ``value`` under ``key``, which holds ``chars`` characters of text (the key's
        length, by default)."""
        size = len(key) if chars is None and isinstance(key, str) else chars or 0
        if len(self) >= self._max_entries or self._chars + size > self._max_chars:
            self.clear()
        self[key] = value
        self._chars += size
        return value

    def clear(self) -> None:
        super().clear()
        self._chars = 0
