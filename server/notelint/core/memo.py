"""Bounded memos: what was worked out from a piece of text, kept because notes repeat text.

Templates make notes share most of their lines and sentences, and an edited document is the
same text as a moment ago but for what was typed; the steps of the analysis that depend on a
piece of text alone keep their results here. Memory stays bounded however many notes pass
through: each memo keeps two generations of entries, each of bounded size.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sized
from typing import TYPE_CHECKING, Generic, TypeVar

# The reference mode: with NOTELINT_NO_REUSE set, nothing worked out from one piece of text is
# kept for another (no memo keeps an entry, no long note is reused for its next version).
# Results must be identical either way (tests/test_reuse.py); only speed differs.
REUSE = not os.environ.get("NOTELINT_NO_REUSE")

_K = TypeVar("_K")
_V = TypeVar("_V")


def _text_size(key: object) -> int:
    return len(key) if isinstance(key, str) else 0


class Memo(dict[_K, _V], Generic[_K, _V]):
    """Key -> what was worked out from it. Read with ``memo[key]``: ``None`` when not kept.

    The dict itself is the young generation. When it is full it becomes the old one and the
    previous old one is dropped; a key read from the old generation moves back into the young
    one. So what recent notes still use survives a turnover, where emptying the memo at once
    would make the next few thousand notes work everything out again; and at most two
    generations' entries (``max_entries`` and ``max_chars`` each) are ever held.
    """

    def __init__(
        self,
        max_entries: int = 25_000,
        max_chars: int = 1_000_000,
        size: Callable[[_K], int] = _text_size,
    ) -> None:
        super().__init__()
        self._old: dict[_K, _V] = {}
        self._chars = 0
        self._max_entries, self._max_chars, self._size = max_entries, max_chars, size

    def __missing__(self, key: _K) -> _V | None:
        # Only a miss in the young generation costs a call: a hit stays in C.
        value = self._old.pop(key, None)
        return None if value is None else self.put(key, value)

    if TYPE_CHECKING:  # dict's own, in C, which calls __missing__ on a miss

        def __getitem__(self, key: _K) -> _V | None: ...  # type: ignore[override]

    def get(self, key: _K, default: _V | None = None) -> _V | None:  # type: ignore[override]
        """As ``memo[key]`` (both generations), slower: the memos' own code reads ``memo[key]``."""
        value = self[key]
        return default if value is None else value

    def put(self, key: _K, value: _V) -> _V:
        """Keep ``value`` under ``key``; the key's text counts towards the size bound."""
        if not REUSE:  # read here, not kept on the memo: memos are pickled with the rules
            return value
        size = self._size(key)
        if len(self) >= self._max_entries or self._chars + size > self._max_chars:
            self._old = self.copy()  # a plain dict, in C
            super().clear()
            self._chars = 0
        self[key] = value
        self._chars += size
        return value

    def clear(self) -> None:
        """Drop both generations."""
        super().clear()
        self._old = {}
        self._chars = 0

    def kept(self) -> int:
        """How many entries the two generations hold."""
        return len(self) + len(self._old)


def sentence_size(key: tuple[Sized, Sized]) -> int:
    """The text of a key made of two strings (a sentence and what precedes it)."""
    return len(key[0]) + len(key[1])
