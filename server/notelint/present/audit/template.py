"""A small HTML template mechanism that escapes by construction.

A :class:`Template` is HTML source with ``$name`` placeholders (``string.Template`` syntax).
Filling it escapes every value, unless the value is :class:`Markup`: HTML that a template (or
:func:`join` of template output) already produced. Only templates and :func:`join` make Markup,
so text from the input (a note path, a rule message, an excerpt) can reach the page only
escaped; forgetting to escape a value is not possible. A value that is neither a str nor Markup
(a number) is converted with ``str`` and escaped like text.

Markup is a str, and str operations on it (``+``, ``%``, ``.format``, f-strings) give a plain
str again, which the next template escapes: a mistake shows escaped markup on the page, never
live markup.
"""

from __future__ import annotations

import html
import string
from collections.abc import Iterable


class Markup(str):
    """Text that is HTML already: substituted into a template as it is."""

    __slots__ = ()


def escape(value: object) -> Markup:
    """``value`` as HTML: Markup unchanged, anything else as escaped text (quotes included)."""
    if isinstance(value, Markup):
        return value
    return Markup(html.escape(str(value), quote=True))


class Template:
    """HTML with ``$name`` placeholders; calling it with every name fills it, escaping."""

    __slots__ = ("_template",)

    def __init__(self, source: str) -> None:
        self._template = string.Template(source)
        if not self._template.is_valid():
            raise ValueError(f"not a valid template: {source[:60]!r}")

    def __call__(self, **values: object) -> Markup:
        """The filled template; a missing name raises KeyError rather than leave ``$name``."""
        return Markup(self._template.substitute({k: escape(v) for k, v in values.items()}))


def join(parts: Iterable[object]) -> Markup:
    """The parts one after another, each escaped unless it is Markup."""
    return Markup("".join(escape(part) for part in parts))


EMPTY = Markup("")
