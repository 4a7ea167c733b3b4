"""The one place where analysing notes keeps anything from one note to the next.

What is compiled from the rules (patterns, their prefix index, vocabularies, tables) depends
on the knowledge base alone and is built once per knowledge base, as its
:class:`~notelint.core.compiled_rules.CompiledRules` (``engine.rules``). What is worked out from
note text (a line's parse, a sentence's matches and assertion context, a stating sentence's
reading, long notes lately analysed, for their next version) is kept in memos, and every memo
belongs to an :class:`Engine`: each front end owns one per knowledge base (the language server,
each batch worker, each Spark partition) and passes it to ``analyze``. Without one, ``analyze``
uses a fresh engine and keeps nothing between calls.

Memos never change a result (``tests/test_reuse.py``): ``NOTELINT_NO_REUSE=1`` turns every one
of them off. One engine may serve several threads at once (see ``docs/architecture.md``).
"""

from __future__ import annotations

import threading

from notelint.core.compiled_rules import CompiledRules
from notelint.core.edits import LongNotes
from notelint.core.episodes import Recognition
from notelint.core.match import CompiledMatcher
from notelint.core.note import SectionVocabulary
from notelint.kb import KnowledgeBase


class Engine:
    """The memos of analysing notes with one knowledge base."""

    __slots__ = ("kb", "long_notes", "matcher", "recognition", "rules", "sections")

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.rules = CompiledRules.of(kb)  # shared by every engine of this knowledge base
        # Their memos, this engine's own; their compiled parts, the rules'.
        self.sections: SectionVocabulary = self.rules.sections.fresh()
        self.matcher: CompiledMatcher = self.rules.matcher.fresh()
        self.recognition: Recognition = self.rules.recognition.fresh()
        self.long_notes = LongNotes()  # for the next version of each (see edits.py)

    def forget(self) -> None:
        """Drop everything kept of the notes analysed so far."""
        self.sections.forget()
        self.matcher.forget()
        self.recognition.forget()
        self.long_notes.forget()

    def remembered(self) -> int:
        """How many pieces of note text the memos hold (0 after :meth:`forget`)."""
        parts = (self.sections, self.matcher, self.recognition, self.long_notes)
        return sum(part.remembered() for part in parts)


class Engines:
    """An engine per knowledge base, made on first use: for a front end whose settings may
    name several rule folders (the language server, a batch worker). Safe to use from several
    threads."""

    def __init__(self) -> None:
        self._by_kb: dict[int, tuple[KnowledgeBase, Engine]] = {}  # the kb keeps its id unique
        self._lock = threading.Lock()

    def of(self, kb: KnowledgeBase) -> Engine:
        found = self._by_kb.get(id(kb))
        if found is None or found[0] is not kb:
            with self._lock:
                found = self._by_kb.get(id(kb))
                if found is None or found[0] is not kb:
                    found = self._by_kb[id(kb)] = (kb, Engine(kb))
        return found[1]

    def forget(self) -> None:
        """Drop every engine, and with them everything kept of the notes analysed."""
        with self._lock:
            for _, engine in self._by_kb.values():
                engine.forget()
            self._by_kb.clear()

    def remembered(self) -> int:
        return sum(engine.remembered() for _, engine in list(self._by_kb.values()))
