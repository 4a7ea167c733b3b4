"""Aggregating read results into the numbers the audit page shows: per-code requirement tables,
the most frequent gaps, findings per rule and severity, notes per month. Pure: records and the
knowledge base in, an :class:`Audit` out; no HTML here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from notelint.kb import KnowledgeBase
from notelint.present.audit.read import NoteRecord


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

    For older results without checklists, inferred from the findings: notelint checks a code's
    documentation when it suggests the code, or when the code is reported, supported by the
    narrative and not included in the primary procedure. A documentation finding
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
