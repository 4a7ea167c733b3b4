"""Where two versions of a text differ: an edit in the editor changes a few lines of a long
note, and the steps of the analysis that are costly on long notes redo only those."""

from __future__ import annotations

_CHUNK = 4096


def common_prefix(a: str, b: str) -> int:
    """Length of the longest common prefix: compared a chunk at a time, in C."""
    size, at = min(len(a), len(b)), 0
    while at < size and a[at : at + _CHUNK] == b[at : at + _CHUNK]:
        at += _CHUNK
    low, high = at, min(at + _CHUNK, size)  # a[:low] == b[:low]; they differ before high
    while low < high:
        mid = (low + high + 1) // 2
        if a[at:mid] == b[at:mid]:
            low = mid
        else:
            high = mid - 1
    return min(low, size)


def common_suffix(a: str, b: str, limit: int) -> int:
    """Length of the longest common suffix, at most ``limit``."""
    la, lb, at = len(a), len(b), 0
    while (
        at < limit
        and a[la - min(at + _CHUNK, limit) : la - at] == b[lb - min(at + _CHUNK, limit) : lb - at]
    ):
        at = min(at + _CHUNK, limit)
    low, high = at, min(at + _CHUNK, limit)
    while low < high:
        mid = (low + high + 1) // 2
        if a[la - mid : la - at] == b[lb - mid : lb - at]:
            low = mid
        else:
            high = mid - 1
    return low


def differing_middle(old: str, new: str) -> tuple[int, int] | None:
    """``(head, tail)``: ``new`` is ``old`` with all but its first ``head`` and last ``tail``
    characters replaced; ``None`` when that leaves more than half of ``new`` changed."""
    head = common_prefix(old, new)
    tail = common_suffix(old, new, min(len(old), len(new)) - head)
    return None if head + tail < len(new) // 2 else (head, tail)
