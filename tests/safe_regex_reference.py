"""kb/safe_regex.py as it was when it read the standard library's private parse tree
(``re._parser``): kept here, in the tests only, as the reference the current one must agree
with (tests/test_regex_syntax.py)."""

from __future__ import annotations

import importlib
import re
import string
import warnings
from collections.abc import Iterable, Sequence
from typing import Any

_parser: Any = importlib.import_module("re._parser")
_c: Any = importlib.import_module("re._constants")

# A repeat bounded this low cannot take long, whatever it holds.
_SMALL_BOUND = 16
# First characters are compared over this alphabet: enough to tell classes apart.
_ALPHABET = frozenset(string.printable + "µé×°\u00a0\u2013")
_CATEGORIES = {
    "CATEGORY_DIGIT": r"\d",
    "CATEGORY_NOT_DIGIT": r"\D",
    "CATEGORY_SPACE": r"\s",
    "CATEGORY_NOT_SPACE": r"\S",
    "CATEGORY_WORD": r"\w",
    "CATEGORY_NOT_WORD": r"\W",
}

Item = tuple[Any, Any]


def backtracking_risk(pattern: str, ignore_case: bool = True) -> str | None:
    """Why ``pattern`` can take exponential time, or None when it cannot (as far as can be
    seen: a pattern only the ``regex`` package reads is let through)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "possible nested set"
            tree = _parser.parse(pattern, re.IGNORECASE if ignore_case else 0)
    except (re.error, OverflowError, RecursionError):
        return None
    return _risk(list(tree), ignore_case)


def _risk(items: Sequence[Item], fold: bool) -> str | None:
    for op, av in items:
        name = str(op)
        if name in ("MAX_REPEAT", "MIN_REPEAT") and av[1] > _SMALL_BOUND:
            body = list(av[2])
            if _trailing_repeat_chars(body, fold) & _first_chars(body, fold):
                return "a repeat inside a repeat that can match the same text"
            if _alternatives_overlap(body, fold):
                return "alternatives that can match alike under a repeat"
        for part in _parts(name, av):
            if reason := _risk(part, fold):
                return reason
    return None


def _parts(name: str, av: Any) -> list[list[Item]]:
    """The sequences an element holds that can backtrack (atomic groups and possessive
    repeats cannot)."""
    if name in ("MAX_REPEAT", "MIN_REPEAT"):
        return [list(av[2])]
    if name == "SUBPATTERN":
        return [list(av[-1])]
    if name == "BRANCH":
        return [list(branch) for branch in av[1]]
    if name in ("ASSERT", "ASSERT_NOT"):
        return [list(av[1])]
    return []


def _trailing_repeat_chars(items: Sequence[Item], fold: bool) -> frozenset[str]:
    """What the long repeats that can end a match of ``items`` consume: if the next repetition
    of an enclosing repeat can start with one of them, a text splits in many ways."""
    found: set[str] = set()
    for index, (op, av) in enumerate(items):
        if not _nullable(items[index + 1 :]):
            continue
        name = str(op)
        if name in ("MAX_REPEAT", "MIN_REPEAT"):
            body = list(av[2])
            if av[1] > _SMALL_BOUND:
                found |= _first_chars(body, fold)
            found |= _trailing_repeat_chars(body, fold)
        elif name == "SUBPATTERN":
            found |= _trailing_repeat_chars(list(av[-1]), fold)
        elif name == "BRANCH":
            for branch in av[1]:
                found |= _trailing_repeat_chars(list(branch), fold)
    return frozenset(found)


def _alternatives_overlap(items: Sequence[Item], fold: bool) -> bool:
    """Whether an alternation in a repeated part (outside inner repeats) has two alternatives
    that can start alike, or both match nothing (what ``a|a`` leaves once its common start is
    taken out)."""
    for op, av in items:
        name = str(op)
        if name == "SUBPATTERN" and _alternatives_overlap(list(av[-1]), fold):
            return True
        if name == "BRANCH":
            branches = [list(b) for b in av[1]]
            if any(_alternatives_overlap(b, fold) for b in branches):
                return True
            firsts = [(_first_chars(b, fold), _nullable(b)) for b in branches]
            for i, (chars, empty) in enumerate(firsts):
                for other, other_empty in firsts[i + 1 :]:
                    if chars & other or (empty and other_empty):
                        return True
    return False


def _first_chars(items: Sequence[Item], fold: bool) -> frozenset[str]:
    """The characters (of a test alphabet) a sequence's match can start with."""
    found: set[str] = set()
    for op, av in items:
        chars, empty = _element_first(op, av, fold)
        found |= chars
        if not empty:
            break
    return frozenset(found)


def _element_first(op: Any, av: Any, fold: bool) -> tuple[frozenset[str], bool]:
    """An element's first characters, and whether it can match nothing."""
    name = str(op)
    if name == "LITERAL":
        return _folded({chr(av)}, fold), False
    if name == "NOT_LITERAL":
        return _folded(_ALPHABET - {chr(av)}, fold), False
    if name == "IN":
        return _folded({c for c in _ALPHABET if _in_set(c, av)}, fold), False
    if name == "ANY":
        return _ALPHABET, False
    if name in ("AT", "ASSERT", "ASSERT_NOT"):
        return frozenset(), True
    if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
        low, _, body = av
        chars = _first_chars(list(body), fold)
        return chars, low == 0 or _nullable(list(body))
    if name in ("SUBPATTERN", "ATOMIC_GROUP"):
        body = list(av[-1] if name == "SUBPATTERN" else av)
        return _first_chars(body, fold), _nullable(body)
    if name == "BRANCH":
        branches = [list(b) for b in av[1]]
        chars = frozenset().union(*(_first_chars(b, fold) for b in branches))
        return chars, any(_nullable(b) for b in branches)
    return _ALPHABET, True  # anything else (a back reference): could be anything, or nothing


def _nullable(items: Sequence[Item]) -> bool:
    return all(_element_first(op, av, False)[1] for op, av in items)


def _folded(chars: Iterable[str], fold: bool) -> frozenset[str]:
    return frozenset(c.lower() for c in chars) if fold else frozenset(chars)


def _in_set(char: str, items: Sequence[Item]) -> bool:
    negate = False
    hit = False
    for op, av in items:
        name = str(op)
        if name == "NEGATE":
            negate = True
        elif name == "LITERAL":
            hit = hit or char == chr(av)
        elif name == "RANGE":
            hit = hit or av[0] <= ord(char) <= av[1]
        elif name == "CATEGORY":
            category = _CATEGORIES.get(str(av))
            hit = hit or category is None or re.fullmatch(category, char) is not None
    return hit != negate
