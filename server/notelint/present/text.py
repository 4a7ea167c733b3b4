"""Compiler-style text: ``path:line:col: NL102 message`` with 1-based line and column."""

from __future__ import annotations

from notelint.findings import Report


def file_lines(path: str, report: Report, show_codes: bool = True) -> list[str]:
    index = report.line_index("utf-32")
    out = []
    for finding in report.findings:
        pos = index.position(finding.span.start)
        out.append(f"{path}:{pos.line + 1}:{pos.character + 1}: {finding.rule} {finding.message}")
    if show_codes and report.suggested:
        codes = ", ".join(s.code + "".join(f"-{m}" for m in s.modifiers) for s in report.suggested)
        out.append(f"{path}: supports {codes}")
    return out
