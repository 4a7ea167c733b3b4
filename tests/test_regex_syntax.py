"""notelint's own reader of pattern syntax: what the prefix index and the backtracking check
derive from it is what they derived from the standard library's private parser (kept in
tests/prefix_reference.py and tests/safe_regex_reference.py), for every pattern the rules use
and for random ones; the product no longer imports that parser."""

from __future__ import annotations

import functools
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import regex
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

import prefix_reference as reference
import safe_regex_reference
from notelint.core.compiled_rules import CompiledRules
from notelint.core.prefix import _holds, reach_behind, required_prefixes, why_unindexed
from notelint.core.regex_syntax import (
    Anchor,
    Atomic,
    Branch,
    Conditional,
    Group,
    Look,
    Repeat,
    Seq,
    UnsupportedError,
    parse,
)
from notelint.kb import load_knowledge_base
from notelint.kb.safe_regex import backtracking_risk

ROOT = Path(__file__).resolve().parents[1]
ORG_RULES = ROOT / "tests" / "data" / "org-rules"


@functools.cache
def _known_patterns() -> tuple[str, ...]:
    """What the index reads (concepts joined, context triggers, sides), each concept pattern
    and combination part as `notelint rules test` reads them, every string of the rule files
    and raw strings of the tests."""
    found: set[str] = set()
    for kb in (load_knowledge_base(), load_knowledge_base([ORG_RULES])):
        found.update(p.pattern for p in CompiledRules.of(kb).matcher.index.patterns)
        for concept in kb.concepts.values():
            found.update(concept.patterns)
            for combination in concept.combine:
                found.add(combination.pattern())
                found.update(p for part in combination.parts for p in part)
    files = [*ROOT.glob("rules/**/*.toml"), *ROOT.glob("fixtures/**/*.toml")]
    for path in [*files, *ORG_RULES.glob("**/*.toml")]:
        found.update(_strings(tomllib.loads(path.read_text(encoding="utf-8"))))
    for path in set(ROOT.glob("tests/*.py")) - {Path(__file__)}:  # not the give-up cases below
        found.update(re.findall(r'\br"((?:[^"\\\n]|\\.)*)"', path.read_text(encoding="utf-8")))
    return tuple(sorted(found))


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    return [s for v in value for s in _strings(v)] if isinstance(value, list) else []


def _results(module: Any, pattern: str) -> tuple[object, ...]:
    return (
        module.required_prefixes(pattern),
        module.reach_behind(pattern),
        module.why_unindexed(pattern),
    )


def _ours(pattern: str) -> tuple[object, ...]:
    return (required_prefixes(pattern), reach_behind(pattern), why_unindexed(pattern))


def _same(pattern: str, expected: tuple[object, ...]) -> None:
    """As the reference, but for one deliberate difference: the reference's reach_behind did
    not count what a lookbehind's own \\b, ^ or lookbehinds see, nor lookbehinds inside an
    atomic group; ours counts them, and may only be further."""
    ours = _ours(pattern)
    assert (ours[0], ours[2]) == (expected[0], expected[2]), pattern
    reach, old = ours[1], expected[1]
    if reach is None and old is not None:
        # The width of a back reference is not worked out; and a lookbehind the reference did
        # not count (in an atomic group, say) may see without bound: ours says so.
        assert re.search(r"\(\?<[=!].*(\\[1-9]|\(\?P=)", pattern) or _lookbehind_looks_further(
            parse(pattern).items
        ), pattern
    elif reach != old:
        assert isinstance(reach, int) and isinstance(old, int) and reach > old, pattern
        assert _lookbehind_looks_further(parse(pattern).items), pattern


def _lookbehind_looks_further(seq: Seq, inside: bool = False) -> bool:
    """A lookbehind, an atomic group or a conditional holding an anchor or a lookaround."""
    for node in seq:
        if inside and isinstance(node, (Anchor, Look)):
            return True
        parts: tuple[Seq, ...] = ()
        if isinstance(node, Branch):
            parts = node.alternatives
        elif isinstance(node, Conditional):
            parts = (node.yes,) if node.no is None else (node.yes, node.no)
        elif isinstance(node, (Look, Group, Atomic, Repeat)):
            parts = (node.body,)
        deeper = inside or isinstance(node, (Atomic, Conditional))
        deeper = deeper or (isinstance(node, Look) and node.behind)
        if any(_lookbehind_looks_further(part, deeper) for part in parts):
            return True
    return False


def test_every_pattern_the_rules_use_reads_as_with_the_standard_parser() -> None:
    patterns = _known_patterns()
    assert len(patterns) > 2000
    index = CompiledRules.of(load_knowledge_base()).matcher.index
    indexed = sum(required_prefixes(p.pattern) is not None for p in index.patterns)
    assert indexed >= len(index.patterns) - 3  # the test means something
    for pattern in patterns:
        _same(pattern, _results(reference, pattern))


# --- random patterns from a small grammar ---------------------------------------------------

_ATOMS = [
    *"abkKs -_1é",
    r"\1",
    "(?P=g)",
    *(rf"\{c}" for c in ".-*+?()[]{}|^$\\ #"),
    *[
        r"\d",
        r"\D",
        r"\w",
        r"\W",
        r"\s",
        r"\S",
        r"\b",
        r"\B",
        r"\A",
        r"\Z",
        r"\n",
        r"\t",
        r"\f",
        r"\x41",
        r"\u00e9",
        r"\101",
        r"\0",
        r"\07",
        r"\x08",
    ],
    *[
        r".",
        r"^",
        r"$",
        r"[a-c]",
        r"[^ab]",
        r"[sz]",
        r"[\w-]",
        r"[a]",
        r"[^a]",
        r"[]a]",
        r"[a-]",
        r"[\b]",
        r"[\s.]",
        r"[ab\d]",
        r"[a-a]",
        r"[^\w]",
    ],
    *[
        r"[\x0c]",
        r"[-\n]",
        r"[\dk]",
        r"[aa]",
        r"[a-k-]",
        r"[\]]",
        r"[[a]",
        r"[a&&b]",
        r"[\u00e9-\u00ff]",
    ],
    "{",
    "}",
    "{}",
    "{,}",
    "{x",
    "\x0c",
]
_BAD = ["(", ")", "[", "*", "(?", "(?<", "(?P<1>a)", "(?P=g)", r"\1", r"\p", "(?(1)a)", "(?<g>a)"]
_BAD += [r"(a)\1", r"(?P<g>a)(?P=g)", r"(?P<g>a|b)(?<=\1)x", r"(a)(b)(?:\2a|\2b)", r"(a)\12"]
_BAD += [r"(a)?(?(1)b|c)", r"(?P<g>a)?(?(g)(?<=\ba)|c)x", r"(?(2)b|c)(a)", r"(a)?(?(1)(\w+\s?)*)"]
_BAD += [r"(?:\w+\s?)*x", r"(?:a|a)+", r"(?>(?:a|a)+)", r"(?:a|ab)*+", r"(\w+)+\1"]
_QUANTIFIERS = ["*", "+", "?", "{2}", "{1,3}", "{2,}", "{,2}", "{0}", "{3,1}", "{1,1}"]
_OPENERS = ["(", "(?:", "(?P<g>", "(?P<h>", "(?>", "(?=", "(?!", "(?<=", "(?<!", "(?i:", "(?-i:"]
_OPENERS += ["(?x:", "(?a:", "(?s-i:", "(?#", "(?t:", "(?u:"]
_FLAGS = ["", "", "", "(?i)", "(?m)", "(?x)", "(?a)", "(?s)", "(?u)", "(?L)", "(?t)", "(?a)(?u)"]


def _repeated(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    suffix = st.sampled_from(["", "", "?", "+"])
    return st.builds(lambda a, q, s: a + q + s, inner, st.sampled_from(_QUANTIFIERS), suffix)


def _grouped(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.builds(lambda o, a: o + a + ")", st.sampled_from(_OPENERS), inner)


def _behind(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    bounded = st.sampled_from(["", "", "?", "{2}", "{1,3}", "??", "{0,2}+"])
    opener = st.sampled_from(["(?<=", "(?<!"])
    return st.builds(lambda o, a, q: f"{o}{a}{q})", opener, inner, bounded)


def _sequences(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    item = inner | _grouped(inner) | _repeated(inner) | _repeated(_grouped(inner)) | _behind(inner)
    sequence = st.lists(item, max_size=5).map("".join)
    return st.lists(sequence, min_size=1, max_size=3).map("|".join)


_ATOM = st.sampled_from(list("abks-")) | st.sampled_from(_ATOMS)
patterns = st.builds(
    lambda flags, body: flags + body,
    st.just("") | st.sampled_from(_FLAGS),
    st.recursive(_ATOM, _sequences, max_leaves=12) | st.sampled_from(_BAD),
)


@settings(max_examples=1500, deadline=None)
@example(pattern="(?>(?<=a*))")  # an unbounded lookbehind the reference did not count
@given(patterns)
def test_random_patterns_read_as_with_the_standard_parser(pattern: str) -> None:
    try:
        expected = _results(reference, pattern)
    except (OverflowError, ValueError):  # it raised where ours gives up: nothing to compare
        assert _ours(pattern)[:2] == (None, None) or "(?a)(?u)" in pattern
        return
    if _gives_up(pattern) and re.search(r"\(\?\(\d", pattern):  # may name a later group
        assert _ours(pattern)[0] is None
        return
    _same(pattern, expected)  # malformed patterns included


def _gives_up(pattern: str) -> bool:
    try:
        parse(pattern)
    except UnsupportedError:
        return True
    return False


def test_every_pattern_the_rules_use_has_the_same_backtracking_risk() -> None:
    for pattern in _known_patterns():
        for fold in (True, False):
            expected = safe_regex_reference.backtracking_risk(pattern, fold)
            assert backtracking_risk(pattern, fold) == expected, pattern


_OUTER = st.sampled_from(["*", "+", "{2,}", "{1,20}", "*?", "*+", "{1,5}", "{17}"])
# Repeats around the random patterns, so that some can take long.
_REPEATED_PATTERNS = patterns | st.builds(
    lambda inner, outer, after: f"(?:{inner}){outer}{after}", patterns, _OUTER, _ATOM
)


@settings(max_examples=1500, deadline=None)
@given(_REPEATED_PATTERNS, st.booleans())
def test_random_patterns_have_the_same_backtracking_risk(pattern: str, fold: bool) -> None:
    try:
        expected = safe_regex_reference.backtracking_risk(pattern, fold)
    except ValueError:  # flags (?a)(?u): it raised where ours lets the pattern through
        assert backtracking_risk(pattern, fold) is None
        return
    if _gives_up(pattern):
        assert re.search(r"\(\?\(\d", pattern) or expected is None, pattern
        assert backtracking_risk(pattern, fold) is None
        return
    assert backtracking_risk(pattern, fold) == expected


# Texts over letters that the patterns above name, in both cases, word and other characters.
texts = st.text(alphabet=st.sampled_from("abkKsSA _-1.\n\x0c é"), max_size=30)


@settings(max_examples=600, deadline=None)
@given(st.recursive(_ATOM, _sequences, max_leaves=10), texts)
def test_every_match_starts_where_a_required_prefix_holds(pattern: str, text: str) -> None:
    prefixes = required_prefixes(pattern)
    assume(prefixes is not None)
    try:
        compiled_pattern = regex.compile(pattern, regex.IGNORECASE)
    except (regex.error, OverflowError, ValueError):
        return
    folded = text.lower()
    assert prefixes is not None
    for match in compiled_pattern.finditer(text):
        at = match.start()
        assert any(
            folded.startswith(p.text.lower(), at)
            and all(_holds(folded, at + off, mark, len(folded)) for off, mark in p.checks)
            for p in prefixes
        ), (pattern, text, at, prefixes)


@pytest.mark.parametrize(
    "pattern",
    [
        r"(?(2)b|c)(a)",  # a conditional naming a later group (Python allows it)
        r"(a)(?(1)b|c|d)",
        r"(a\1)",  # back references to a group not closed yet, or not there
        r"(?P=n)(?P<n>a)",
        r"(?<=(a)\1)x",  # or opened in the same lookbehind
        r"\p{L}x",  # `regex`-only escapes
        r"\Kx",
        r"(?<n>a)x",  # a named group as only `regex` writes it
        r"(?|a|b)x",
        r"a(",  # malformed
        r"a)",
        r"[a",
        r"x{3,1}",
        r"a**",
        r"\b*",
        r"(?i",
    ],
)
def test_what_the_reader_does_not_know_makes_it_give_up(pattern: str) -> None:
    with pytest.raises(UnsupportedError):
        parse(pattern)
    assert required_prefixes(pattern) is None
    assert reach_behind(pattern) is None


def test_no_product_code_reads_the_private_parser() -> None:
    private = re.compile(r"re\._parser|re\._constants|re\._compiler|sre_parse|sre_constants")
    server = ROOT / "server"
    users = [p for p in server.rglob("*.py") if private.search(p.read_text(encoding="utf-8"))]
    assert users == []


@settings(max_examples=400, deadline=None)
@example(pattern=r"(?<=\ba)k", text=" ak", other="b")  # \b sees before the lookbehind
@example(pattern=r"(?<=(?<=ab)c)x", text="abcx", other="z")  # and a lookbehind in it
@example(pattern=r"(?>(?<=abc))x", text="abcx", other="z")  # in an atomic group
@given(st.recursive(_ATOM, _sequences, max_leaves=10), texts, texts)
def test_nothing_before_the_reach_changes_a_match(pattern: str, text: str, other: str) -> None:
    """A match that starts at ``at`` is the same whatever lies before ``at - reach``."""
    reach = reach_behind(pattern)
    assume(reach is not None)
    try:
        compiled_pattern = regex.compile(pattern, regex.IGNORECASE)
    except (regex.error, OverflowError, ValueError):
        return
    assert reach is not None
    for at in range(reach, len(text) + 1):
        kept = text[at - reach :]
        found = compiled_pattern.match(text, at)
        again = compiled_pattern.match(other + kept, len(other) + reach)
        shift = len(other) + reach - at
        assert (found and found.span()) == (again and (again.start() - shift, again.end() - shift))
