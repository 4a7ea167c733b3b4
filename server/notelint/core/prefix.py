"""Where a pattern can match, found without running it: required literal prefixes.

``required_prefixes(p)`` returns literals such that every match of ``p`` begins with one of them
(compared case-insensitively), each with the word-boundary or line-start conditions that ``p``
also requires around it, or ``None`` when that cannot be shown. It is only used to skip start
positions where a match is impossible, so it must never be too narrow; too wide only costs
time. Anything unfamiliar therefore gives ``None``, and such a pattern is scanned in full.

The pattern is read with :mod:`notelint.core.regex_syntax`, a reader of the subset of the syntax
that means the same under ``re`` and ``regex`` and that rule patterns use; anything else makes
it give up, ``regex``-only syntax that it would take for literal text is caught first (POSIX
classes, fuzzy matching), and flags that could change the reading make us give up too.

:class:`PrefixIndex` then finds, in one pass over a text, the candidate starts of many
patterns, and :meth:`Scan.finditer` tries each pattern only there, with ``match``: the same
matches as ``finditer``, since a search tries the same positions in the same order.
"""

from __future__ import annotations

import bisect
import codecs
import copy
import functools
import itertools
import re
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import regex

from notelint.core.memo import REUSE, Memo
from notelint.core.regex_syntax import (
    MAX_REPEAT,
    Anchor,
    AnyChar,
    Atomic,
    Branch,
    Char,
    Class,
    ClassItem,
    Conditional,
    Group,
    Look,
    Node,
    NotChar,
    Repeat,
    Seq,
    UnsupportedError,
    parse,
    width,
)

if TYPE_CHECKING:
    from notelint.core.edits import Earlier

_MAX_PREFIX = 8  # longer prefixes add little selectivity
_MAX_SET = 256  # give up rather than enumerate a huge set
_SMALL_CLASS = 4  # expand [sz] or [- ] into alternatives, not wider classes
# Flags that cannot change which literal a match starts with: case is folded anyway, and
# `.`, `^` and `$` are never read as literals. Any other (verbose, ASCII...) makes us give up.
_HARMLESS_FLAGS = frozenset("uims")
# Zero-width conditions, kept as marker characters inside the strings built below and then
# as (offset, marker) checks: \b, (?<!\w), (?!\w), and ^ (line start; or text start).
BOUNDARY, NOT_AFTER_WORD, NOT_BEFORE_WORD, LINE_START = "\x08", "\x0e", "\x0f", "\x0c"
_MARKERS = BOUNDARY + NOT_AFTER_WORD + NOT_BEFORE_WORD + LINE_START


@dataclass(frozen=True, slots=True)
class Prefix:
    text: str
    checks: tuple[tuple[int, str], ...] = ()  # (offset into text, marker) that must hold too


class _GiveUpError(Exception):
    pass


def required_prefixes(pattern: str) -> frozenset[Prefix] | None:
    """Literals one of which starts every match of ``pattern``, or ``None`` if unknown."""
    if "[:" in pattern or _fuzzy(pattern):
        return None  # `regex`-only syntax that would be read as literal text
    try:
        parsed = parse(pattern)
        if parsed.flags - _HARMLESS_FLAGS:
            return None
        found = _Walk().prefixes(((parsed.items, 0),))
    except (UnsupportedError, _GiveUpError, RecursionError):
        return None
    prefixes = {_prefix(raw) for raw in found}
    if not prefixes or any(not p.text for p in prefixes):
        return None  # some match can start with anything
    return frozenset(prefixes)


def reach_behind(pattern: str) -> int | None:
    """How many characters before a match's start ``pattern`` may look at (lookbehinds, and
    one for ``\\b`` or ``^``, also within a lookbehind), or ``None`` when that cannot be
    shown."""
    if "[:" in pattern or _fuzzy(pattern):
        return None
    try:
        return max(1, _lookbehind(parse(pattern).items))
    except (UnsupportedError, OverflowError, RecursionError):
        return None


def _lookbehind(seq: Seq) -> int:
    """How far before the start of a match of ``seq`` its lookbehinds may look (as if each
    stood at that start: more is only slower)."""
    widest = 0
    for node in seq:
        if isinstance(node, Look):
            inner = _lookbehind(node.body)
            if node.behind:
                high = width(node.body)[1]
                if high >= MAX_REPEAT:
                    raise OverflowError  # unbounded lookbehind
                # Its body starts up to `high` characters back, and what the body looks
                # behind (a \b or ^ one more character) it sees from there.
                inner = high + max(inner, _sees_previous(node.body))
            widest = max(widest, inner)
        elif isinstance(node, (Group, Atomic, Repeat)):
            widest = max(widest, _lookbehind(node.body))
        elif isinstance(node, Branch):
            widest = max([widest] + [_lookbehind(alt) for alt in node.alternatives])
        elif isinstance(node, Conditional):
            widest = max(widest, *(_lookbehind(part) for part in _branches(node)))
    return widest


def _branches(node: Conditional) -> list[Seq]:
    return [node.yes] if node.no is None else [node.yes, node.no]


def _sees_previous(seq: Seq) -> int:
    """1 if ``seq`` holds a \\b, \\B or ^, which looks at the character before it, else 0."""
    for node in seq:
        if isinstance(node, Anchor) and node.kind in ("boundary", "non_boundary", "line_start"):
            return 1
        if isinstance(node, (Branch, Conditional)):
            parts = node.alternatives if isinstance(node, Branch) else _branches(node)
            if any(_sees_previous(part) for part in parts):
                return 1
        elif isinstance(node, (Look, Group, Atomic, Repeat)) and _sees_previous(node.body):
            return 1
    return 0


_BRACE = re.compile(r"(\\*)\{")
_REPEAT_BODY = re.compile(r"\d*(?:,\d*)?\}")


def _fuzzy(pattern: str) -> bool:
    """An unescaped "{" that does not open a repeat count: maybe fuzzy matching, "{e<=1}"."""
    return any(
        len(m.group(1)) % 2 == 0 and not _REPEAT_BODY.match(pattern, m.end())
        for m in _BRACE.finditer(pattern)
    )


def _prefix(raw: str) -> Prefix:
    """Split marker characters out of a derived string into checks at their offsets."""
    text, checks = "", []
    for char in raw:
        if char in _MARKERS:
            checks.append((len(text), char))
        else:
            text += char
    return Prefix(text, tuple(dict.fromkeys(checks)))


# What is left to match: (sequence, index) frames, innermost first.
Frames = tuple[tuple[Seq, int], ...]


class _Walk:
    """Prefixes of every match of what is left, "" standing for "unknown from here on".

    Memoised on (frames, budget): an alternation's branches share the same rest of the pattern.
    """

    def __init__(self) -> None:
        self._memo: dict[tuple[tuple[tuple[int, int], ...], int], set[str]] = {}

    def prefixes(self, frames: Frames, budget: int = _MAX_PREFIX) -> set[str]:
        while frames and frames[0][1] >= len(frames[0][0]):
            frames = frames[1:]  # this sequence is done: go on with the enclosing one
        if not frames or budget == 0:
            return {""}
        key = (tuple((id(seq), i) for seq, i in frames), budget)
        if key not in self._memo:
            self._memo[key] = self._step(frames, budget)
        return self._memo[key]

    def _step(self, frames: Frames, budget: int) -> set[str]:
        (seq, i), outer = frames[0], frames[1:]
        node = seq[i]
        rest: Frames = ((seq, i + 1), *outer)
        marker = _marker(node)
        if marker:
            return _prepend({marker}, self.prefixes(rest, budget - 1))
        if isinstance(node, (Anchor, Look)):
            return self.prefixes(rest, budget)  # zero width: ignoring a condition widens the set
        if isinstance(node, Char):
            if node.char in _MARKERS:
                return {""}  # a literal form feed or the like: not to be read as a marker
            return _prepend({node.char}, self.prefixes(rest, budget - 1))
        if isinstance(node, Class):
            chars = _small_class(node.items)
            return _prepend(chars, self.prefixes(rest, budget - 1)) if chars else {""}
        if isinstance(node, Group):
            if (node.add_flags | node.del_flags) - _HARMLESS_FLAGS:
                raise _GiveUpError
            return self.prefixes(((node.body, 0), *rest), budget)
        if isinstance(node, Branch):
            return _union(self.prefixes(((alt, 0), *rest), budget) for alt in node.alternatives)
        if isinstance(node, Repeat):
            # x? is x then the rest, or the rest alone; after one pass of a longer repeat's
            # body another pass may follow, so there the prefix stops at the body's end.
            body = node.body
            once = self.prefixes(((body, 0), *rest) if node.high == 1 else ((body, 0),), budget)
            return once if node.low >= 1 else _union([once, self.prefixes(rest, budget)])
        return {""}  # ., [^x], an atomic group...: the prefix stops here


_WORD_CLASS = Class((("category", "w"),))


def _marker(node: Node) -> str | None:
    if isinstance(node, Anchor):
        if node.kind == "boundary":
            return BOUNDARY
        # ^ at a line start or the text start, whether or not MULTILINE is on; not \A.
        return LINE_START if node.kind == "line_start" else None
    if isinstance(node, Look) and node.negative and node.body == (_WORD_CLASS,):
        return NOT_AFTER_WORD if node.behind else NOT_BEFORE_WORD
    return None


def _small_class(members: tuple[ClassItem, ...]) -> set[str] | None:
    if len(members) > _SMALL_CLASS or any(kind != "char" for kind, _ in members):
        return None
    chars = {char for _, char in members}
    return None if chars & set(_MARKERS) else chars


def _prepend(heads: set[str], tails: set[str]) -> set[str]:
    if len(heads) * len(tails) > _MAX_SET:
        return _shrink(heads)  # stop before the tails: shorter prefixes are still required
    return {h + t for h in heads for t in tails}


def _union(parts: Any) -> set[str]:
    out: set[str] = set()
    for part in parts:
        out = _shrink(out | part)
    return out


def _shrink(prefixes: set[str]) -> set[str]:
    """At most _MAX_SET prefixes, cutting them shorter (a prefix of a prefix is required too)."""
    length = _MAX_PREFIX
    while len(prefixes) > _MAX_SET:
        length -= 1
        if length == 0:
            raise _GiveUpError
        prefixes = {p[:length] for p in prefixes}
    return prefixes


# --- why a pattern has no literal start --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Unindexed:
    """Why a pattern cannot be indexed: what a match can start with instead of a literal.

    ``kind`` is one of "class" (a character class, ``what`` shows it), "any" (``.``),
    "empty" (a match can read no text at all), "non_ascii" (``what`` is the literal start),
    "syntax" (``regex``-only syntax), "flags" (an inline flag), "other" (not pinned down).
    ``after_optional``: an optional item comes first, and this is what a match can start
    with without it.
    """

    kind: str
    what: str = ""
    after_optional: bool = False


_EMPTY = Unindexed("empty")  # while walking: this sequence can match no text


def why_unindexed(pattern: str) -> Unindexed | None:
    """Why :class:`PrefixIndex` scans ``pattern`` in full, or None when it is indexed.

    Reads the pattern as :func:`required_prefixes` does and names the first thing on the way
    into a match that is not literal text; when nothing such is found the kind is "other".
    """
    prefixes = required_prefixes(pattern)
    if prefixes is not None:
        wide = sorted(p.text for p in prefixes if not p.text.isascii())
        return Unindexed("non_ascii", wide[0]) if wide else None
    if "[:" in pattern or _fuzzy(pattern):
        return Unindexed("syntax")
    try:
        parsed = parse(pattern)
    except (UnsupportedError, RecursionError):
        return Unindexed("syntax")
    if parsed.flags - _HARMLESS_FLAGS:
        return Unindexed("flags")
    try:
        found = _blocker(parsed.items)
    except RecursionError:
        found = None
    return found or Unindexed("other")


def _blocker(seq: Seq) -> Unindexed | None:
    """What stops the literal start of ``seq``: None if it starts with a literal, _EMPTY if
    it can match no text (what follows it then decides)."""
    optional = False
    for node in seq:
        found: Unindexed | None
        if isinstance(node, (Anchor, Look)):
            continue  # zero width: \b and lookarounds keep the literal that follows
        if isinstance(node, Char):
            found = Unindexed("class", repr(node.char)) if node.char in _MARKERS else None
        elif isinstance(node, Class):
            found = None if _small_class(node.items) else Unindexed("class", _class_text(node))
        elif isinstance(node, NotChar):
            found = Unindexed("class", f"[^{node.char}]")
        elif isinstance(node, AnyChar):
            found = Unindexed("any", ".")
        elif isinstance(node, Group):
            if (node.add_flags | node.del_flags) - _HARMLESS_FLAGS:
                return Unindexed("flags", after_optional=optional)
            found = _blocker(node.body)
        elif isinstance(node, Branch):
            results = [_blocker(alt) for alt in node.alternatives]
            blocked = [r for r in results if r is not None and r is not _EMPTY]
            found = blocked[0] if blocked else _EMPTY if _EMPTY in results else None
        elif isinstance(node, Repeat):
            found = _blocker(node.body)
            if found is None and node.low == 0:
                found = _EMPTY
        else:
            found = Unindexed("other")  # an atomic group, a back reference, a conditional
        if found is _EMPTY:
            optional = True
            continue
        if found is None:
            return None
        return Unindexed(found.kind, found.what, found.after_optional or optional)
    return _EMPTY


def _class_text(node: Class) -> str:
    """A character class as it might have been written: \\d, [a-z], [^.\\n]."""
    parts = []
    for kind, value in node.items:
        if kind == "category":
            parts.append("\\" + value)
        elif kind == "range":
            parts.append(f"{value[0]}-{value[1]}")
        elif kind == "char":
            parts.append(value.encode("unicode_escape").decode("ascii"))
        elif kind == "negate":
            parts.append("^")
    if len(parts) == 1 and len(parts[0]) == 2 and parts[0].startswith("\\"):
        return parts[0]
    return "[" + "".join(parts) + "]"


# --- finding where matches may start --------------------------------------------------------

_WORD = regex.compile(r"\w+")
# On the folded (ASCII) text, `re` splits into the same words as `regex` would, but faster;
# and ASCII classes, exact there, faster still.
_SEPARATORS = re.compile(r"(\W+)", re.ASCII)
_MAX_WORDS_CACHED = 100_000


@functools.lru_cache(maxsize=4096)
def _ascii_stand_in(char: str) -> str:
    """What an ASCII literal sees of a non-ASCII character under `regex`'s IGNORECASE.

    The Kelvin sign and the long s match "k" and "s", so they become those letters; any other
    character can never equal an ASCII literal and becomes "_" or " " by whether `regex`
    counts it a word character, which keeps word starts where they were.
    """
    for letter in "abcdefghijklmnopqrstuvwxyz":
        if regex.fullmatch(letter, char, regex.IGNORECASE):
            return letter
    return "_" if _WORD.match(char) else " "


def _fold(text: str) -> str:
    """Lowercase ASCII of the same length, so offsets are the text's (see _ascii_stand_in)."""
    if text.isascii():
        return text.lower()
    # The ASCII codec runs in C and hands each run of other characters to _stand_ins: far
    # quicker on a long text than a regex substitution (or lowercasing before it).
    return text.encode("ascii", _FOLD_ERRORS).lower().decode("ascii")


def _stand_ins(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    run = error.object[error.start : error.end]
    return "".join(map(_ascii_stand_in, run)), error.end


_FOLD_ERRORS = "notelint.fold"
codecs.register_error(_FOLD_ERRORS, _stand_ins)


@dataclass(frozen=True, slots=True)
class _Literal:
    text: str  # lowercase ASCII
    checks: tuple[tuple[int, str], ...]
    word_start: bool  # only where a word of the text starts: looked up by that word
    patterns: tuple[int, ...]


# A word's certain patterns, its literals that reach past it, and those literals' texts.
_Entry = tuple[tuple[int, ...], tuple[_Literal, ...], tuple[str, ...]]
_NOTHING: _Entry = ((), (), ())
# One line's possible starts, relative to the line: (pattern, starts) and (end, pattern, starts).
_LineStarts = tuple[
    tuple[tuple[int, tuple[int, ...]], ...], tuple[tuple[int, int, tuple[int, ...]], ...]
]
_NO_STARTS: _LineStarts = ((), ())


def _is_word(folded: str, at: int) -> bool:
    """A word character, as `regex` has it: the folded text keeps every character's kind."""
    if not 0 <= at < len(folded):
        return False
    char = folded[at]
    return char.isalnum() or char == "_"


def _holds(folded: str, at: int, marker: str, end: int) -> bool:
    """Does the zero-width condition hold at ``at`` in ``folded[:end]``?"""
    before = _is_word(folded, at - 1)
    after = at < end and _is_word(folded, at)
    if marker == BOUNDARY:
        return before != after
    if marker == NOT_AFTER_WORD:
        return not before
    if marker == NOT_BEFORE_WORD:
        return not after
    return at == 0 or folded[at - 1] == "\n"  # LINE_START


class PrefixIndex:
    """Finds, for many patterns at once, the few positions where each one can match.

    Every match of an anchored pattern begins with one of its required prefixes, so trying
    ``pattern.match`` only where one occurs finds exactly what ``finditer`` finds. A prefix
    that starts a word is looked up by the text's words; others by substring search. Both
    run on the case-folded text (a superset of the case-sensitive positions).
    """

    def __init__(self, patterns: Sequence[regex.Pattern[str]]) -> None:
        self.patterns = tuple(patterns)
        owners: dict[Prefix, set[int]] = {}
        unanchored = set()
        for number, pattern in enumerate(self.patterns):
            prefixes = required_prefixes(pattern.pattern)
            if prefixes is None or not all(p.text.isascii() for p in prefixes):
                unanchored.add(number)
                continue
            for prefix in prefixes:
                owners.setdefault(Prefix(prefix.text.lower(), prefix.checks), set()).add(number)
        self.unanchored = frozenset(unanchored)
        # Patterns scanned in full that equal an earlier one: number -> that one's number.
        first: dict[tuple[str, int], int] = {}
        self.same = {
            n: first.setdefault((self.patterns[n].pattern, self.patterns[n].flags), n)
            for n in sorted(unanchored)
        }
        self._anywhere: list[_Literal] = []
        self._by_word: dict[str, list[_Literal]] = {}  # "c" -> the literal "c-arm"
        for prefix, numbers in sorted(owners.items(), key=lambda item: item[0].text):
            lit = _literal(prefix, tuple(sorted(numbers)))
            if lit.word_start:
                self._by_word.setdefault(_leading_word(lit.text), []).append(lit)
            else:
                self._anywhere.append(lit)
        self._word_lengths = sorted({len(word) for word in self._by_word})
        self.forget()

    def fresh(self) -> PrefixIndex:
        """This index with nothing remembered (its tables, read-only, are shared): for each
        owner of memos (see ``engine.Engine``)."""
        other = copy.copy(self)
        other.forget()
        return other

    def forget(self) -> None:
        """Drop what was kept of the texts scanned so far."""
        self._cache: dict[str, _Entry] = {}
        self._lines: Memo[str, _LineStarts] = Memo()
        self._seen: Memo[str, bool] = Memo()  # lines scanned once, not yet filed
        self._shared: Memo[_LineStarts, _LineStarts] = Memo()  # each distinct entry, once

    def remembered(self) -> int:
        memos = (self._lines, self._seen, self._shared)
        return len(self._cache) + sum(memo.kept() for memo in memos)

    def scan(self, text: str, earlier: Earlier | None = None) -> Scan:
        """Possible match starts of each anchored pattern in ``text``; given the ``earlier``
        version that ``text`` is an edit of (``edits.LongNotes``), scanned only where it
        changed (see :meth:`_splice`).

        No literal holds a line break and every check sees one as it sees the text's end, so
        a line's starts depend on that line alone: they are kept, line by line, since notes
        repeat their template lines and an edited document repeats all but the lines typed.
        """
        folded = _fold(text)
        if earlier is not None and isinstance(earlier.scan, Scan):
            return self._splice(text, folded, earlier.scan, earlier.head, earlier.tail)
        return self._scan_lines(text, folded)

    def _scan_lines(self, text: str, folded: str) -> Scan:
        lines = folded.split("\n")
        memo, seen = self._lines, self._seen
        entries = {line: memo[line] for line in lines}  # held here: the memo may turn over
        missing = [line for line, entry in entries.items() if entry is None]
        if 2 * sum(not seen[line] for line in missing) > len(lines):
            # Mostly new text: one pass over it beats filing each line away. Lines seen
            # now are filed when they come back.
            for line in missing:
                seen.put(line, True)
            found = self._scan_folded(folded)
            whole: dict[int, list[_Piece]] = {n: [(0, at)] for n, at in found.sure.items()}
            return Scan(self, text, folded, whole, _sorted_cut(found.cut))
        if missing:
            entries.update(self._remember(missing))
        # Each pattern's starts are gathered from the lines only if it is asked for.
        pieces: dict[int, list[_Piece]] = {}
        cut: dict[int, dict[int, list[int]]] = {}
        offset = 0
        get = pieces.get
        for line in lines:
            entry = entries[line]
            if entry is not _NO_STARTS and entry is not None:
                line_sure, line_cut = entry
                for number, rels in line_sure:
                    mine = get(number)  # not setdefault: that makes a list each time
                    if mine is None:
                        pieces[number] = [(offset, rels)]
                    else:
                        mine.append((offset, rels))
                for end, number, rels in line_cut:
                    target = cut.setdefault(offset + end, {}).setdefault(number, [])
                    target.extend([offset + rel for rel in rels])
            offset += len(line) + 1
        return Scan(self, text, folded, pieces, cut)

    def _splice(self, text: str, folded: str, old: Scan, head: int, tail: int) -> Scan:
        """A long text that is ``old``'s but for all its first ``head`` and last ``tail``
        characters (an edit in the editor): the old starts before the changed lines stay,
        those after move by the change in length, and only the lines in between are scanned.
        (Text equal in the original is equal folded, and folding keeps every offset.)"""
        start = folded.rfind("\n", 0, head) + 1  # the changed lines, in the new text
        end = folded.find("\n", len(folded) - tail)
        end = len(folded) if end < 0 else end
        shift = len(folded) - len(old.folded)
        middle = self._scan_lines(folded[start:end], folded[start:end])
        sure = _spliced(old.starts, middle.starts, start, end - shift, shift)
        cut = {end_: starts for end_, starts in old.cut.items() if end_ <= start}
        cut.update(
            (start + end_, {n: [start + at for at in ats] for n, ats in starts.items()})
            for end_, starts in middle.cut.items()
        )
        cut.update(
            (end_ + shift, {n: [at + shift for at in ats] for n, ats in starts.items()})
            for end_, starts in old.cut.items()
            if end_ > end - shift
        )
        return Scan(self, text, folded, {n: [(0, at)] for n, at in sure.items()}, cut)

    def _remember(self, lines: list[str]) -> dict[str, _LineStarts]:
        """Scan new lines in one pass over them joined, then file the starts under each line."""
        joined = "\n".join(lines)
        found = self._scan_folded(joined)
        firsts = [0, *itertools.accumulate(len(line) + 1 for line in lines)][:-1]
        sure: list[dict[int, list[int]]] = [{} for _ in lines]
        cut: list[dict[tuple[int, int], list[int]]] = [{} for _ in lines]
        bisect_right = bisect.bisect_right
        for number, starts in found.sure.items():
            for at in sorted(starts):
                i = bisect_right(firsts, at) - 1
                rels = sure[i].get(number)  # not setdefault: that makes a list each time
                if rels is None:
                    sure[i][number] = [at - firsts[i]]
                else:
                    rels.append(at - firsts[i])
        for end, by_number in found.cut.items():
            for number, starts in by_number.items():
                for at in sorted(starts):
                    i = bisect.bisect_right(firsts, at) - 1
                    cut[i].setdefault((end - firsts[i], number), []).append(at - firsts[i])
        made: dict[str, _LineStarts] = {}
        shared = self._shared
        for line, line_sure, line_cut in zip(lines, sure, cut, strict=True):
            entry: _LineStarts = (
                tuple((number, tuple(rels)) for number, rels in sorted(line_sure.items())),
                tuple(
                    (end, number, tuple(rels)) for (end, number), rels in sorted(line_cut.items())
                ),
            )
            # Lines differ far more than where patterns start in them: one copy of each entry.
            entry = _NO_STARTS if entry == _NO_STARTS else shared[entry] or shared.put(entry, entry)
            made[line] = self._lines.put(line, entry)
        return made

    def _scan_folded(self, folded: str) -> _Found:
        found = _Found(folded)
        for lit in self._anywhere:
            for at in _find_all(folded, lit.text, (0, LINE_START) in lit.checks):
                found.add(lit, at)
        sure = found.sure
        for word, starts in self._word_starts(folded).items():
            certain, others, texts = self._cache.get(word) or self._literals_for(word)
            for number in certain:
                mine = sure.get(number)  # not setdefault: that makes a set each time
                if mine is None:
                    sure[number] = set(starts)
                else:
                    mine.update(starts)
            if not others:
                continue
            for at in starts:
                if folded.startswith(texts, at):  # one call rules out most starts for all
                    for lit in others:
                        if folded.startswith(lit.text, at):
                            found.add(lit, at)
        return found

    def _word_starts(self, folded: str) -> dict[str, list[int]]:
        """Where each word of the text that some literal can start at begins.

        Splitting and summing lengths runs in C; only words worth looking up reach Python.
        """
        tokens = _SEPARATORS.split(folded)  # word, separator, word, ..., word (maybe "")
        ends = itertools.accumulate(map(len, tokens))
        words = tokens[0::2]
        starts = [0, *itertools.islice(ends, 1, None, 2)]
        cache = self._cache
        wanted = {w for w in set(words) if (cache.get(w) or self._literals_for(w)) is not _NOTHING}
        out: dict[str, list[int]] = {}
        for i in [i for i, w in enumerate(words) if w in wanted]:
            mine = out.get(words[i])  # not setdefault: that makes a list each time
            if mine is None:
                out[words[i]] = [starts[i]]
            else:
                mine.append(starts[i])
        return out

    def _literals_for(self, word: str) -> _Entry:
        """For a word of the text: the patterns that can start where it does, whatever follows
        it, and the word-start literals that begin with it but reach past it or have checks."""
        certain: set[int] = set()
        others = []
        for length in self._word_lengths:
            for lit in self._by_word.get(word[:length], ()) if length <= len(word) else ():
                if len(lit.text) > len(word):
                    others.append(lit)
                elif word.startswith(lit.text) and _checks_hold_in_word(lit, len(word)):
                    certain.update(lit.patterns)
        if len(self._cache) >= _MAX_WORDS_CACHED:
            self._cache.clear()
        entry = (tuple(sorted(certain)), tuple(others), tuple(lit.text for lit in others))
        if entry == _NOTHING:
            entry = _NOTHING  # one shared object: most words start no literal
        if REUSE:
            self._cache[word] = entry
        return entry


def _checks_hold_in_word(lit: _Literal, word_length: int) -> bool:
    """Whether ``lit``'s checks hold where it starts a word of ``word_length`` characters.

    Between two characters of a word no check holds; at the word's end, one that wants no
    word character after it does. (A search ending inside a word is not served from the
    index: see :meth:`Scan.finditer`.)
    """
    return all(
        offset == word_length and marker in (BOUNDARY, NOT_BEFORE_WORD)
        for offset, marker in lit.checks
    )


def _literal(prefix: Prefix, patterns: tuple[int, ...]) -> _Literal:
    word_start = bool(_WORD.match(prefix.text)) and any(
        at == 0 and marker in (BOUNDARY, NOT_AFTER_WORD) for at, marker in prefix.checks
    )
    checks = prefix.checks
    if word_start:  # found at word starts only, where these hold by construction
        checks = tuple(check for check in checks if check[0] > 0)
    return _Literal(prefix.text, checks, word_start, patterns)


class _Found:
    """Possible starts per pattern, collected while scanning one folded text."""

    def __init__(self, folded: str) -> None:
        self._folded = folded
        self.sure: dict[int, set[int]] = {}
        # Starts ruled out only by a check just past the literal, at `end`: still possible
        # for a search that stops at `end`, where the text seems to end. end -> pattern -> starts.
        self.cut: dict[int, dict[int, set[int]]] = {}

    def add(self, lit: _Literal, at: int) -> None:
        target = self.sure
        if lit.checks:
            folded, size = self._folded, len(self._folded)
            failed = {at + off for off, m in lit.checks if not _holds(folded, at + off, m, size)}
            if len(failed) > 1:
                return
            if failed:
                end = failed.pop()
                if not all(_holds(folded, end, m, end) for off, m in lit.checks if at + off == end):
                    return
                target = self.cut.setdefault(end, {})
        for number in lit.patterns:
            target.setdefault(number, set()).add(at)


def _spliced(
    old: dict[int, list[int]], middle: dict[int, list[int]], start: int, old_end: int, shift: int
) -> dict[int, list[int]]:
    """Starts of the old text before ``start`` and from ``old_end`` on (moved by ``shift``),
    with the middle's (relative to ``start``) in between."""
    out: dict[int, list[int]] = {}
    for number in old.keys() | middle.keys():
        before: Sequence[int] = ()
        after: Sequence[int] = ()
        if number in old:
            starts = old[number]
            before = starts[: bisect.bisect_left(starts, start)]
            after = starts[bisect.bisect_left(starts, old_end) :]
            if shift and after:
                after = list(map(shift.__add__, after))
        new = [*before, *map(start.__add__, middle.get(number, ())), *after]
        if new:
            out[number] = new
    return out


def _sorted_cut(cut: dict[int, dict[int, set[int]]]) -> dict[int, dict[int, list[int]]]:
    return {end: {n: sorted(at) for n, at in starts.items()} for end, starts in cut.items()}


# Some of a pattern's starts: an offset, and starts after it (ascending, or a set).
_Piece = tuple[int, Collection[int]]


class Scan:
    """One text's possible match starts, per pattern of a :class:`PrefixIndex`."""

    __slots__ = ("_cut_ends", "_made", "_pieces", "cut", "folded", "index", "text", "whole")

    def __init__(
        self,
        index: PrefixIndex,
        text: str,
        folded: str,
        pieces: dict[int, list[_Piece]],
        cut: dict[int, dict[int, list[int]]],  # see _Found
    ) -> None:
        self.index, self.text, self.folded, self.cut = index, text, folded, cut
        # Pieces in text order that give each pattern's starts; several pieces are one
        # line's each, so together they are in order too.
        self._pieces = pieces
        self._made: dict[int, list[int]] = {}
        self._cut_ends: dict[int, list[int]] | None = None  # cut, by pattern: see cut_ends
        # Full scans of unanchored patterns, shared by equal patterns.
        self.whole: dict[int, list[regex.Match[str]]] = {}

    def starts_of(self, number: int) -> list[int]:
        """Where pattern ``number`` may start, ascending (see :meth:`candidates`)."""
        made = self._made.get(number)
        if made is None:
            pieces = self._pieces.get(number, ())
            if len(pieces) == 1 and pieces[0][0] == 0:
                made = sorted(pieces[0][1])
            else:
                made = [offset + rel for offset, rels in pieces for rel in rels]
            self._made[number] = made
        return made

    @property
    def starts(self) -> dict[int, list[int]]:
        """Every pattern's starts (for splicing and for tests; analysis asks per pattern)."""
        return {number: self.starts_of(number) for number in sorted(self._pieces)}

    def in_word(self, endpos: int) -> bool:
        """A search cut off inside a word, where the index's word-level reasoning is void."""
        folded = self.folded  # as _is_word at endpos and before it, inline: asked very often
        if not 0 < endpos < len(folded):
            return False
        before, after = folded[endpos - 1], folded[endpos]
        return (before.isalnum() or before == "_") and (after.isalnum() or after == "_")

    def candidates(self, number: int) -> list[int] | None:
        """Where pattern ``number`` may start (ascending), or ``None`` when anywhere; a search
        that stops at one of :meth:`cut_ends`, or :meth:`in_word`, may also match elsewhere."""
        if number in self.index.unanchored:
            return None
        return self.starts_of(number)

    def cut_ends(self, number: int) -> list[int]:
        """Ends of searches at which pattern ``number`` has starts beyond :meth:`candidates`."""
        if self._cut_ends is None:  # asked for many patterns: one pass over the cuts
            self._cut_ends = {}
            for end, starts in self.cut.items():
                for each in starts:
                    self._cut_ends.setdefault(each, []).append(end)
        return self._cut_ends.get(number, [])

    def may_match_any(self, numbers: Iterable[int], pos: int, endpos: int) -> list[int]:
        """Those of ``numbers`` that may match in text[pos:endpos], in order (a pattern left
        out certainly has no match there): one pass for many patterns over one sentence."""
        if endpos in self.cut or self.in_word(endpos):
            return list(numbers)
        unanchored, pieces, made = self.index.unanchored, self._pieces, self._made
        bisect_left = bisect.bisect_left
        out = []
        for number in numbers:
            if number in unanchored:
                out.append(number)
            elif number in pieces:
                starts = made.get(number)
                if starts is None:
                    starts = self.starts_of(number)
                i = bisect_left(starts, pos)
                if i < len(starts) and starts[i] < endpos:
                    out.append(number)
        return out

    def finditer(
        self, number: int, pos: int = 0, endpos: int | None = None
    ) -> Iterator[regex.Match[str]]:
        """Exactly ``pattern.finditer(text, pos, endpos)`` for the index's pattern ``number``."""
        pattern = self.index.patterns[number]
        endpos = len(self.text) if endpos is None else endpos
        if number in self.index.unanchored or self.in_word(endpos):
            if pos or endpos != len(self.text):
                yield from pattern.finditer(self.text, pos, endpos)
                return
            same = self.index.same[number]
            if same not in self.whole:
                self.whole[same] = list(pattern.finditer(self.text))
            yield from self.whole[same]
            return
        starts = self.starts_of(number)
        cut = self.cut.get(endpos, _NO_CUT).get(number)
        if cut:
            starts = sorted({*starts, *cut})
        resume = pos
        for i in range(bisect.bisect_left(starts, pos), len(starts)):
            start = starts[i]
            if start >= endpos:
                return
            if start < resume:
                continue  # finditer goes on after the previous match
            found = pattern.match(self.text, start, endpos)
            if found:
                yield found
                resume = found.end()

    def spans(self, number: int, pos: int, endpos: int) -> tuple[tuple[int, int], ...]:
        """As :meth:`finditer` over text[pos:endpos], each match as (start, end) relative to
        ``pos``: no generator, as analysis asks this of pattern after pattern."""
        if number in self.index.unanchored or self.in_word(endpos):
            return tuple(
                (m.start() - pos, m.end() - pos) for m in self.finditer(number, pos, endpos)
            )
        starts = self._made.get(number)
        if starts is None:
            starts = self.starts_of(number)
        cut = self.cut.get(endpos, _NO_CUT).get(number)
        if cut:
            starts = sorted({*starts, *cut})
        i, last = bisect.bisect_left(starts, pos), len(starts)
        if i == last or starts[i] >= endpos:
            return ()
        match, text = self.index.patterns[number].match, self.text
        out = []
        resume = pos
        while i < last:
            start = starts[i]
            if start >= endpos:
                break
            if start >= resume:  # finditer goes on after the previous match
                found = match(text, start, endpos)
                if found:
                    begin, resume = found.span()
                    out.append((begin - pos, resume - pos))
            i += 1
        return tuple(out)


_NO_CUT: dict[int, list[int]] = {}  # never written to


def _leading_word(literal: str) -> str:
    word = _WORD.match(literal)
    return word.group() if word else ""


def _find_all(text: str, literal: str, line_start: bool = False) -> list[int]:
    """Where ``literal`` occurs; with ``line_start``, only where a line starts."""
    if line_start:
        first = [0] if text.startswith(literal) else []
        return first + [at + 1 for at in _find_all(text, "\n" + literal)]
    out = []
    at = text.find(literal)
    while at >= 0:
        out.append(at)
        at = text.find(literal, at + 1)
    return out
