"""What the analysis compiles from a knowledge base: built once per knowledge base, never
holding note text.

:class:`CompiledRules` has one typed attribute per table: the concepts' and context triggers'
patterns with their prefix index (``matcher``), the section vocabulary (``sections``), what
procedure recognition reads of the families (``recognition``) and deciding's code tables
(``decide``). Each is built on first use, and then only read: the memos of note text that
analysis keeps are an engine's (``engine.Engine`` takes its own ``fresh()`` copy of the
matcher, vocabulary and recognition, sharing their compiled parts).

There is one per knowledge base: :meth:`CompiledRules.of` makes it and sets
``KnowledgeBase.compiled``, which nothing else writes. Analysis functions never read that
attribute; they are handed the tables they need (``analysis.analyze`` passes an engine's).
The knowledge-base disk cache (``kb/cache.py``) builds the matcher, the one table that takes
long to build (compiling the patterns and indexing their prefixes, over a second), before
pickling the rules, so that a start-up from the cache loads it ready; the other tables take
well under a millisecond and are built on first use.

Threads: the language server analyses in two threads sharing one engine, and each engine's
tables come from here. A table is built under this object's lock and published once built
(checked again under the lock), so two threads never build one twice and none sees one half
built; reading a built table takes no lock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from notelint.checks.context import Tables, build_tables
from notelint.core.episodes import Recognition, build_recognition
from notelint.core.match import CompiledMatcher, build_matcher
from notelint.core.note import SectionVocabulary

if TYPE_CHECKING:
    from notelint.kb import KnowledgeBase

_T = TypeVar("_T")

_MAKING = threading.Lock()  # held only while a knowledge base's CompiledRules is made


class CompiledRules:
    """The tables compiled from one knowledge base (see the module's doc)."""

    __slots__ = ("_decide", "_lock", "_matcher", "_recognition", "_sections", "kb")

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self._lock = threading.Lock()
        self._matcher: CompiledMatcher | None = None
        self._sections: SectionVocabulary | None = None
        self._recognition: Recognition | None = None
        self._decide: Tables | None = None

    @staticmethod
    def of(kb: KnowledgeBase) -> CompiledRules:
        """The knowledge base's compiled rules, made on first use (one per knowledge base)."""
        rules = kb.compiled
        if rules is None or rules.kb is not kb:
            with _MAKING:
                rules = kb.compiled
                if rules is None or rules.kb is not kb:  # a copied kb must not share tables
                    rules = kb.compiled = CompiledRules(kb)
        return rules

    @property
    def matcher(self) -> CompiledMatcher:
        """The patterns of concepts, context triggers and sided anatomy, with their prefix
        index: its memos stay empty (an engine matches with a ``fresh()`` copy)."""
        return self._built("_matcher", build_matcher)

    @property
    def sections(self) -> SectionVocabulary:
        """Heading text -> section kind: its memos stay empty (engines take ``fresh()`` ones)."""
        return self._built("_sections", _section_vocabulary)

    @property
    def recognition(self) -> Recognition:
        """What recognising procedures reads of the families: its memo stays empty."""
        return self._built("_recognition", build_recognition)

    @property
    def decide(self) -> Tables:
        """Deciding's code tables: families by code, policies and unit limits with their code
        ranges expanded, side modifiers, modifier conflicts."""
        return self._built("_decide", build_tables)

    def _built(self, slot: str, make: Callable[[KnowledgeBase], _T]) -> _T:
        """The table in ``slot``, made by ``make`` on first use: under the lock, checked again
        inside it, so that threads asking at once get one table; read without it after."""
        table = getattr(self, slot)
        if table is None:
            with self._lock:
                table = getattr(self, slot)
                if table is None:
                    table = make(self.kb)
                    setattr(self, slot, table)
        return cast(_T, table)

    def remembered(self) -> int:
        """How many pieces of note text the tables hold: none (the disk cache checks it before
        writing, and the tests after analysing)."""
        parts = (self._matcher, self._sections, self._recognition)
        return sum(part.remembered() for part in parts if part is not None)

    # Pickled with the knowledge base by its disk cache: the tables built so far, no lock.
    def __getstate__(self) -> dict[str, Any]:
        return {
            "kb": self.kb,
            "matcher": self._matcher,
            "sections": self._sections,
            "recognition": self._recognition,
            "decide": self._decide,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.kb = state["kb"]
        self._lock = threading.Lock()
        self._matcher = state["matcher"]
        self._sections = state["sections"]
        self._recognition = state["recognition"]
        self._decide = state["decide"]


def _section_vocabulary(kb: KnowledgeBase) -> SectionVocabulary:
    return SectionVocabulary(kb.sections, kb.rest_reads_as, kb.heading_words)
