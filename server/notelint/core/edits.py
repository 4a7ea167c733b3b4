"""Long notes lately analysed, kept for their next version: the one place long-note reuse lives.

An editor sends a whole long document on every keystroke, and the new version is the last one
but for a few characters. :class:`LongNotes` keeps what was made of the last few long texts an
engine analysed (their parse, scan and evidence) and, for a new text, finds the one it is an
edit of and how much of its head and tail is unchanged (``textdiff.differing_middle``): an
:class:`Earlier`. The three steps take it explicitly and redo only the changed middle:

- parsing (``note.parse_note``) reparses from the heading line before the change to the one
  after it and moves the earlier sections and sentences after it;
- the prefix scan (``prefix.PrefixIndex.scan``) scans the changed lines and moves the earlier
  starts after them;
- the evidence search (``match.EvidenceIndex.follow``) keeps the earlier answer of each
  concept found outside the sentences the edit can have changed, and the mentions per sentence
  and sentence keys that procedure recognition asked of the earlier version, moved (it reads
  every stating sentence of the note on every keystroke: about a thousand in 300 KB);
- the flowed text (``note.Note.flowed``) is the earlier's outside the reparsed sections.

Each is exact (``tests/test_evidence_edits.py``, ``tests/test_prefix.py``,
``tests/test_reuse.py``). Texts shorter than :data:`REUSE_FROM` are analysed from scratch: for
them comparing costs about what it saves. ``NOTELINT_NO_REUSE=1`` turns all of it off.

Whether each earns its keep: typing one character near the top (as ``bench/lsp_bench.py``
does) or in the middle of a long note, one engine, the pure build (``NOTELINT_PURE=1``), CPU
milliseconds per keystroke of ``analyze`` (median of 40 keystrokes; two runs, each variant in
the same run with one mechanism turned off; the machine's other load makes wall-clock times
swing by half, CPU time much less):

=============================  ==========  ==========  ==========  ==========
variant                        100 KB top  100 KB mid  300 KB top  300 KB mid
=============================  ==========  ==========  ==========  ==========
all three, in this module      13.6-13.8    9.8-11.6   36.8-38.1   34.0-34.2
all three, before (3 places)   12.6-14.4   10.8-11.9   38.2-40.6   32.5-34.9
no scan splice                 16.8-18.8   14.1-15.5   63.2-65.5   57.3-57.6
no evidence reuse              15.3-15.9   13.4-13.5   44.5-47.6   37.0-40.8
no reparse (so no evidence)    16.6        16.0-16.2   51.0-51.7   50.2-53.8
none of them                   17.9-19.1   17.4-17.7   64.2-66.0   58.6-61.1
=============================  ==========  ==========  ==========  ==========

(Those figures predate procedure recognition. With it, before the mentions per sentence were
carried over, a 300 KB keystroke took 53 ms of ``analyze`` in the compiled build and the server's
p99 was 78-90 ms; carrying them and splicing the flowed text brought ``analyze`` to 26-31 ms and
the p99 to 33-46 ms, ``bench/lsp_bench.py``, three runs.)

Without the scan splice a 300 KB keystroke also has a long tail (the slowest of 40 took
138-143 ms, against 41-44 ms). The compiled build's language server meets the 300 KB p99
target (under 50 ms) at 38-40 ms with all three (README); the cheapest of them to lose, the
evidence reuse, adds a fifth at 300 KB, which would leave that margin at a few milliseconds.
So all three stay, behind this one interface.

Threads: a version is kept by replacing the list whole, and what is kept is never changed
afterwards but by the evidence index filling in answers any thread would give; two threads
that race at worst miss a reuse.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from notelint.core.memo import REUSE
from notelint.core.textdiff import differing_middle

if TYPE_CHECKING:
    from notelint.core.candidates import Candidates
    from notelint.core.match import EvidenceIndex
    from notelint.core.note import Note

# A note this long that differs from one analysed lately in a few lines (an edit in the editor)
# is analysed only where it changed; a shorter one is analysed in less time than that takes.
REUSE_FROM = 64 * 1024
KEEP = 2  # long notes kept: the document being typed in, and one more open beside it


class Earlier(NamedTuple):
    """An earlier version of a text, as analysed, and how the text differs from it: all but
    its first ``head`` and last ``tail`` characters replaced."""

    note: Note
    scan: Candidates
    evidence: EvidenceIndex
    head: int
    tail: int


class LongNotes:
    """The long notes an engine analysed lately (see the module's doc)."""

    __slots__ = ("_recent",)

    def __init__(self) -> None:
        self._recent: tuple[tuple[Note, Candidates, EvidenceIndex], ...] = ()  # newest last

    def earlier(self, text: str) -> Earlier | None:
        """The newest version kept that ``text`` is an edit of, if ``text`` is long."""
        if len(text) < REUSE_FROM or not REUSE:
            return None
        for note, scan, evidence in reversed(self._recent):
            differs = differing_middle(note.text, text)
            if differs is not None:
                return Earlier(note, scan, evidence, *differs)
        return None

    def flowed(self, earlier: Earlier | None, note: Note) -> Earlier | None:
        """``earlier`` for the prefix scan, which reads the note's flowed text (a line break
        inside a sentence read as a space, see ``note.Note.flowed``): the head and tail the
        two flowed texts share, which a sentence rejoined across the edit can shorten; None
        when the note was not read as an edit of it."""
        if earlier is None or note.lineage is None:
            return None
        differs = differing_middle(earlier.note.flowed, note.flowed)
        return None if differs is None else earlier._replace(head=differs[0], tail=differs[1])

    def keep(self, note: Note, scan: Candidates, evidence: EvidenceIndex) -> None:
        """Keep what was made of a long note, for its next version."""
        if len(note.text) >= REUSE_FROM and REUSE:
            self._recent = (*self._recent[-(KEEP - 1) :], (note, scan, evidence))

    def forget(self) -> None:
        self._recent = ()

    def remembered(self) -> int:
        return len(self._recent)
