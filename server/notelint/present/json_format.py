"""The JSON contract (version 1) that other tools read. Positions are 0-based, UTF-16, LSP style."""

from __future__ import annotations

import json
import textwrap
from collections import Counter
from typing import Any

from notelint.core.findings import Finding, Fix, Report
from notelint.core.positions import LineIndex, Range

VERSION = 1


def range_json(r: Range) -> dict[str, Any]:
    return {
        "start": {"line": r.start.line, "character": r.start.character},
        "end": {"line": r.end.line, "character": r.end.character},
    }


def fix_json(fix: Fix, index: LineIndex) -> dict[str, Any]:
    return {
        "title": fix.title,
        "kind": fix.kind,
        "asserts_nothing": fix.asserts_nothing,
        "edits": [
            {"range": range_json(index.range(e.span.start, e.span.end)), "new_text": e.new_text}
            for e in fix.edits
        ],
    }


def finding_json(finding: Finding, index: LineIndex) -> dict[str, Any]:
    return {
        "rule": finding.rule,
        "name": finding.name,
        "category": finding.category,
        "severity": finding.severity.label,
        "code": finding.code,
        "element": finding.element,
        "message": finding.message,
        "range": range_json(index.range(finding.span.start, finding.span.end)),
        "source": {"document": finding.source.document, "line": finding.source.line},
        "fixes": [fix_json(f, index) for f in finding.fixes],
        "related": [
            {"range": range_json(index.range(r.span.start, r.span.end)), "message": r.message}
            for r in finding.related
        ],
    }


def file_json(path: str, report: Report, excerpts: bool = False) -> dict[str, Any]:
    """One note's entry; ``excerpts`` adds each finding's line of note text (protected health information)."""
    index = report.line_index("utf-16")
    findings = [finding_json(f, index) for f in report.findings]
    if excerpts:
        for entry, finding in zip(findings, report.findings, strict=True):
            entry["excerpt"] = _excerpt(report, index, finding.span.start)
    return {
        "path": path,
        "findings": findings,
        "codes": codes_json(report),
        "checklists": checklists_json(report, index, excerpts),
    }


def checklists_json(
    report: Report, index: LineIndex, excerpts: bool = False
) -> list[dict[str, Any]]:
    """What the core checked for each code whose documentation it assessed: every required
    item, satisfied or not, and where the evidence of a satisfied one starts. Positions only;
    ``excerpts`` adds the evidence's line of note text (protected health information)."""
    out = []
    for code, checklist in report.checklists.items():
        items = []
        for item in checklist:
            entry: dict[str, Any] = {
                "element": item.element,
                "rule": item.rule,
                "label": item.label,
                "satisfied": item.satisfied,
                "evidence": None,
            }
            if item.evidence is not None:
                at = index.position(item.evidence.start)
                entry["evidence"] = {"line": at.line, "character": at.character}
                if excerpts:
                    entry["excerpt"] = _excerpt(report, index, item.evidence.start)
            items.append(entry)
        out.append({"code": code, "items": items})
    return out


def _excerpt(report: Report, index: LineIndex, offset: int) -> str:
    """The line of note text at ``offset``, trimmed and cut to 240 characters."""
    line = index.line_of(offset)
    return report.text[index.line_starts[line] : index.line_end(line)].strip()[:240]


def file_block(entry: dict[str, Any]) -> str:
    """One entry as the json document lists it: ``json.dumps(indent=2)`` indented one level.
    Written by the worker that linted the note, so the parent only copies it out."""
    return textwrap.indent(json.dumps(entry, indent=2), "    ")


def codes_json(report: Report) -> dict[str, list[dict[str, Any]]]:
    """Codes written in the note, codes its narrative supports, and guidance documented for a
    primary procedure notelint did not recognise (a coder must check; nothing is suggested)."""
    return {
        "reported": [
            {"code": c.code, "modifiers": list(c.modifiers), "units": c.units}
            for c in report.reported
        ],
        "suggested": [
            {"code": s.code, "modifiers": list(s.modifiers), "reason": s.reason}
            for s in report.suggested
        ],
        "unresolved": [
            {"modality": u.modality, "recognised": list(u.families)} for u in report.unresolved
        ],
    }


class Tally:
    """The summary's counts, kept while file entries stream past (no need to keep the entries)."""

    def __init__(self) -> None:
        self.files = 0
        self.by_severity: Counter[str] = Counter()
        self.by_rule: Counter[str] = Counter()

    def add(self, entry: dict[str, Any]) -> None:
        self.files += 1
        for finding in entry["findings"]:
            self.by_severity[finding["severity"]] += 1
            self.by_rule[finding["rule"]] += 1

    def as_json(self, errors: int = 0) -> dict[str, Any]:
        return {
            "files": self.files,
            "findings": self.by_rule.total(),
            "unreadable": errors,
            "by_severity": dict(self.by_severity),
            "by_rule": dict(sorted(self.by_rule.items())),
        }
