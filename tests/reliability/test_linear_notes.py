"""Hostile note shapes cost time in proportion to their length, never its square."""

from __future__ import annotations

import random
import time
from collections.abc import Callable

import pytest
import regex

from notelint.core.analysis import analyze
from notelint.core.note import _markdown_label
from notelint.kb import KnowledgeBase

SMALL = 16 * 1024
GROWTH = 8  # the large note is this many times the small one

SHAPES: dict[str, Callable[[int], str]] = {
    "one code, many modifiers": lambda n: "CPT: 76942" + "-26" * (n // 3),
    "contradicting modifiers": lambda n: "CPT: 20610" + "-RT-LT-26-TC" * (n // 12),
    "heading then a run of blanks": lambda n: "# a" + " " * n + "b\n",
    "heading then blanks and hashes": lambda n: "## x" + " \t#" * (n // 3) + "y\n",
    "many codes": lambda n: "CPT: " + "76942, " * (n // 7),
}


def _seconds(kb: KnowledgeBase, text: str) -> float:
    best = float("inf")
    for _ in range(2):
        start = time.perf_counter()
        analyze(text, kb)
        best = min(best, time.perf_counter() - start)
    return best


@pytest.mark.parametrize("shape", SHAPES)
def test_hostile_shape_grows_linearly(shape: str, kb: KnowledgeBase) -> None:
    make = SHAPES[shape]
    small, large = _seconds(kb, make(SMALL)), _seconds(kb, make(SMALL * GROWTH))
    # Linear growth makes the large note about 8 times slower; quadratic, 64 times.
    assert large < 3 * GROWTH * small + 0.05, (small, large)


_OLD_HEADING = regex.compile(r"^[ \t]{0,3}#{1,6}[ \t]+(?P<label>.+?)[ \t]*#*[ \t]*$")


def test_markdown_heading_label_is_what_the_old_pattern_found() -> None:
    rng = random.Random(18)
    for _ in range(20_000):
        line = "".join(rng.choice(" \t#a*:\r") for _ in range(rng.randint(0, 12)))
        old = _OLD_HEADING.match(line)
        assert _markdown_label(line) == (old.span("label") if old else None), repr(line)
