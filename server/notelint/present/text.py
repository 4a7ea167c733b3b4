"""Compiler-style text: ``path:line:col: NL102 message`` with 1-based line and column, and the
run's closing summary (or, with ``--statistics``, a count per rule)."""

from __future__ import annotations

import bisect
from collections import Counter

from notelint.core.findings import Report, Span
from notelint.core.positions import LineIndex

EVIDENCE_WIDTH = 200  # characters of a sentence shown; the rest is elided


def file_lines(
    path: str, report: Report, show_codes: bool = True, sentences: list[Span] | None = None
) -> list[str]:
    """A note's findings; with ``sentences``, also the sentence that satisfied each requirement."""
    index = report.line_index("utf-32")
    out = []
    for finding in report.findings:
        pos = index.position(finding.span.start)
        out.append(f"{path}:{pos.line + 1}:{pos.character + 1}: {finding.rule} {finding.message}")
    if sentences is not None:
        out += evidence_lines(path, report, index, sentences)
    if show_codes and report.suggested:
        codes = ", ".join(s.code + "".join(f"-{m}" for m in s.modifiers) for s in report.suggested)
        out.append(f"{path}: supports {codes}")
    return out


def evidence_lines(path: str, report: Report, index: LineIndex, sentences: list[Span]) -> list[str]:
    """``path:line:col: evidence CODE label: "sentence"`` for each documented requirement."""
    starts = [s.start for s in sentences]
    out = []
    for code, checklist in report.checklists.items():
        for item in checklist:
            if item.evidence is None:
                continue
            at = bisect.bisect_right(starts, item.evidence.start) - 1
            span = sentences[at] if at >= 0 and sentences[at].end > item.evidence.start else None
            span = span or item.evidence
            pos = index.position(span.start)
            quoted = _one_line(report.text[span.start : span.end])
            out.append(
                f'{path}:{pos.line + 1}:{pos.character + 1}: evidence {code} {item.label}: "{quoted}"'
            )
    return out


def _one_line(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= EVIDENCE_WIDTH else flat[: EVIDENCE_WIDTH - 1] + "…"


def summary_line(
    findings: int, flagged: int, notes: int, fixable: int, fixed: int, unreadable: int
) -> str:
    """One line closing the text output, ruff style: what was found, fixed and fixable."""
    noted = f"{notes} note" + ("" if notes == 1 else "s")
    parts = [
        f"Found {_count(findings, 'finding')} in {flagged} of {noted}"
        if findings
        else f"No findings in {noted}"
    ]
    if fixed:
        parts.append(f"{fixed} fixed")
    if fixable:
        parts.append(f"{fixable} fixable with --fix (code and modifier edits)")
    if unreadable:
        parts.append(f"{unreadable} unreadable")
    return "; ".join(parts) + "."


def statistics_lines(
    counts: Counter[str], names: dict[str, str], fixable: Counter[str]
) -> list[str]:
    """A count per rule, most frequent first: ``  12  NL102  [*] missing-permanent-images``."""
    width = len(str(max(counts.values(), default=0)))
    return [
        f"{count:>{width}}  {rule}  {'[*]' if fixable[rule] else '   '} {names.get(rule, '')}".rstrip()
        for rule, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    ]


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")
