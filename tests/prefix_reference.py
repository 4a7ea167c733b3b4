"""The prefix derivations as they were when they read the standard library's private parse
tree (``re._parser``): kept here, in the tests only, as the reference that
:mod:`notelint.core.regex_syntax` and :mod:`notelint.core.prefix` must agree with.

The helpers that do not read a tree (prefix splitting, set arithmetic, ``_fuzzy``) are the
product's own; only the reading of the tree is the old code, unchanged.
"""

from __future__ import annotations

import importlib
import warnings
from typing import Any

from notelint.core.prefix import (
    _EMPTY,
    _HARMLESS_FLAGS,
    _MARKERS,
    _MAX_PREFIX,
    _SMALL_CLASS,
    BOUNDARY,
    LINE_START,
    NOT_AFTER_WORD,
    NOT_BEFORE_WORD,
    Prefix,
    Unindexed,
    _fuzzy,
    _GiveUpError,
    _prefix,
    _prepend,
    _union,
)

_sre: Any = importlib.import_module("re._parser")
_c: Any = importlib.import_module("re._constants")

_FLAG_BITS = {
    "u": _c.SRE_FLAG_UNICODE,
    "i": _c.SRE_FLAG_IGNORECASE,
    "m": _c.SRE_FLAG_MULTILINE,
    "s": _c.SRE_FLAG_DOTALL,
}
_HARMLESS = sum(_FLAG_BITS[f] for f in _HARMLESS_FLAGS)


def _parse(pattern: str) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "possible nested set"
        return _sre.parse(pattern, 0)


def required_prefixes(pattern: str) -> frozenset[Prefix] | None:
    if "[:" in pattern or _fuzzy(pattern):
        return None
    try:
        parsed = _parse(pattern)
        if parsed.state.flags & ~_HARMLESS:
            return None
        found = _Walk().prefixes(((parsed, 0),))
    except (_c.error, _GiveUpError, RecursionError):
        return None
    prefixes = {_prefix(raw) for raw in found}
    if not prefixes or any(not p.text for p in prefixes):
        return None
    return frozenset(prefixes)


def reach_behind(pattern: str) -> int | None:
    if "[:" in pattern or _fuzzy(pattern):
        return None
    try:
        return max(1, _lookbehind(_parse(pattern)))
    except (_c.error, OverflowError, RecursionError):
        return None


def _lookbehind(seq: Any) -> int:
    widest = 0
    for op, av in seq:
        if op in (_c.ASSERT, _c.ASSERT_NOT):
            direction, body = av
            high = body.getwidth()[1]
            if direction == -1:
                if high >= _c.MAXREPEAT:
                    raise OverflowError
                widest = max(widest, high)
            widest = max(widest, _lookbehind(body))
        elif op is _c.SUBPATTERN:
            widest = max(widest, _lookbehind(av[3]))
        elif op is _c.BRANCH:
            widest = max([widest] + [_lookbehind(alt) for alt in av[1]])
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT):
            widest = max(widest, _lookbehind(av[2]))
    return widest


Frames = tuple[tuple[Any, int], ...]


class _Walk:
    def __init__(self) -> None:
        self._memo: dict[tuple[tuple[tuple[int, int], ...], int], set[str]] = {}

    def prefixes(self, frames: Frames, budget: int = _MAX_PREFIX) -> set[str]:
        while frames and frames[0][1] >= len(frames[0][0]):
            frames = frames[1:]
        if not frames or budget == 0:
            return {""}
        key = (tuple((id(seq), i) for seq, i in frames), budget)
        if key not in self._memo:
            self._memo[key] = self._step(frames, budget)
        return self._memo[key]

    def _step(self, frames: Frames, budget: int) -> set[str]:
        (seq, i), outer = frames[0], frames[1:]
        op, av = seq[i]
        rest: Frames = ((seq, i + 1), *outer)
        marker = _marker(op, av)
        if marker:
            return _prepend({marker}, self.prefixes(rest, budget - 1))
        if op in (_c.AT, _c.ASSERT, _c.ASSERT_NOT):
            return self.prefixes(rest, budget)
        if op is _c.LITERAL:
            if chr(av) in _MARKERS:
                return {""}
            return _prepend({chr(av)}, self.prefixes(rest, budget - 1))
        if op is _c.IN:
            chars = _small_class(av)
            return _prepend(chars, self.prefixes(rest, budget - 1)) if chars else {""}
        if op is _c.SUBPATTERN:
            _group, add_flags, del_flags, body = av
            if (add_flags | del_flags) & ~_HARMLESS:
                raise _GiveUpError
            return self.prefixes(((body, 0), *rest), budget)
        if op is _c.BRANCH:
            return _union(self.prefixes(((alt, 0), *rest), budget) for alt in av[1])
        if op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT):
            low, high, body = av
            once = self.prefixes(((body, 0), *rest) if high == 1 else ((body, 0),), budget)
            return once if low >= 1 else _union([once, self.prefixes(rest, budget)])
        return {""}


def _marker(op: Any, av: Any) -> str | None:
    if op is _c.AT:
        if av is _c.AT_BOUNDARY:
            return BOUNDARY
        return LINE_START if av is _c.AT_BEGINNING else None
    if op is _c.ASSERT_NOT and list(av[1]) == [(_c.IN, [(_c.CATEGORY, _c.CATEGORY_WORD)])]:
        return NOT_AFTER_WORD if av[0] == -1 else NOT_BEFORE_WORD
    return None


def _small_class(members: list[tuple[Any, Any]]) -> set[str] | None:
    if len(members) > _SMALL_CLASS or any(op is not _c.LITERAL for op, _ in members):
        return None
    chars = {chr(code) for _, code in members}
    return None if chars & set(_MARKERS) else chars


_CATEGORY_TEXT = {
    "CATEGORY_DIGIT": r"\d",
    "CATEGORY_NOT_DIGIT": r"\D",
    "CATEGORY_SPACE": r"\s",
    "CATEGORY_NOT_SPACE": r"\S",
    "CATEGORY_WORD": r"\w",
    "CATEGORY_NOT_WORD": r"\W",
}


def why_unindexed(pattern: str) -> Unindexed | None:
    prefixes = required_prefixes(pattern)
    if prefixes is not None:
        wide = sorted(p.text for p in prefixes if not p.text.isascii())
        return Unindexed("non_ascii", wide[0]) if wide else None
    if "[:" in pattern or _fuzzy(pattern):
        return Unindexed("syntax")
    try:
        parsed = _parse(pattern)
    except (_c.error, RecursionError):
        return Unindexed("syntax")
    if parsed.state.flags & ~_HARMLESS:
        return Unindexed("flags")
    try:
        found = _blocker(parsed)
    except RecursionError:
        found = None
    return found or Unindexed("other")


def _blocker(seq: Any) -> Unindexed | None:
    optional = False
    for op, av in seq:
        found: Unindexed | None
        if op in (_c.AT, _c.ASSERT, _c.ASSERT_NOT):
            continue
        if op is _c.LITERAL:
            found = Unindexed("class", repr(chr(av))) if chr(av) in _MARKERS else None
        elif op is _c.IN:
            found = None if _small_class(av) else Unindexed("class", _class_text(av))
        elif op is _c.NOT_LITERAL:
            found = Unindexed("class", f"[^{chr(av)}]")
        elif op is _c.ANY:
            found = Unindexed("any", ".")
        elif op is _c.SUBPATTERN:
            if (av[1] | av[2]) & ~_HARMLESS:
                return Unindexed("flags", after_optional=optional)
            found = _blocker(av[3])
        elif op is _c.BRANCH:
            results = [_blocker(alt) for alt in av[1]]
            blocked = [r for r in results if r is not None and r is not _EMPTY]
            found = blocked[0] if blocked else _EMPTY if _EMPTY in results else None
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT):
            found = _blocker(av[2])
            if found is None and av[0] == 0:
                found = _EMPTY
        else:
            found = Unindexed("other")
        if found is _EMPTY:
            optional = True
            continue
        if found is None:
            return None
        return Unindexed(found.kind, found.what, found.after_optional or optional)
    return _EMPTY


def _class_text(members: list[tuple[Any, Any]]) -> str:
    parts = []
    for op, av in members:
        if op is _c.CATEGORY:
            parts.append(_CATEGORY_TEXT.get(str(av), "?"))
        elif op is _c.RANGE:
            parts.append(f"{chr(av[0])}-{chr(av[1])}")
        elif op is _c.LITERAL:
            parts.append(chr(av).encode("unicode_escape").decode("ascii"))
        elif op is _c.NEGATE:
            parts.append("^")
    if len(parts) == 1 and len(parts[0]) == 2 and parts[0].startswith("\\"):
        return parts[0]
    return "[" + "".join(parts) + "]"
