"""Patterns whose matching time can explode on a hostile note are refused when rules load.

A backtracking engine takes exponential time when a repeated part can match the same text in
more than one way: a repeat inside a repeat (``(a+)+``, ``(\\w+\\s?)*``) or alternatives that
can start alike under a repeat (``(?:a|a)+``, ``(?:\\w|-)+``). Both are found here by reading
the pattern's tree (:mod:`notelint.core.regex_syntax`, the reader of the syntax notelint's patterns
use), before any note is matched. Parts inside an atomic group or a possessive repeat
cannot backtrack and are let through; so are repeats with a small upper bound.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Sequence

from notelint.core.regex_syntax import (
    AnyChar,
    Atomic,
    BackRef,
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
)

# A repeat bounded this low cannot take long, whatever it holds.
_SMALL_BOUND = 16
# First characters are compared over this alphabet: enough to tell classes apart.
_ALPHABET = frozenset(string.printable + "µé×°\u00a0\u2013")


def backtracking_risk(pattern: str, ignore_case: bool = True) -> str | None:
    """Why ``pattern`` can take exponential time, or None when it cannot (as far as can be
    seen: a pattern the reader does not know, such as one only the ``regex`` package reads, is
    let through)."""
    try:
        tree = parse(pattern)
    except UnsupportedError:
        return None
    return _risk(tree.items, ignore_case)


def _long(node: Node) -> bool:
    """A greedy or lazy repeat (a possessive one cannot backtrack) with a large bound."""
    return isinstance(node, Repeat) and node.mode != "possessive" and not _small(node)


def _small(node: Repeat) -> bool:
    return node.high is not None and node.high <= _SMALL_BOUND


def _risk(items: Seq, fold: bool) -> str | None:
    for node in items:
        if _long(node):
            assert isinstance(node, Repeat)
            body = node.body
            if _trailing_repeat_chars(body, fold) & _first_chars(body, fold):
                return "a repeat inside a repeat that can match the same text"
            if _alternatives_overlap(body, fold):
                return "alternatives that can match alike under a repeat"
        for part in _parts(node):
            if reason := _risk(part, fold):
                return reason
    return None


def _parts(node: Node) -> list[Seq]:
    """The sequences an element holds that can backtrack (atomic groups and possessive
    repeats cannot)."""
    if isinstance(node, Repeat):
        return [node.body] if node.mode != "possessive" else []
    if isinstance(node, (Group, Look)):
        return [node.body]
    if isinstance(node, Branch):
        return list(node.alternatives)
    return []


def _trailing_repeat_chars(items: Seq, fold: bool) -> frozenset[str]:
    """What the long repeats that can end a match of ``items`` consume: if the next repetition
    of an enclosing repeat can start with one of them, a text splits in many ways."""
    found: set[str] = set()
    for index, node in enumerate(items):
        if not _nullable(items[index + 1 :]):
            continue
        if isinstance(node, Repeat) and node.mode != "possessive":
            if not _small(node):
                found |= _first_chars(node.body, fold)
            found |= _trailing_repeat_chars(node.body, fold)
        elif isinstance(node, Group):
            found |= _trailing_repeat_chars(node.body, fold)
        elif isinstance(node, Branch):
            for branch in node.alternatives:
                found |= _trailing_repeat_chars(branch, fold)
    return frozenset(found)


def _alternatives_overlap(items: Seq, fold: bool) -> bool:
    """Whether an alternation in a repeated part (outside inner repeats) has two alternatives
    that can start alike, or both match nothing (what ``a|a`` leaves once its common start is
    taken out)."""
    for node in items:
        if isinstance(node, Group) and _alternatives_overlap(node.body, fold):
            return True
        if isinstance(node, Branch):
            branches = node.alternatives
            if any(_alternatives_overlap(b, fold) for b in branches):
                return True
            firsts = [(_first_chars(b, fold), _nullable(b)) for b in branches]
            for i, (chars, empty) in enumerate(firsts):
                for other, other_empty in firsts[i + 1 :]:
                    if chars & other or (empty and other_empty):
                        return True
    return False


def _first_chars(items: Seq, fold: bool) -> frozenset[str]:
    """The characters (of a test alphabet) a sequence's match can start with."""
    found: set[str] = set()
    for node in items:
        chars, empty = _element_first(node, fold)
        found |= chars
        if not empty:
            break
    return frozenset(found)


def _element_first(node: Node, fold: bool) -> tuple[frozenset[str], bool]:
    """An element's first characters, and whether it can match nothing."""
    if isinstance(node, Char):
        return _folded({node.char}, fold), False
    if isinstance(node, NotChar):
        return _folded(_ALPHABET - {node.char}, fold), False
    if isinstance(node, Class):
        return _folded({c for c in _ALPHABET if _in_set(c, node.items)}, fold), False
    if isinstance(node, AnyChar):
        return _ALPHABET, False
    if isinstance(node, Repeat):
        chars = _first_chars(node.body, fold)
        return chars, node.low == 0 or _nullable(node.body)
    if isinstance(node, (Group, Atomic)):
        return _first_chars(node.body, fold), _nullable(node.body)
    if isinstance(node, Branch):
        branches = node.alternatives
        chars = frozenset().union(*(_first_chars(b, fold) for b in branches))
        return chars, any(_nullable(b) for b in branches)
    if isinstance(node, (BackRef, Conditional)):
        return _ALPHABET, True  # could be anything, or nothing
    return frozenset(), True  # zero width: anchors and lookarounds


def _nullable(items: Seq) -> bool:
    return all(_element_first(node, False)[1] for node in items)


def _folded(chars: Iterable[str], fold: bool) -> frozenset[str]:
    return frozenset(c.lower() for c in chars) if fold else frozenset(chars)


def _in_set(char: str, items: Sequence[ClassItem]) -> bool:
    negate = False
    hit = False
    for kind, value in items:
        if kind == "negate":
            negate = True
        elif kind == "char":
            hit = hit or char == value
        elif kind == "range":
            hit = hit or value[0] <= char <= value[1]
        elif kind == "category":
            hit = hit or re.fullmatch("\\" + value, char) is not None
    return hit != negate
