"""Find the line of a key path in TOML text, so validation errors can point at file and line.

``tomllib`` returns plain dicts without positions. This scanner tracks table headers,
arrays of tables and ``key =`` lines, which is all the rule files use; a path that cannot
be found resolves to its nearest enclosing table.
"""

from __future__ import annotations

import regex

_HEADER = regex.compile(r"^\s*(\[\[?)\s*(.+?)\s*\]\]?\s*(?:#.*)?$")
_KEY = regex.compile(
    r"""^\s*((?:"[^"]*"|'[^']*'|[A-Za-z0-9_-]+)(?:\s*\.\s*(?:"[^"]*"|'[^']*'|[A-Za-z0-9_-]+))*)\s*="""
)
_PART = regex.compile(r""""([^"]*)"|'([^']*)'|([A-Za-z0-9_-]+)""")

Path = tuple[str | int, ...]


def _split(dotted: str) -> list[str]:
    return [next(g for g in m.groups() if g is not None) for m in _PART.finditer(dotted)]


def key_lines(text: str) -> dict[Path, int]:
    """Map each table and key path to its 1-based line."""
    lines: dict[Path, int] = {}
    array_counts: dict[tuple[str, ...], int] = {}
    current: Path = ()
    in_multiline = False
    for number, line in enumerate(text.splitlines(), start=1):
        if in_multiline:
            if line.count('"""') % 2 == 1 or line.count("'''") % 2 == 1:
                in_multiline = False
            continue
        header = _HEADER.match(line)
        if header and not _KEY.match(line):
            names = tuple(_split(header.group(2)))
            if header.group(1) == "[[":
                index = array_counts.get(names, 0)
                array_counts[names] = index + 1
                current = (*_resolve(names, array_counts), index)
            else:
                current = tuple(_resolve(names, array_counts))
            lines.setdefault(current, number)
            continue
        key = _KEY.match(line)
        if key:
            lines.setdefault((*current, *_split(key.group(1))), number)
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
