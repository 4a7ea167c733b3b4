from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from notelint.core.positions import LineIndex, Position

TEXT = "Dose 5 µg at 37 °C\n2×3 cm “lesion” 😀 seen\nend"


def test_utf16_counts_astral_characters_twice() -> None:
    index = LineIndex(TEXT, "utf-16")
    seen = TEXT.index("seen")
    assert index.position(seen) == Position(
        1, len("2×3 cm “lesion” ") + 3
    )  # emoji is 2 units, then a space


def test_utf8_counts_bytes() -> None:
    index = LineIndex(TEXT, "utf-8")
    assert index.position(TEXT.index("at")) == Position(0, len("Dose 5 µg ".encode()))


def test_utf32_counts_code_points() -> None:
    index = LineIndex(TEXT, "utf-32")
    assert index.position(TEXT.index("seen")) == Position(1, len("2×3 cm “lesion” 😀 "))


def test_position_past_line_end_clamps() -> None:
    index = LineIndex(TEXT, "utf-16")
    assert index.offset(Position(0, 999)) == TEXT.index("\n")
    assert index.offset(Position(99, 0)) == len(TEXT)


@given(st.text(), st.sampled_from(["utf-16", "utf-8", "utf-32"]))
def test_offset_round_trips(text: str, encoding: str) -> None:
    index = LineIndex(text, encoding)  # type: ignore[arg-type]
    for offset in range(len(text) + 1):
        if offset < len(text) and 0xDC00 <= ord(text[offset]) <= 0xDFFF:
            continue  # a lone low surrogate has no position of its own
        if 0 < offset < len(text) and text[offset - 1 : offset + 1] == "\r\n":
            continue  # between \r and \n is inside one line break
        assert index.offset(index.position(offset)) == offset


def test_lone_carriage_return_and_crlf_end_lines() -> None:
    index = LineIndex("a\rb\r\nc\nd", "utf-16")
    assert index.line_starts == [0, 2, 5, 7]
    assert index.position(5) == Position(2, 0)
    assert index.line_end(1) == 3
    assert index.offset(Position(1, 99)) == 3


@given(st.text(alphabet=st.sampled_from("ab\n\r µ\U0001f600"), max_size=60))
def test_lines_are_where_lsp_puts_them(text: str) -> None:
    """Both ways of finding lines (text with or without a CR) agree with LSP's definition."""
    index = LineIndex(text)
    breaks = list(re.finditer(r"\r\n|\r|\n", text))
    assert index.line_starts == [0, *(m.end() for m in breaks)]
    assert [index.line_end(n) for n in range(len(breaks))] == [m.start() for m in breaks]
    assert index.line_end(len(breaks)) == len(text)
