"""textdiff's chunked comparisons against their plain definitions, around chunk edges."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from notelint.core.textdiff import _CHUNK, common_prefix, common_suffix, differing_middle


def _plain_prefix(a: str, b: str) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def _plain_suffix(a: str, b: str, limit: int) -> int:
    n = 0
    while n < limit and a[len(a) - 1 - n] == b[len(b) - 1 - n]:
        n += 1
    return n


_SHARED = st.sampled_from([0, 1, _CHUNK - 1, _CHUNK, _CHUNK + 1, 2 * _CHUNK + 3])
_BITS = st.text(alphabet="ab\n", max_size=12)


@settings(max_examples=200, deadline=None)
@given(_SHARED, _BITS, _BITS, _SHARED, st.text(alphabet="ab", max_size=3))
def test_common_prefix_and_suffix_are_the_plain_ones(
    shared: int, a_mid: str, b_mid: str, tail_size: int, seed: str
) -> None:
    head = ("ab\n" * (shared // 3 + 1))[:shared] + seed
    tail = seed + ("ba\n" * (tail_size // 3 + 1))[:tail_size]
    a, b = head + a_mid + tail, head + b_mid + tail
    assert common_prefix(a, b) == _plain_prefix(a, b)
    prefix = common_prefix(a, b)
    limit = min(len(a), len(b)) - prefix
    assert common_suffix(a, b, limit) == _plain_suffix(a, b, limit)


def test_differing_middle() -> None:
    old = "x" * 10_000
    new = old[:5000] + "typed" + old[5000:]
    head, tail = differing_middle(old, new) or (-1, -1)
    assert new[:head] == old[:head] and new[len(new) - tail :] == old[len(old) - tail :]
    assert head + tail == len(old)  # the insert is all that differs
    assert differing_middle("a" * 100, "b" * 100) is None  # nothing shared: not an edit
    assert differing_middle("same", "same") == (4, 0)
