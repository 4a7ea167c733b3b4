"""A reader for the regular expression syntax that notelint's rule patterns use.

:func:`parse` turns a pattern into a tree of the nodes below, for code that reasons about
where a match can start (:mod:`notelint.core.prefix`) without running the pattern. It knows a
subset, read the way both ``re`` and ``regex`` read it: literal characters and escapes, ``.``,
classes ``[...]`` (ranges, negation, ``\\d \\w \\s`` and their negations), groups ``( )``,
``(?: )``, ``(?P<name> )``, atomic ``(?> )``, lookarounds ``(?= )`` ``(?! )`` ``(?<= )``
``(?<! )``, alternation, the quantifiers ``* + ? {m} {m,n} {m,} {,n}`` greedy, lazy or
possessive, anchors ``^ $ \\b \\B \\A \\Z``, back references ``\\1`` ``(?P=name)`` and
conditionals ``(?(1)yes|no)``, inline flags and comments ``(?#...)``. Anything else
(``regex``-only escapes and groups, a malformed pattern) raises :class:`UnsupportedError`: a
caller must then assume nothing about the pattern, never guess.

The tree has the shape the standard library's own parser gives, simplifications included
(a class of one character is that character, alternatives of single characters are one
class, a start common to every alternative is moved before them, non-capturing groups are
spliced into their sequence), so that reasoning over it reaches the same conclusions.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import TypeGuard

# Repeat counts from here on are refused (the standard library refuses them too).
MAX_REPEAT = 2**32 - 1
# A width at least this is "unbounded" (see :func:`width`).
MAX_WIDTH = 1 << 64

_SPECIAL = ".\\[{()*+?^$|"
_DIGITS = frozenset("0123456789")
_OCTAL = frozenset("01234567")
_HEX = frozenset("0123456789abcdefABCDEF")
_ASCII_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_WHITESPACE = frozenset(" \t\n\r\v\f")
_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
_CATEGORIES = frozenset("dDsSwW")
_ANCHORS = {"A": "start", "b": "boundary", "B": "non_boundary", "Z": "end"}
_FLAGS = frozenset("iLmsxatu")
_TYPE_FLAGS = frozenset("aLu")


class UnsupportedError(Exception):
    """The pattern uses syntax this reader does not know, or is malformed."""


# A class member: ("char", c), ("range", lo + hi), ("category", "d" / "D" / "s" ...), or
# ("negate", "") first in a negated class.
ClassItem = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Char:
    char: str


@dataclass(frozen=True, slots=True)
class NotChar:
    char: str


@dataclass(frozen=True, slots=True)
class Class:
    items: tuple[ClassItem, ...]


@dataclass(frozen=True, slots=True)
class AnyChar:
    pass


@dataclass(frozen=True, slots=True)
class Anchor:
    kind: str  # "line_start" (^), "line_end" ($), "boundary", "non_boundary", "start", "end"


@dataclass(frozen=True, slots=True)
class BackRef:
    number: int


@dataclass(frozen=True, slots=True, eq=False)
class Conditional:
    """``(?(group)yes|no)``: ``yes`` if the group took part in the match, else ``no``."""

    number: int
    yes: Seq
    no: Seq | None


@dataclass(frozen=True, slots=True, eq=False)
class Look:
    behind: bool
    negative: bool
    body: Seq


@dataclass(frozen=True, slots=True, eq=False)
class Group:
    number: int | None  # None: a non-capturing group that sets flags
    add_flags: frozenset[str]
    del_flags: frozenset[str]
    body: Seq


@dataclass(frozen=True, slots=True, eq=False)
class Atomic:
    body: Seq


@dataclass(frozen=True, slots=True, eq=False)
class Branch:
    alternatives: tuple[Seq, ...]


@dataclass(frozen=True, slots=True, eq=False)
class Repeat:
    low: int
    high: int | None  # None: no upper bound
    mode: str  # "greedy", "lazy" or "possessive"
    body: Seq


Node = (
    Char
    | NotChar
    | Class
    | AnyChar
    | Anchor
    | BackRef
    | Conditional
    | Look
    | Group
    | Atomic
    | Branch
    | Repeat
)
Seq = tuple[Node, ...]
# Nodes that hold no sequence compare by value; the others only by identity, as the standard
# library's do, which matters for the common start moved out of alternatives.
_FLAT = (Char, NotChar, Class, AnyChar, Anchor, BackRef)


@dataclass(frozen=True, slots=True)
class Parsed:
    items: Seq
    flags: frozenset[str]  # set for the whole pattern by a leading (?i) and the like


def parse(pattern: str) -> Parsed:
    """The pattern's tree, or :class:`UnsupportedError`."""
    reader = _Reader(pattern)
    try:
        items = reader.alternation(verbose=False, nested=0)
    except RecursionError:
        raise UnsupportedError("nested too deeply") from None
    if reader.next is not None:
        raise UnsupportedError("unbalanced parenthesis")
    if "a" in reader.flags and "u" in reader.flags:
        raise UnsupportedError("flags 'a' and 'u' are incompatible")
    return Parsed(items, frozenset(reader.flags))


def width(seq: Seq) -> tuple[int, int]:
    """The fewest and most characters a match of ``seq`` reads; the most is at least
    :data:`MAX_WIDTH` when unbounded. :class:`UnsupportedError` for a back reference."""
    low = high = 0
    for node in seq:
        if isinstance(node, BackRef):
            raise UnsupportedError("the width of a back reference")
        if isinstance(node, (Char, NotChar, Class, AnyChar)):
            low, high = low + 1, high + 1
        elif isinstance(node, Branch):
            sizes = [width(alt) for alt in node.alternatives]
            low += min(s[0] for s in sizes)
            high += max(s[1] for s in sizes)
        elif isinstance(node, (Group, Atomic)):
            part = width(node.body)
            low, high = low + part[0], high + part[1]
        elif isinstance(node, Conditional):
            yes = width(node.yes)
            no = width(node.no) if node.no is not None else (0, yes[1])
            low, high = low + min(yes[0], no[0]), high + max(yes[1], no[1])
        elif isinstance(node, Repeat):
            part = width(node.body)
            low += part[0] * node.low
            if node.high is None:
                high = MAX_WIDTH if part[1] else high
            else:
                high += part[1] * node.high
    return min(low, MAX_WIDTH), min(high, MAX_WIDTH)


def _plain(node: Node) -> TypeGuard[Group]:
    """A non-capturing group without flags: as good as its contents."""
    return isinstance(node, Group) and not (node.number or node.add_flags or node.del_flags)


class _Reader:
    """Reads tokens (a character, or a backslash and the character after it) left to right."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.index = 0
        self.next: str | None = None
        self.flags: set[str] = set()
        self.groups = 0
        self.names: dict[str, int] = {}
        self.closed: set[int] = set()
        self.behind_from: int | None = None  # the first group opened in the current lookbehind
        self._advance()

    def _advance(self) -> None:
        if self.index >= len(self.pattern):
            self.next = None
            return
        char = self.pattern[self.index]
        if char == "\\":
            if self.index + 1 >= len(self.pattern):
                raise UnsupportedError("bad escape (end of pattern)")
            char += self.pattern[self.index + 1]
        self.index += len(char)
        self.next = char

    def get(self) -> str | None:
        token = self.next
        self._advance()
        return token

    def take(self, token: str) -> bool:
        if self.next == token:
            self._advance()
            return True
        return False

    def take_while(self, most: int, chars: frozenset[str]) -> str:
        out = ""
        while len(out) < most and self.next is not None and self.next in chars:
            out += self.get() or ""
        return out

    def until(self, end: str) -> str:
        out = ""
        while True:
            token = self.get()
            if token is None:
                raise UnsupportedError(f"missing {end}")
            if token == end:
                if not out:
                    raise UnsupportedError("missing name")
                return out
            out += token

    def seek(self, index: int) -> None:
        self.index = index
        self._advance()

    @property
    def position(self) -> int:
        return self.index - len(self.next or "")

    # --- alternation and sequence ---------------------------------------------------------

    def alternation(self, verbose: bool, nested: int) -> Seq:
        branches: list[list[Node]] = []
        while True:
            branches.append(self.sequence(verbose, nested + 1, first=not nested and not branches))
            if not self.take("|"):
                break
            if not nested:
                verbose = "x" in self.flags
        if len(branches) == 1:
            return tuple(branches[0])
        out: list[Node] = []
        while all(branches) and all(  # a start common to all is moved out of the branch
            isinstance(b[0], _FLAT) and b[0] == branches[0][0] for b in branches
        ):
            out.append(branches[0][0])
            for b in branches:
                del b[0]
        members: list[ClassItem] = []
        for b in branches:
            if len(b) != 1:
                break
            node = b[0]
            if isinstance(node, Char):
                members.append(("char", node.char))
            elif isinstance(node, Class) and node.items[0][0] != "negate":
                members.extend(node.items)
            else:
                break
        else:  # alternatives of single characters: one class
            out.append(Class(tuple(dict.fromkeys(members))))
            return tuple(out)
        out.append(Branch(tuple(tuple(b) for b in branches)))
        return tuple(out)

    def sequence(self, verbose: bool, nested: int, first: bool) -> list[Node]:
        items: list[Node] = []
        while True:
            this = self.next
            if this is None or this in ("|", ")"):
                break
            self._advance()
            if verbose:
                if this in _WHITESPACE:
                    continue
                if this == "#":
                    while (skipped := self.get()) is not None and skipped != "\n":
                        pass
                    continue
            if this[0] == "\\":
                items.append(self.escape(this))
            elif this not in _SPECIAL:
                items.append(Char(this))
            elif this == "[":
                items.append(self.character_class())
            elif this in "*+?{":
                self.repeat(this, items)
            elif this == ".":
                items.append(AnyChar())
            elif this == "^":
                items.append(Anchor("line_start"))
            elif this == "$":
                items.append(Anchor("line_end"))
            elif this == "(":
                verbose = self.group(items, verbose, nested, first)
            else:
                raise UnsupportedError(f"unexpected {this!r}")
        out: list[Node] = []
        for node in items:  # a non-capturing group without flags is just its contents
            out.extend(node.body if _plain(node) else (node,))
        return out

    def repeat(self, this: str, items: list[Node]) -> None:
        here = self.position
        low, high = (0, 1) if this == "?" else (1, None) if this == "+" else (0, None)
        if this == "{":
            if self.next == "}":
                items.append(Char("{"))
                return
            lo = self.take_while(len(self.pattern), _DIGITS)
            hi = self.take_while(len(self.pattern), _DIGITS) if self.take(",") else lo
            if not self.take("}"):
                items.append(Char("{"))
                self.seek(here)
                return
            low = int(lo) if lo else 0
            high = int(hi) if hi else None
            if low >= MAX_REPEAT or (high is not None and high >= MAX_REPEAT):
                raise UnsupportedError("the repetition number is too large")
            if high is not None and high < low:
                raise UnsupportedError("min repeat greater than max repeat")
        if not items or isinstance(items[-1], Anchor):
            raise UnsupportedError("nothing to repeat")
        last = items[-1]
        if isinstance(last, Repeat):
            raise UnsupportedError("multiple repeat")
        body = last.body if _plain(last) else (last,)
        mode = "lazy" if self.take("?") else "possessive" if self.take("+") else "greedy"
        items[-1] = Repeat(low, high, mode, body)

    def group(self, items: list[Node], verbose: bool, nested: int, first: bool) -> bool:
        """Reads a group after its "(" into ``items``; returns ``verbose`` (a leading (?x)
        turns it on)."""
        number: int | None = None
        name = ""
        add: frozenset[str] = frozenset()
        remove: frozenset[str] = frozenset()
        capture, atomic = True, False
        if self.take("?"):
            char = self.get()
            if char is None:
                raise UnsupportedError("unexpected end of pattern")
            if char == "P":
                if self.take("="):
                    items.append(self.reference(self.names.get(self.until(")"), 0)))
                    return verbose
                name = self.group_name()
            elif char == ":":
                capture = False
            elif char == "#":
                self.skip_comment()
                return verbose
            elif char in "=!<":
                items.append(self.look(char, verbose, nested))
                return verbose
            elif char == "(":
                items.append(self.conditional(verbose, nested))
                return verbose
            elif char == ">":
                capture, atomic = False, True
            elif char in _FLAGS or char == "-":
                scoped = self.inline_flags(char)
                if scoped is None:  # global flags, as (?i)
                    if not first or items:
                        raise UnsupportedError("global flags not at the start")
                    return "x" in self.flags
                add, remove = scoped
                capture = False
            else:
                raise UnsupportedError(f"unknown extension ?{char}")  # includes (?(1)...)
        if capture:
            self.groups += 1
            number = self.groups
            if name:
                self.names[name] = number
        inner = (verbose or "x" in add) and "x" not in remove
        body = self.alternation(inner, nested + 1)
        if not self.take(")"):
            raise UnsupportedError("missing ), unterminated subpattern")
        if number is not None:
            self.closed.add(number)
        items.append(Atomic(body) if atomic else Group(number, add, remove, body))
        return verbose

    def conditional(self, verbose: bool, nested: int) -> Conditional:
        """``(?(group)yes|no)`` after its "(?("."""
        name = self.until(")")
        if name.isidentifier():
            if name not in self.names:
                raise UnsupportedError(f"unknown group name {name!r}")
            number = self.names[name]
        elif name.isdecimal() and name.isascii() and 0 < int(name) <= self.groups:
            number = int(name)  # a group defined later is refused, though Python allows it
        else:
            raise UnsupportedError(f"bad group reference {name!r}")
        if self.behind_from is not None and (
            number not in self.closed or number >= self.behind_from
        ):
            raise UnsupportedError("reference to a group of the same lookbehind")
        yes = tuple(self.sequence(verbose, nested + 1, first=False))
        no = tuple(self.sequence(verbose, nested + 1, first=False)) if self.take("|") else None
        if self.next == "|":
            raise UnsupportedError("conditional with more than two branches")
        if not self.take(")"):
            raise UnsupportedError("missing ), unterminated subpattern")
        return Conditional(number, yes, no)

    def group_name(self) -> str:
        if not self.take("<"):
            raise UnsupportedError("unknown extension ?P")
        name = self.until(">")
        if not name.isidentifier() or name in self.names:
            raise UnsupportedError(f"bad group name {name!r}")
        return name

    def reference(self, number: int) -> BackRef:
        """A back reference to a group that is closed, and not opened in this lookbehind."""
        if number not in self.closed:
            raise UnsupportedError("reference to an unknown or open group")
        if self.behind_from is not None and number >= self.behind_from:
            raise UnsupportedError("reference to a group of the same lookbehind")
        return BackRef(number)

    def skip_comment(self) -> None:
        while True:
            if self.next is None:
                raise UnsupportedError("unterminated comment")
            if self.get() == ")":
                return

    def look(self, char: str, verbose: bool, nested: int) -> Look:
        """A lookaround, after its "(?" and ``char``."""
        behind = char == "<"
        outer = self.behind_from
        if behind:
            after = self.get()
            if after is None or after not in "=!":
                raise UnsupportedError("unknown extension ?<")  # (?<name>...) included
            char = after
            if outer is None:
                self.behind_from = self.groups + 1
        body = self.alternation(verbose, nested + 1)
        self.behind_from = outer
        if not self.take(")"):
            raise UnsupportedError("missing ), unterminated subpattern")
        return Look(behind, char == "!", body)

    def inline_flags(self, char: str) -> tuple[frozenset[str], frozenset[str]] | None:
        add: set[str] = set()
        remove: set[str] = set()
        if char != "-":
            while True:
                if char == "L":
                    raise UnsupportedError("flag 'L' with a str pattern")
                add.add(char)
                if char in _TYPE_FLAGS and len(add & _TYPE_FLAGS) > 1:
                    raise UnsupportedError("flags 'a', 'u' and 'L' are incompatible")
                token = self.get()
                if token is None or token in ")-:":
                    char = token or ""
                    break
                if token not in _FLAGS:
                    raise UnsupportedError("unknown flag")
                char = token
        if char == ")":
            self.flags |= add
            return None
        if "t" in add:
            raise UnsupportedError("cannot turn on a global flag")
        if char == "-":
            token = self.get()
            if token is None or token not in _FLAGS:
                raise UnsupportedError("missing flag")
            while True:
                if token in _TYPE_FLAGS:
                    raise UnsupportedError("cannot turn off flags 'a', 'u' and 'L'")
                remove.add(token)
                token = self.get()
                if token == ":":
                    break
                if token is None or token not in _FLAGS:
                    raise UnsupportedError("missing :")
        elif char != ":":
            raise UnsupportedError("missing -, : or )")
        if "t" in remove:
            raise UnsupportedError("cannot turn off a global flag")
        if add & remove:
            raise UnsupportedError("flag turned on and off")
        return frozenset(add), frozenset(remove)

    # --- escapes and classes --------------------------------------------------------------

    def escape(self, token: str) -> Node:
        c = token[1]
        if c in _ANCHORS:
            return Anchor(_ANCHORS[c])
        if c in _CATEGORIES:
            return Class((("category", c),))
        if c == "0":
            return Char(chr(int(c + self.take_while(2, _OCTAL), 8)))
        if c in _DIGITS:
            digits = c
            if self.next is not None and self.next in _DIGITS:
                digits += self.get() or ""
                if digits[0] in _OCTAL and digits[1] in _OCTAL and self.next in _OCTAL:
                    digits += self.get() or ""
                    return Char(self._octal(digits))
            if int(digits) > self.groups:
                raise UnsupportedError(f"invalid group reference {digits}")
            return self.reference(int(digits))
        return Char(self.char_escape(c))

    def char_escape(self, c: str) -> str:
        """The character an escape other than a category or anchor stands for."""
        if c in _ESCAPES:
            return _ESCAPES[c]
        if c in "xuU":
            size = {"x": 2, "u": 4, "U": 8}[c]
            digits = self.take_while(size, _HEX)
            if len(digits) != size or int(digits, 16) > 0x10FFFF:
                raise UnsupportedError(f"incomplete escape \\{c}{digits}")
            return chr(int(digits, 16))
        if c == "N":
            if not self.take("{"):
                raise UnsupportedError("missing {")
            name = self.until("}")
            try:
                return unicodedata.lookup(name)
            except KeyError:
                raise UnsupportedError(f"undefined character name {name!r}") from None
        if c in _ASCII_LETTERS or c in _DIGITS:
            raise UnsupportedError(f"bad escape \\{c}")
        return c

    @staticmethod
    def _octal(digits: str) -> str:
        code = int(digits, 8)
        if code > 0o377:
            raise UnsupportedError(f"octal escape \\{digits} out of range")
        return chr(code)

    def class_escape(self, token: str) -> ClassItem:
        c = token[1]
        if c == "b":
            return ("char", "\b")
        if c in _CATEGORIES:
            return ("category", c)
        if c in _OCTAL:
            return ("char", self._octal(c + self.take_while(2, _OCTAL)))
        return ("char", self.char_escape(c))

    def character_class(self) -> Node:
        members: list[ClassItem] = []
        negate = self.take("^")
        while True:
            this = self.get()
            if this is None:
                raise UnsupportedError("unterminated character set")
            if this == "]" and members:
                break
            first = self.class_escape(this) if this[0] == "\\" else ("char", this)
            if self.take("-"):
                that = self.get()
                if that is None:
                    raise UnsupportedError("unterminated character set")
                if that == "]":
                    members += [first, ("char", "-")]
                    break
                last = self.class_escape(that) if that[0] == "\\" else ("char", that)
                if first[0] != "char" or last[0] != "char" or last[1] < first[1]:
                    raise UnsupportedError(f"bad character range {this}-{that}")
                members.append(("range", first[1] + last[1]))
            else:
                members.append(first)
        unique = list(dict.fromkeys(members))
        if len(unique) == 1 and unique[0][0] == "char":
            return NotChar(unique[0][1]) if negate else Char(unique[0][1])
        return Class((("negate", ""), *unique) if negate else tuple(unique))
