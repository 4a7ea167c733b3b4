"""What matching needs of a text's scan: where each pattern may match, and its matches there.

Evidence search (``match.py``) and assertion context (``context.py``) depend on this interface
only. ``prefix.Scan`` implements it with a literal-prefix index; any other way of finding
candidate starts (a multi-pattern automaton, a compiled pass) can stand in for it, provided it
gives exactly the matches that ``pattern.finditer`` would.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol

import regex


class Candidates(Protocol):
    """One text's candidate match starts, per pattern number of the matcher that scanned it."""

    text: str

    def candidates(self, number: int) -> list[int] | None:
        """Where pattern ``number`` may start (ascending), or ``None`` when anywhere; a search
        that stops at one of :meth:`cut_ends` may also match elsewhere."""
        ...

    def cut_ends(self, number: int) -> list[int]:
        """Ends of searches at which pattern ``number`` has starts beyond :meth:`candidates`."""
        ...

    def may_match_any(self, numbers: Iterable[int], pos: int, endpos: int) -> list[int]:
        """Those of ``numbers`` (in order) that may match in text[pos:endpos]: a superset of
        those that do."""
        ...

    def finditer(
        self, number: int, pos: int = 0, endpos: int | None = None
    ) -> Iterator[regex.Match[str]]:
        """Exactly ``pattern.finditer(text, pos, endpos)``."""
        ...

    def spans(self, number: int, pos: int, endpos: int) -> tuple[tuple[int, int], ...]:
        """As :meth:`finditer`, each match as (start, end) relative to ``pos``."""
        ...
