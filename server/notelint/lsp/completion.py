"""Completion on a coding line: codes (the ones this note supports first), modifiers after ``-``."""

from __future__ import annotations

import regex
from lsprotocol import types

from notelint.core.findings import Span
from notelint.core.positions import Position
from notelint.kb.models import CODE_PATTERN
from notelint.lsp.convert import lsp_range
from notelint.lsp.linting import Analysis

TRIGGERS = ["-", ","]
_CODE = CODE_PATTERN.removeprefix("^").removesuffix("$")
# A code, the modifiers written after it, then a dash and at most one character of the next.
_AFTER_DASH = regex.compile(
    rf"(?P<code>{_CODE})(?P<mods>(?:[ \t]*-[ \t]?[0-9A-Z]{{2}})*)[ \t]*-[ \t]?(?P<partial>[0-9A-Za-z]?)$"
)
_PARTIAL = regex.compile(r"[0-9A-Za-z]*$")
_WRITTEN_MODIFIER = regex.compile(r"[0-9A-Z]{2}")


def complete(analysis: Analysis, position: types.Position) -> types.CompletionList | None:
    text = analysis.report.text
    offset = analysis.index.offset(Position(position.line, position.character))
    line_start = text.rfind("\n", 0, offset) + 1
    prefix = text[line_start:offset]
    if not _on_coding_line(analysis, line_start, offset, prefix):
        return None
    dash = _AFTER_DASH.search(prefix)
    if dash:
        written = set(_WRITTEN_MODIFIER.findall(dash["mods"]))
        items = _modifiers(analysis, dash["code"], written)
        start = offset - len(dash["partial"])
    else:
        items = _codes(analysis)
        partial = _PARTIAL.search(prefix)
        start = line_start + partial.start() if partial else offset
    replace = lsp_range(analysis.index, Span(start, offset))
    for item in items:
        item.text_edit = types.TextEdit(replace, item.label)
    return types.CompletionList(is_incomplete=False, items=items)


def _on_coding_line(analysis: Analysis, line_start: int, offset: int, prefix: str) -> bool:
    for kind, _, span in analysis.report.sections:
        if kind == "coding" and span.start <= offset <= span.end:
            return line_start != span.start or ":" in prefix  # not while typing the label
    return False


def _codes(analysis: Analysis) -> list[types.CompletionItem]:
    supported = {s.code: s.reason for s in analysis.report.suggested}
    known = {c: code.description for c, code in analysis.kb.codes.items()}
    ordered = [*supported, *(c for c in known if c not in supported)]
    return [
        types.CompletionItem(
            label=code,
            kind=types.CompletionItemKind.Value,
            detail=known.get(code) or supported[code],
            documentation=f"This note supports it: {supported[code]}"
            if code in supported
            else None,
            sort_text=f"{0 if code in supported else 1}{number:03d}",
        )
        for number, code in enumerate(ordered)
    ]


def _modifiers(analysis: Analysis, code_id: str, written: set[str]) -> list[types.CompletionItem]:
    kb = analysis.kb
    code = kb.codes.get(code_id)
    names = code.modifiers if code else list(kb.modifiers)
    supported = analysis.report.modifiers_supported(code_id)
    ordered = [m for m in names if m in supported] + [m for m in names if m not in supported]
    return [
        types.CompletionItem(
            label=name,
            kind=types.CompletionItemKind.EnumMember,
            detail=kb.modifiers[name].meaning if name in kb.modifiers else None,
            documentation=f"This note supports -{name} on {code_id}."
            if name in supported
            else None,
            sort_text=f"{0 if name in supported else 1}{number:03d}",
        )
        for number, name in enumerate(ordered)
        if name not in written
    ]
