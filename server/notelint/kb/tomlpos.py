"""Find the line of a key path in TOML text, so validation errors can point at file and line.

``tomllib`` returns plain dicts without positions. This scanner tracks table headers,
arrays of tables and ``key =`` lines, which is all the rule files use; a path that cannot
be found resolves to its nearest enclosing table.
"""

from __future__ import annotations

from functools import cache

import regex

Path = tuple[str | int, ...]


class _Patterns:
    """A table header, a ``key =`` line and one part of a dotted key."""

    def __init__(self) -> None:
        self.header = regex.compile(r"^\s*(\[\[?)\s*(.+?)\s*\]\]?\s*(?:#.*)?$")
        self.key = regex.compile(
            r"""^\s*((?:"[^"]*"|'[^']*'|[A-Za-z0-9_-]+)(?:\s*\.\s*(?:"[^"]*"|'[^']*'|[A-Za-z0-9_-]+))*)\s*="""
        )
        self.part = regex.compile(r""""([^"]*)"|'([^']*)'|([A-Za-z0-9_-]+)""")

    def split(self, dotted: str) -> list[str]:
        return [next(g for g in m.groups() if g is not None) for m in self.part.finditer(dotted)]


@cache
def _patterns() -> _Patterns:
    """Compiled when a TOML file is first read: not for a cached knowledge base."""
    return _Patterns()


def key_lines(text: str) -> dict[Path, int]:
    """Map each table and key path to its 1-based line."""
    patterns = _patterns()
    lines: dict[Path, int] = {}
    array_counts: dict[tuple[str, ...], int] = {}
    current: Path = ()
    in_multiline = False
    for number, line in enumerate(text.splitlines(), start=1):
        if in_multiline:
            if line.count('"""') % 2 == 1 or line.count("'''") % 2 == 1:
                in_multiline = False
            continue
        header = patterns.header.match(line)
        if header and not patterns.key.match(line):
            names = tuple(patterns.split(header.group(2)))
            if header.group(1) == "[[":
                index = array_counts.get(names, 0)
                array_counts[names] = index + 1
                current = (*_resolve(names, array_counts), index)
            else:
                current = tuple(_resolve(names, array_counts))
            lines.setdefault(current, number)
            continue
        key = patterns.key.match(line)
        if key:
            lines.setdefault((*current, *patterns.split(key.group(1))), number)
            if line.count('"""') % 2 == 1 or line.count("'''") % 2 == 1:
                in_multiline = True
    return lines


def _resolve(names: tuple[str, ...], array_counts: dict[tuple[str, ...], int]) -> list[str | int]:
    """Insert array-of-tables indices for parents that are arrays (``[[a]]`` then ``[a.b]``)."""
    out: list[str | int] = []
    for i, name in enumerate(names):
        out.append(name)
        prefix = names[: i + 1]
        if prefix in array_counts and i + 1 < len(names):
            out.append(array_counts[prefix] - 1)
    return out


def line_of(lines: dict[Path, int], path: Path) -> int:
    """Line of the longest known prefix of ``path`` (1 when nothing matches)."""
    for end in range(len(path), 0, -1):
        found = lines.get(tuple(path[:end]))
        if found is not None:
            return found
    return 1
