"""``notelint report``: a self-contained, offline HTML audit page from JSON Lines results.

Input: one JSON object per line, each shaped like an entry of the json format's ``files`` list,
optionally with ``id``, ``date`` and (from ``--include-excerpts`` runs) an ``excerpt`` per finding.
Reading and aggregation are pure and testable without HTML; rendering turns an :class:`Audit`
into one HTML page with inline SVG charts, no scripts, fonts or network.

Privacy: by default the page names notes only as "note 1..N". Paths and resource ids appear only
with ``--include-paths``; finding messages and excerpts only with ``--include-excerpts``. Errors
name the input file and line, never the line's content.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from html import escape
from pathlib import Path
from typing import IO, Any

from notelint.kb import KnowledgeBase, KnowledgeBaseError, load_knowledge_base
from notelint.kb.models import CODE_PATTERN, RULE_ID_PATTERN
from notelint.settings import PROFILES

EXIT_OK, EXIT_ERROR = 0, 2
SEVERITIES = ("error", "warning", "information", "hint")
_CODE = re.compile(CODE_PATTERN)
_RULE = re.compile(RULE_ID_PATTERN)
_WORD = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


# --- reading -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FindingRecord:
    rule: str
    category: str
    severity: str
    code: str | None
    element: str | None
    message: str = ""
    excerpt: str | None = None


@dataclass(frozen=True)
class ChecklistRecord:
    """One code whose documentation the core checked, as the json format's ``checklists``
    gives it: each required item as (element, rule), and those missing."""

    code: str
    required: tuple[tuple[str, str], ...]
    missing: frozenset[tuple[str, str]]


@dataclass(frozen=True)
class NoteRecord:
    number: int
    path: str
    resource_id: str | None
    month: str | None  # "YYYY-MM" when the note's date is known
    findings: tuple[FindingRecord, ...]
    reported: frozenset[str]
    suggested: frozenset[str]
    # What the core checked; None for results written before the json format had checklists,
    # whose checks are inferred from the findings instead.
    checklists: tuple[ChecklistRecord, ...] | None = None


@dataclass
class ReadResult:
    notes: list[NoteRecord] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # one line each: file:line: reason
    bad_dates: int = 0
    unreadable_files: int = 0


class RecordError(ValueError):
    """A line that is not a usable result object; the message never quotes the line."""


def _word(value: Any, pattern: re.Pattern[str]) -> str | None:
    return value if isinstance(value, str) and pattern.match(value) else None


def _finding(raw: Any) -> FindingRecord:
    if not isinstance(raw, dict) or not isinstance(raw.get("rule"), str):
        raise RecordError("a finding is not an object with a rule")
    severity = raw.get("severity")
    excerpt = raw.get("excerpt")
    message = raw.get("message")
    return FindingRecord(
        rule=_word(raw["rule"], _RULE) or "unknown",
        category=_word(raw.get("category"), _WORD) or "unknown",
        severity=severity if severity in SEVERITIES else "unknown",
        code=_word(raw.get("code"), _CODE),
        element=_word(raw.get("element"), _WORD),
        message=message if isinstance(message, str) else "",
        excerpt=excerpt if isinstance(excerpt, str) else None,
    )


def _codes(raw: Any, key: str) -> frozenset[str]:
    items = raw.get(key, []) if isinstance(raw, dict) else []
    if not isinstance(items, list):
        raise RecordError(f"codes.{key} is not a list")
    return frozenset(
        c for item in items if isinstance(item, dict) for c in [_word(item.get("code"), _CODE)] if c
    )


def _checklists(raw: Any) -> tuple[ChecklistRecord, ...] | None:
    if raw is None:
        return None
    if not isinstance(raw, list):
        raise RecordError("'checklists' is not a list")
    return tuple(_checklist(entry) for entry in raw)


def _checklist(raw: Any) -> ChecklistRecord:
    code = _word(raw.get("code"), _CODE) if isinstance(raw, dict) else None
    items = raw.get("items") if isinstance(raw, dict) else None
    if code is None or not isinstance(items, list):
        raise RecordError("a checklist is not an object with a code and items")
    required: list[tuple[str, str]] = []
    missing: set[tuple[str, str]] = set()
    for item in items:
        element = _word(item.get("element"), _WORD) if isinstance(item, dict) else None
        rule = _word(item.get("rule"), _RULE) if isinstance(item, dict) else None
        if element is None or rule is None or not isinstance(item.get("satisfied"), bool):
            raise RecordError("a checklist item is not an element, a rule and satisfied")
        required.append((element, rule))
        if not item["satisfied"]:
            missing.add((element, rule))
    return ChecklistRecord(code, tuple(required), frozenset(missing))


def parse_month(value: Any) -> str | None:
    """'YYYY-MM' from an ISO 8601 date, datetime or year-month; None when absent or unparseable."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    found = _MONTH.match(text)
    if found and 1 <= int(found.group(2)) <= 12:
        return text
    for parse in (date.fromisoformat, datetime.fromisoformat):
        try:
            parsed = parse(text)
        except ValueError:
            continue
        return f"{parsed.year:04d}-{parsed.month:02d}"
    return None


def parse_record(obj: Any, number: int) -> NoteRecord:
    """One result object to a record; raises RecordError when the shape is wrong."""
    if not isinstance(obj, dict):
        raise RecordError("not a JSON object")
    findings = obj.get("findings")
    if not isinstance(findings, list):
        raise RecordError("'findings' is missing or not a list")
    codes = obj.get("codes", {})
    if not isinstance(codes, dict):
        raise RecordError("'codes' is not an object")
    path, rid = obj.get("path"), obj.get("id")
    return NoteRecord(
        number=number,
        path=path if isinstance(path, str) else "",
        resource_id=str(rid) if isinstance(rid, str | int) and not isinstance(rid, bool) else None,
        month=parse_month(obj.get("date")),
        findings=tuple(_finding(f) for f in findings),
        reported=_codes(codes, "reported"),
        suggested=_codes(codes, "suggested"),
        checklists=_checklists(obj.get("checklists")),
    )


def _decode(raw: bytes) -> Any:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RecordError("not UTF-8") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise RecordError(f"invalid JSON at column {exc.colno}") from None
    except RecursionError:
        raise RecordError("JSON nested too deeply") from None


def read_stream(stream: IO[bytes], name: str, result: ReadResult) -> None:
    """Append every usable line of ``stream`` to ``result``; note each skipped line by number."""
    for line_no, raw in enumerate(stream, start=1):
        if not raw.strip():
            continue
        try:
            obj = _decode(raw)
            note = parse_record(obj, len(result.notes) + 1)
        except RecordError as exc:
            result.errors.append(f"{name}:{line_no}: skipped: {exc}")
            continue
        if obj.get("date") is not None and note.month is None:
            result.bad_dates += 1
        result.notes.append(note)


def read_results(paths: Sequence[str], stdin: IO[bytes] | None = None) -> ReadResult:
    """Read JSON Lines result files ("-" is standard input). Never raises for bad input."""
    result = ReadResult()
    for path in paths:
        if path == "-":
            read_stream(stdin or sys.stdin.buffer, "<stdin>", result)
            continue
        try:
            with open(path, "rb") as stream:
                read_stream(stream, path, result)
        except OSError as exc:
            result.errors.append(f"{path}: cannot read ({exc.strerror or type(exc).__name__})")
            result.unreadable_files += 1
    return result


# --- aggregation -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Requirement:
    element: str
    rule: str
    label: str


@dataclass
class RequirementStat:
    requirement: Requirement
    present: int = 0
    missing: int = 0


@dataclass
class CodeStat:
    code: str
    description: str
    assessed: int = 0  # notes whose documentation for this code was checked
    complete: int = 0  # ... of which every requirement was documented
    not_assessed: int = 0  # notes reporting the code where notelint did not check documentation
    requirements: list[RequirementStat] = field(default_factory=list)


@dataclass(frozen=True)
class Gap:
    code: str
    requirement: Requirement
    missing: int
    assessed: int


@dataclass
class MonthStat:
    month: str
    notes: int = 0
    with_findings: int = 0
    assessed: int = 0
    complete: int = 0


@dataclass(frozen=True)
class NoteRow:
    note: NoteRecord
    assessed: tuple[str, ...]
    complete: bool


@dataclass
class Audit:
    notes: int = 0
    with_findings: int = 0
    assessed: int = 0  # notes with at least one guidance code checked
    complete: int = 0  # ... where every checked code is fully documented
    elements_present: int = 0
    elements_total: int = 0
    undated: int = 0
    codes: list[CodeStat] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    by_rule: dict[str, Counter[str]] = field(default_factory=dict)
    months: list[MonthStat] = field(default_factory=list)
    rows: list[NoteRow] = field(default_factory=list)


def requirements_for(kb: KnowledgeBase, code: str, profile: str) -> list[Requirement]:
    """The documentation a code requires under a profile, in knowledge-base order."""
    spec = kb.codes.get(code)
    if spec is None:
        return []
    out: list[Requirement] = []
    for req in spec.requires:
        if profile in req.profiles:
            element = kb.elements[req.element]
            out.append(
                Requirement(req.element, req.rule or element.rule, req.label or element.label)
            )
    return list(dict.fromkeys(out))


def _documentation_gaps(note: NoteRecord, code: str) -> set[tuple[str, str]]:
    return {
        (f.element, f.rule)
        for f in note.findings
        if f.category == "documentation" and f.code == code and f.element
    }


def assessed_codes(note: NoteRecord, kb: KnowledgeBase) -> tuple[str, ...]:
    """Guidance codes whose documentation notelint checked in this note: those with a
    checklist, as the core said.

    For older results without checklists, inferred from the findings: notelint checks a code's documentation when it suggests the code, or when the code is reported,
    supported by the narrative and not included in the primary procedure. A documentation finding
    proves a check; a reported code that is never suggested (76496) counts unless a coding or
    bundling finding says the narrative does not support it or it is included.
    """
    if note.checklists is not None:
        return tuple(sorted({checklist.code for checklist in note.checklists}))
    flagged = {f.code for f in note.findings if f.category in ("coding", "bundling")}
    documented = {f.code for f in note.findings if f.category == "documentation" and f.code}
    out = set(documented)
    for code in note.suggested | note.reported:
        spec = kb.codes.get(code)
        if spec is None:
            continue
        if code in note.suggested or (not spec.suggest and code not in flagged):
            out.add(code)
    return tuple(sorted(out))


def _code_stat(kb: KnowledgeBase, code: str, profile: str) -> CodeStat:
    spec = kb.codes.get(code)
    description = spec.description if spec else "not in the knowledge base"
    stats = [RequirementStat(r) for r in requirements_for(kb, code, profile)]
    return CodeStat(code, description, requirements=stats)


def _requirement_stat(kb: KnowledgeBase, stat: CodeStat, key: tuple[str, str]) -> RequirementStat:
    for item in stat.requirements:
        if (item.requirement.element, item.requirement.rule) == key:
            return item
    element = kb.elements.get(key[0])
    label = element.label if element else key[0].replace("_", " ")
    item = RequirementStat(Requirement(key[0], key[1], label), present=stat.assessed - 1)
    stat.requirements.append(item)  # a requirement of another profile, seen in the input
    return item


def _add_code(kb: KnowledgeBase, stat: CodeStat, note: NoteRecord) -> bool:
    checklist = next((c for c in note.checklists or () if c.code == stat.code), None)
    gaps = checklist.missing if checklist else _documentation_gaps(note, stat.code)
    stat.assessed += 1
    for key in checklist.required if checklist else sorted(gaps):
        _requirement_stat(kb, stat, key)
    for item in stat.requirements:
        if (item.requirement.element, item.requirement.rule) in gaps:
            item.missing += 1
        else:
            item.present += 1
    stat.complete += not gaps
    return not gaps


def _stat(stats: dict[str, CodeStat], kb: KnowledgeBase, code: str, profile: str) -> CodeStat:
    if code not in stats:
        stats[code] = _code_stat(kb, code, profile)
    return stats[code]


def _add_note(
    audit: Audit, stats: dict[str, CodeStat], kb: KnowledgeBase, profile: str, note: NoteRecord
) -> NoteRow:
    audit.notes += 1
    audit.with_findings += bool(note.findings)
    for finding in note.findings:
        audit.by_rule.setdefault(finding.rule, Counter())[finding.severity] += 1
    assessed = assessed_codes(note, kb)
    complete = True
    for code in assessed:
        complete = _add_code(kb, _stat(stats, kb, code, profile), note) and complete
    for code in sorted(note.reported - set(assessed)):
        if code in kb.codes:
            _stat(stats, kb, code, profile).not_assessed += 1
    if assessed:
        audit.assessed += 1
        audit.complete += complete
    row = NoteRow(note, assessed, bool(assessed) and complete)
    audit.rows.append(row)
    return row


def _add_month(audit: Audit, months: dict[str, MonthStat], row: NoteRow) -> None:
    month = row.note.month
    if month is None:
        audit.undated += 1
        return
    stat = months.setdefault(month, MonthStat(month))
    stat.notes += 1
    stat.with_findings += bool(row.note.findings)
    stat.assessed += bool(row.assessed)
    stat.complete += row.complete


def _gaps(codes: Iterable[CodeStat]) -> list[Gap]:
    gaps = [
        Gap(stat.code, item.requirement, item.missing, stat.assessed)
        for stat in codes
        for item in stat.requirements
        if item.missing
    ]
    return sorted(gaps, key=lambda g: (-g.missing, -g.missing / max(g.assessed, 1), g.code))


def aggregate(notes: Iterable[NoteRecord], kb: KnowledgeBase, profile: str = "cpt") -> Audit:
    """Count everything the page shows. Pure: records and the knowledge base in, numbers out."""
    audit = Audit()
    stats: dict[str, CodeStat] = {}
    months: dict[str, MonthStat] = {}
    for note in notes:
        _add_month(audit, months, _add_note(audit, stats, kb, profile, note))
    audit.codes = sorted(stats.values(), key=lambda s: (-s.assessed, -s.not_assessed, s.code))
    audit.gaps = _gaps(audit.codes)
    audit.months = [months[m] for m in sorted(months)]
    items = [item for stat in audit.codes for item in stat.requirements]
    audit.elements_present = sum(item.present for item in items)
    audit.elements_total = sum(item.present + item.missing for item in items)
    return audit


# --- rendering ---------------------------------------------------------------------------------

COLOURS = {
    "present": "#2f6f9f",
    "missing": "#d9822b",
    "unchecked": "#c9ced4",
    "error": "#b42318",
    "warning": "#d9822b",
    "information": "#2f6f9f",
    "hint": "#8a94a3",
    "unknown": "#5b6470",
}
SEVERITY_MEANING = {
    "error": "a likely billing problem: the codes conflict with the note or the coding rules",
    "warning": "documentation that a code requires is missing, or a code is doubtful",
    "information": "worth a look, for example a code the note supports but nobody reported",
    "hint": "a suggestion",
    "unknown": "a severity this version of notelint does not know",
}
CATEGORY_NAMES = {
    "documentation": "missing documentation",
    "coding": "codes",
    "bundling": "bundling",
    "units": "units",
    "necessity": "medical necessity",
    "performer": "who performed it",
    "modifier": "modifiers",
    "consistency": "consistency",
    "input": "unreadable input",
}
PROFILE_NAMES = {"cpt": "CPT coding manual", "ash": "CPT coding manual plus the ASH guideline"}
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MAX_NOTE_ROWS = 2000
TOP_GAPS = 10

CSS = """
:root { --ink: #1d2530; --muted: #5b6470; --line: #dde1e6; --soft: #f4f6f8; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff; line-height: 1.45;
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1060px; margin: 0 auto; padding: 28px 32px 48px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 36px 0 6px; padding-top: 12px; border-top: 1px solid var(--line); }
h3 { font-size: 16px; margin: 22px 0 4px; }
p { margin: 4px 0 10px; }
.lead { color: var(--muted); margin-bottom: 18px; }
.explain { color: var(--muted); max-width: 760px; }
.cards { display: grid; grid-template-columns: repeat(4, 1fr); gap: 14px; margin: 18px 0 8px; }
.card { background: var(--soft); border-radius: 8px; padding: 14px 16px; }
.card .big { font-size: 30px; font-weight: 700; }
.card .what { font-weight: 600; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 6px; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 13px; color: var(--muted); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.bar { width: 190px; }
a { color: #1f5a85; }
.code { font-weight: 700; font-variant-numeric: tabular-nums; }
.legend { display: flex; gap: 18px; flex-wrap: wrap; font-size: 13px; color: var(--muted); margin: 6px 0; }
.swatch { display: inline-block; width: 11px; height: 11px; border-radius: 2px; margin-right: 5px;
  vertical-align: -1px; }
tr.group td { background: var(--soft); border-bottom: 0; padding-top: 10px; }
.sub { color: var(--muted); font-size: 13px; }
.empty { color: var(--muted); font-style: italic; }
td.item { min-width: 260px; }
.rule { border-top: 1px solid var(--line); padding: 8px 0 4px; }
.rule h3 { margin: 4px 0; }
dl { display: grid; grid-template-columns: 150px 1fr; gap: 4px 12px; margin: 6px 0; }
dt { color: var(--muted); }
dd { margin: 0; }
details summary { cursor: pointer; font-weight: 600; margin: 8px 0; }
q { color: #6b3d00; }
svg.chart { max-width: 100%; height: auto; }
td ul { margin: 0; padding-left: 18px; }
td li { margin-bottom: 3px; }
footer { margin-top: 40px; color: var(--muted); font-size: 13px; }
@media print { h2 { break-after: avoid; } .rule, tr { break-inside: avoid; } }
@media (max-width: 800px) { .cards { grid-template-columns: repeat(2, 1fr); } }
"""


@dataclass(frozen=True)
class PageOptions:
    profile: str = "cpt"
    include_paths: bool = False
    include_excerpts: bool = False
    generated: str = ""
    skipped_lines: int = 0


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _pct(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%" if whole else "–"


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else (plural or word + 's')}"


def _month_name(month: str) -> str:
    year, number = month.split("-")
    return f"{MONTHS[int(number) - 1]} {year}"


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _rule_link(rule: str) -> str:
    return f'<a href="#rule-{_e(rule)}">{_e(rule)}</a>'


def _swatch(colour: str, text: str) -> str:
    return f'<span><span class="swatch" style="background:{colour}"></span>{_e(text)}</span>'


def _legend(items: Iterable[tuple[str, str]]) -> str:
    return '<div class="legend">' + "".join(_swatch(c, t) for c, t in items) + "</div>"


def svg_bar(parts: Sequence[tuple[int, str, str]], total: int, width: int = 180) -> str:
    """A stacked horizontal bar: parts are (value, colour, description), scaled to ``total``."""
    height, x, rects = 16, 0.0, []
    for value, colour, text in parts:
        w = width * value / total if total else 0
        if w > 0:
            rects.append(
                f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="{height}" fill="{colour}">'
                f"<title>{_e(text)}</title></rect>"
            )
        x += w
    label = "; ".join(t for v, _, t in parts if v)
    return (
        f'<svg role="img" aria-label="{_e(label)}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}"><rect width="{width}" height="{height}" fill="#eef0f3"/>'
        f"{''.join(rects)}</svg>"
    )


def _headline(audit: Audit) -> str:
    cards = [
        (str(audit.notes), "notes reviewed", _dated(audit)),
        (
            str(audit.with_findings),
            "notes with at least one finding",
            f"{_pct(audit.with_findings, audit.notes)} of the notes reviewed",
        ),
        (
            _pct(audit.complete, audit.assessed),
            "guidance documentation complete",
            f"{audit.complete} of {_plural(audit.assessed, 'note')} with an image-guidance code "
            "document everything the code requires",
        ),
        (
            _pct(audit.elements_present, audit.elements_total),
            "required items documented",
            f"{audit.elements_present} of {audit.elements_total} required items, "
            "counted per note and code",
        ),
    ]
    return (
        '<div class="cards">'
        + "".join(
            f'<div class="card"><div class="big">{_e(big)}</div><div class="what">{_e(what)}</div>'
            f'<div class="sub">{_e(sub)}</div></div>'
            for big, what, sub in cards
        )
        + "</div>"
    )


def _dated(audit: Audit) -> str:
    if not audit.months:
        return "no note dates in the input"
    first, last = _month_name(audit.months[0].month), _month_name(audit.months[-1].month)
    span = first if first == last else f"{first} to {last}"
    return f"dated {span}" + (f"; {audit.undated} without a date" if audit.undated else "")


def _intro(audit: Audit, options: PageOptions) -> str:
    return (
        '<p class="lead">notelint read each procedure note and checked whether it documents what '
        "its image-guidance code requires, for example that images of the site were saved and "
        "interpreted. This page summarises those checks for "
        f"{_plural(audit.notes, 'note')} against the {_e(PROFILE_NAMES.get(options.profile, options.profile))}. "
        "Each finding links to an explanation in the appendix.</p>"
    )


def _requirement_row(item: RequirementStat) -> str:
    req, total = item.requirement, item.present + item.missing
    bar = svg_bar(
        [
            (item.present, COLOURS["present"], f"documented in {item.present}"),
            (item.missing, COLOURS["missing"], f"missing in {item.missing}"),
        ],
        total,
    )
    return (
        f'<tr><td class="item">{_e(_sentence(req.label))}</td><td>{_rule_link(req.rule)}</td>'
        f'<td class="num">{item.present}</td><td class="num">{item.missing}</td>'
        f'<td class="num">{_pct(item.present, total)}</td><td class="bar">{bar}</td></tr>'
    )


def _code_rows(stat: CodeStat) -> str:
    if stat.assessed:
        checked = (
            f"checked in {_plural(stat.assessed, 'note')}; {stat.complete} "
            f"({_pct(stat.complete, stat.assessed)}) document everything below"
        )
    else:
        checked = "documentation not checked in any note"
    head = (
        f'<tr class="group"><td colspan="6"><span class="code">{_e(stat.code)}</span> '
        f'{_e(stat.description)}<div class="sub">{_e(checked)}</div>{_not_assessed(stat)}</td></tr>'
    )
    return head + "".join(_requirement_row(item) for item in stat.requirements if stat.assessed)


def _not_assessed(stat: CodeStat) -> str:
    if not stat.not_assessed:
        return ""
    return (
        f'<div class="sub">{_plural(stat.not_assessed, "more note")} '
        f"report{'s' if stat.not_assessed == 1 else ''} {_e(stat.code)} "
        "without its documentation being checked: the narrative does not support the code, or "
        "the main procedure's code already includes the guidance (see "
        '<a href="#rules">findings by rule</a>).</div>'
    )


def _completeness(audit: Audit) -> str:
    intro = (
        '<h2 id="completeness">Documentation completeness by code</h2>'
        '<p class="explain">For every image-guidance code that a note reports or supports, the '
        "note must document certain items. Each row counts the notes with that code where the "
        "item is documented and where it is missing.</p>"
        + _legend([(COLOURS["present"], "documented"), (COLOURS["missing"], "missing")])
    )
    if not audit.codes:
        return intro + '<p class="empty">No note reports or supports an image-guidance code.</p>'
    rows = "".join(_code_rows(stat) for stat in audit.codes)
    return intro + (
        '<table class="groups"><thead><tr><th>What the note must document</th><th>Rule</th>'
        '<th class="num">Documented</th><th class="num">Missing</th>'
        f'<th class="num">Share documented</th><th></th></tr></thead><tbody>{rows}</tbody></table>'
    )


def _gap_section(audit: Audit) -> str:
    head = (
        '<h2 id="gaps">Most frequent gaps</h2>'
        '<p class="explain">The required items missing most often, with the share of the notes '
        "carrying that code that miss it. Fixing the top rows closes most of the gaps.</p>"
    )
    if not audit.gaps:
        return head + '<p class="empty">No documentation gaps: every checked note is complete.</p>'
    top = max(g.missing for g in audit.gaps)
    rows = "".join(
        f'<tr><td class="item">{_e(_sentence(g.requirement.label))}</td>'
        f'<td class="code">{_e(g.code)}</td><td>{_rule_link(g.requirement.rule)}</td>'
        f'<td class="num">{g.missing}</td><td class="num">{_pct(g.missing, g.assessed)} of '
        f'{g.assessed}</td><td class="bar">'
        f"{svg_bar([(g.missing, COLOURS['missing'], f'missing in {g.missing}')], top)}</td></tr>"
        for g in audit.gaps[:TOP_GAPS]
    )
    more = len(audit.gaps) - TOP_GAPS
    tail = (
        f'<p class="explain">{_plural(more, "less frequent gap")} not shown.</p>'
        if more > 0
        else ""
    )
    return (
        head + "<table><thead><tr><th>Missing item</th><th>Code</th><th>Rule</th>"
        '<th class="num">Notes missing it</th><th class="num">Share of notes with the code</th>'
        f"<th></th></tr></thead><tbody>{rows}</tbody></table>{tail}"
    )


def _rule_summary(kb: KnowledgeBase, rule: str) -> str:
    spec = kb.rules.get(rule)
    return spec.summary if spec else "not in this knowledge base (an organisation's own rule?)"


def _severities(counts: Counter[str]) -> list[str]:
    return [s for s in (*SEVERITIES, "unknown") if counts.get(s)]


def _rules_section(audit: Audit, kb: KnowledgeBase) -> str:
    head = (
        '<h2 id="rules">Findings by rule and severity</h2>'
        '<p class="explain">Every finding, grouped by the rule that raised it. A note can have '
        'several findings. Severity says how urgent a finding is:</p><ul class="explain">'
        + "".join(
            f"<li>{_swatch(COLOURS[s], s)}: {_e(SEVERITY_MEANING[s])}</li>" for s in SEVERITIES
        )
        + "</ul>"
    )
    if not audit.by_rule:
        return head + '<p class="empty">No findings.</p>'
    top = max(sum(c.values()) for c in audit.by_rule.values())
    ordered = sorted(audit.by_rule.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
    rows = "".join(_rule_row(kb, rule, counts, top) for rule, counts in ordered)
    cols = "".join(f'<th class="num">{_e(s.capitalize())}</th>' for s in SEVERITIES)
    return head + (
        f"<table><thead><tr><th>Rule</th><th>What it means</th>{cols}"
        f'<th class="num">Total</th><th></th></tr></thead><tbody>{rows}</tbody></table>'
    )


def _rule_row(kb: KnowledgeBase, rule: str, counts: Counter[str], top: int) -> str:
    total = sum(counts.values())
    parts = [(counts[s], COLOURS[s], f"{counts[s]} {s}") for s in _severities(counts)]
    cells = "".join(f'<td class="num">{counts.get(s, 0) or ""}</td>' for s in SEVERITIES)
    return (
        f"<tr><td>{_rule_link(rule)}</td><td>{_e(_rule_summary(kb, rule))}</td>{cells}"
        f'<td class="num">{total}</td><td class="bar">{svg_bar(parts, top, 160)}</td></tr>'
    )


def svg_trend(months: Sequence[MonthStat], width: int = 980, height: int = 280) -> str:
    """Notes per month as stacked bars (complete, with gaps, no code checked), share above."""
    left, bottom, top_pad = 44, 42, 26
    plot_w, plot_h = width - left - 10, height - bottom - top_pad
    peak = max(m.notes for m in months) or 1
    slot = plot_w / len(months)
    bar_w = min(56.0, slot * 0.7)
    step = max(1, round(len(months) / 14))
    out = [_axis(left, top_pad, plot_w, plot_h, peak)]
    for i, month in enumerate(months):
        x = left + i * slot + (slot - bar_w) / 2
        out.append(_month_bar(month, x, bar_w, top_pad + plot_h, plot_h / peak))
        if i % step == 0:
            out.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{top_pad + plot_h + 18}" text-anchor="middle" '
                f'font-size="12" fill="#5b6470">{_e(_month_name(month.month))}</text>'
            )
    return (
        f'<svg class="chart" role="img" aria-label="Notes per month and the share fully documented" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'font-family="system-ui, sans-serif">{"".join(out)}</svg>'
    )


def _axis(left: int, top: int, plot_w: float, plot_h: int, peak: int) -> str:
    lines = []
    for tick in sorted({0, peak // 2, peak}):
        y = top + plot_h - plot_h * tick / peak
        lines.append(
            f'<line x1="{left}" x2="{left + plot_w:.1f}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="#dde1e6"/><text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end" '
            f'font-size="12" fill="#5b6470">{tick}</text>'
        )
    return "".join(lines)


def _month_bar(month: MonthStat, x: float, w: float, base: float, scale: float) -> str:
    unchecked = month.notes - month.assessed
    parts = [
        (month.complete, COLOURS["present"], "complete"),
        (month.assessed - month.complete, COLOURS["missing"], "with gaps"),
        (unchecked, COLOURS["unchecked"], "no guidance code checked"),
    ]
    y, out = base, []
    for value, colour, text in parts:
        h = value * scale
        if h > 0:
            y -= h
            out.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" fill="{colour}">'
                f"<title>{_e(_month_name(month.month))}: {value} {text}</title></rect>"
            )
    share = _pct(month.complete, month.assessed)
    out.append(
        f'<text x="{x + w / 2:.1f}" y="{y - 6:.1f}" text-anchor="middle" font-size="12" '
        f'font-weight="600" fill="#1d2530">{_e(share)}</text>'
    )
    return "".join(out)


def _trend_section(audit: Audit) -> str:
    head = (
        '<h2 id="trend">Trend by month</h2>'
        '<p class="explain">Notes per month of the note\'s date. The number above each bar is '
        "the share of notes with an image-guidance code that document everything it requires.</p>"
    )
    if not audit.months:
        return head + (
            '<p class="empty">The input has no note dates (dates come with FHIR input), so there '
            "is no trend to show.</p>"
        )
    legend = _legend(
        [
            (COLOURS["present"], "guidance documentation complete"),
            (COLOURS["missing"], "documentation gaps"),
            (COLOURS["unchecked"], "no image-guidance code checked"),
        ]
    )
    rows = "".join(
        f'<tr><td>{_e(_month_name(m.month))}</td><td class="num">{m.notes}</td>'
        f'<td class="num">{m.with_findings}</td><td class="num">{m.assessed}</td>'
        f'<td class="num">{m.complete}</td><td class="num">{_pct(m.complete, m.assessed)}</td></tr>'
        for m in audit.months
    )
    table = (
        "<details><summary>The numbers behind the chart</summary><table><thead><tr><th>Month</th>"
        '<th class="num">Notes</th><th class="num">With findings</th>'
        '<th class="num">With a guidance code</th><th class="num">Complete</th>'
        f'<th class="num">Share complete</th></tr></thead><tbody>{rows}</tbody></table></details>'
    )
    undated = (
        f'<p class="explain">{_plural(audit.undated, "note")} without a date '
        f"{'is' if audit.undated == 1 else 'are'} not in the chart.</p>"
        if audit.undated
        else ""
    )
    return head + legend + svg_trend(audit.months) + undated + table


def note_label(note: NoteRecord, options: PageOptions) -> str:
    """ "note N", plus the path and resource id only when the reader asked for them."""
    label = f"note {note.number}"
    if options.include_paths:
        extra = [x for x in (note.path, note.resource_id) if x]
        label += "".join(f" · {x}" for x in extra)
    return label


def _finding_item(kb: KnowledgeBase, finding: FindingRecord, options: PageOptions) -> str:
    if finding.category == "documentation" and finding.element in kb.elements:
        what = f"missing: {kb.elements[finding.element].label}"
    else:
        what = _rule_summary(kb, finding.rule)
    code = f'<span class="code">{_e(finding.code)}</span> ' if finding.code else ""
    text = f"<li>{_rule_link(finding.rule)} {code}{_e(what)}"
    if options.include_excerpts:
        if finding.message:
            text += f'<br><span class="sub">{_e(finding.message)}</span>'
        if finding.excerpt:
            text += f"<br><q>{_e(finding.excerpt)}</q>"
    return text + "</li>"


def _notes_section(audit: Audit, kb: KnowledgeBase, options: PageOptions) -> str:
    flagged = [row for row in audit.rows if row.note.findings]
    head = '<h2 id="notes">Notes with findings</h2>'
    privacy = (
        "Notes are numbered in the order they appear in the results file; whoever holds that "
        "file can look them up."
        if not options.include_paths
        else "Each note is shown with its file path and resource id, as recorded in the results."
    )
    if not flagged:
        return head + '<p class="empty">No note has a finding.</p>'
    rows = "".join(
        f"<tr><td>{_e(note_label(row.note, options))}</td>"
        f"<td>{_e(', '.join(row.assessed) or '–')}</td><td><ul>"
        + "".join(_finding_item(kb, f, options) for f in row.note.findings)
        + "</ul></td></tr>"
        for row in flagged[:MAX_NOTE_ROWS]
    )
    more = len(flagged) - MAX_NOTE_ROWS
    tail = f'<p class="explain">{_plural(more, "more note")} not listed.</p>' if more > 0 else ""
    return head + (
        f'<p class="explain">{_e(privacy)}</p><details><summary>List the '
        f"{_plural(len(flagged), 'note')} with findings</summary><table><thead><tr><th>Note</th>"
        "<th>Guidance codes checked</th><th>Findings</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></details>{tail}"
    )


def _appendix_rules(audit: Audit) -> list[str]:
    used = set(audit.by_rule)
    used.update(item.requirement.rule for stat in audit.codes for item in stat.requirements)
    return sorted(used)


def _appendix(audit: Audit, kb: KnowledgeBase) -> str:
    parts = [
        '<h2 id="appendix">Appendix: the rules</h2>'
        '<p class="explain">What each rule on this page checks, why it matters and what a note '
        "needs to satisfy it.</p>"
    ]
    for rule in _appendix_rules(audit):
        spec = kb.rules.get(rule)
        if spec is None:
            parts.append(
                f'<div class="rule" id="rule-{_e(rule)}"><h3>{_e(rule)}</h3>'
                f"<p>{_e(_rule_summary(kb, rule))}</p></div>"
            )
            continue
        kind = CATEGORY_NAMES.get(spec.category, spec.category)
        parts.append(
            f'<div class="rule" id="rule-{_e(rule)}"><h3>{_e(rule)} {_e(spec.name)}</h3>'
            f"<p>{_e(spec.summary)}</p><dl><dt>Why it matters</dt><dd>{_e(spec.why)}</dd>"
            f"<dt>What satisfies it</dt><dd>{_e(spec.fix)}</dd><dt>Kind</dt>"
            f"<dd>{_e(kind)}, usually a{'n' if spec.severity[0] in 'aeiou' else ''} "
            f"{_e(spec.severity)}</dd></dl></div>"
        )
    return "".join(parts)


def _footer(options: PageOptions) -> str:
    shown = []
    shown.append(
        "file paths and resource ids" if options.include_paths else "no file paths or resource ids"
    )
    shown.append(
        "finding messages and note excerpts where the results include them"
        if options.include_excerpts
        else "no note text, finding messages or excerpts"
    )
    skipped = (
        f" {_plural(options.skipped_lines, 'line')} of the input could not be read and "
        f"{'is' if options.skipped_lines == 1 else 'are'} not counted."
        if options.skipped_lines
        else ""
    )
    return (
        f"<footer><p>Privacy: this page contains {_e(shown[0])} and {_e(shown[1])}.{_e(skipped)}"
        f"</p><p>Generated by notelint report{_e(' on ' + options.generated if options.generated else '')}"
        f"; profile {_e(options.profile)}. Self-contained: no scripts, fonts or network.</p></footer>"
    )


def render_page(audit: Audit, kb: KnowledgeBase, options: PageOptions | None = None) -> str:
    """The whole HTML page. Every value from the input is escaped."""
    options = options or PageOptions()
    body = "".join(
        [
            "<h1>Image-guidance documentation audit</h1>",
            _intro(audit, options),
            _headline(audit),
            _gap_section(audit),
            _trend_section(audit),
            _completeness(audit),
            _rules_section(audit, kb),
            _notes_section(audit, kb, options),
            _appendix(audit, kb),
            _footer(options),
        ]
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; img-src data:\">"
        f"<title>Image-guidance documentation audit</title><style>{CSS}</style></head>"
        f"<body><main>{body}</main></body></html>\n"
    )


# --- command line ------------------------------------------------------------------------------


def add_parser(subparsers: Any) -> None:
    """Register ``notelint report`` on the CLI's subparsers."""
    report = subparsers.add_parser(
        "report", help="turn JSON Lines results into a self-contained HTML audit page"
    )
    report.add_argument(
        "inputs", nargs="+", metavar="RESULTS.jsonl", help="JSON Lines results (- for stdin)"
    )
    report.add_argument("-o", "--output", required=True, metavar="FILE", help="HTML file to write")
    report.add_argument(
        "--profile",
        choices=PROFILES,
        default="cpt",
        help="requirement profile the results were produced with (default: cpt)",
    )
    report.add_argument("--rules", action="append", default=[], metavar="DIR")
    report.add_argument(
        "--include-paths", action="store_true", help="show file paths and resource ids (may be PHI)"
    )
    report.add_argument(
        "--include-excerpts",
        action="store_true",
        help="show finding messages and note excerpts from the results (PHI)",
    )


def run(args: argparse.Namespace) -> int:
    """Read, aggregate, render, write. Exit 0, or 2 when nothing was readable or writable."""
    result = read_results(args.inputs)
    for error in result.errors:
        print(f"notelint: {error}", file=sys.stderr)
    if result.bad_dates:
        print(
            f"notelint: {_plural(result.bad_dates, 'record')} "
            f"{'has a date that is' if result.bad_dates == 1 else 'have dates that are'} "
            "not ISO 8601; "
            "counted as undated",
            file=sys.stderr,
        )
    if not result.notes:
        print("notelint: report: no readable results; nothing written", file=sys.stderr)
        return EXIT_ERROR
    try:
        kb = load_knowledge_base(args.rules)
    except KnowledgeBaseError as exc:
        for problem in exc.errors:
            print(f"notelint: {problem}", file=sys.stderr)
        return EXIT_ERROR
    options = PageOptions(
        profile=args.profile,
        include_paths=args.include_paths,
        include_excerpts=args.include_excerpts,
        generated=date.today().isoformat(),
        skipped_lines=len(result.errors) - result.unreadable_files,
    )
    page = render_page(aggregate(result.notes, kb, args.profile), kb, options)
    return _write(args.output, page, result.unreadable_files)


def _write(output: str, page: str, unreadable_files: int) -> int:
    try:
        if output == "-":
            sys.stdout.write(page)
        else:
            Path(output).write_text(page, encoding="utf-8")
    except OSError as exc:
        print(
            f"notelint: {output}: cannot write ({exc.strerror or type(exc).__name__})",
            file=sys.stderr,
        )
        return EXIT_ERROR
    return EXIT_ERROR if unreadable_files else EXIT_OK
