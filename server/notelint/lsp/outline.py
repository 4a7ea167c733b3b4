"""Document symbols (the note's sections) and the summary code lens at the top of the note."""

from __future__ import annotations

from lsprotocol import types

from notelint.core.findings import Span
from notelint.lsp.convert import lsp_range
from notelint.lsp.linting import Analysis


def symbols(
    analysis: Analysis, uri: str, hierarchical: bool
) -> list[types.DocumentSymbol] | list[types.SymbolInformation]:
    text = analysis.report.text
    merged: list[tuple[str, str, Span]] = []
    for kind, heading, span in analysis.report.sections:
        if not heading and merged:
            # The narrative after a one-line "PROCEDURE: ..." heading belongs to that section.
            name, first_kind, first = merged[-1]
            merged[-1] = (name, first_kind, Span(first.start, span.end))
        else:
            merged.append((heading or kind.replace("_", " ").capitalize(), kind, span))
    out = []
    for name, kind, span in merged:
        first_line_end = text.find("\n", span.start, span.end)
        head = Span(span.start, span.end if first_line_end < 0 else first_line_end)
        out.append((name, kind, lsp_range(analysis.index, span), lsp_range(analysis.index, head)))
    if not hierarchical:
        return [
            types.SymbolInformation(
                location=types.Location(uri, whole),
                name=name,
                kind=types.SymbolKind.Namespace,
                container_name=kind,
            )
            for name, kind, whole, _ in out
        ]
    return [
        types.DocumentSymbol(name, types.SymbolKind.Namespace, whole, head, detail=kind)
        for name, kind, whole, head in out
    ]


def summary(analysis: Analysis) -> str:
    report = analysis.report
    codes = ", ".join(s.code + "".join(f"-{m}" for m in s.modifiers) for s in report.suggested)
    gaps = sum(1 for f in report.findings if f.category == "documentation")
    supported = f"supports {codes}" if codes else "no supported code"
    return f"notelint: {supported} · {gaps} documentation gap{'s' if gaps != 1 else ''}"


def summary_lens(analysis: Analysis, uri: str, command: str) -> types.CodeLens:
    top = types.Range(types.Position(0, 0), types.Position(0, 0))
    return types.CodeLens(top, types.Command(summary(analysis), command, arguments=[uri]))
