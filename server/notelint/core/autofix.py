"""Apply the fixes that assert nothing (code and modifier edits on the coding line), as
``notelint check --fix`` and ``--diff`` do; never documentation templates, which are
placeholders for the author to fill.

Pure: text in, text out. Fixes are chosen as the editor's fix-all chooses them (the first safe
fix of each finding, none touching an edit already taken), applied, and the note analysed again,
because one fix can make or remove another's finding (removing a bundled code ends its unit
count). A few rounds settle any note; a note whose fixes undo each other stops where it started.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from notelint.core.findings import Fix, Report, Span, TextEdit

MAX_ROUNDS = 8


@dataclass(frozen=True, slots=True)
class Fixed:
    text: str  # the note after every round's fixes
    applied: int  # fixes applied over all rounds
    report: Report  # the analysis of ``text``: the findings fixing left


def safe_fixes(report: Report) -> list[Fix]:
    """Per finding, its first fix that asserts nothing, unless it touches an edit taken before."""
    chosen: list[Fix] = []
    taken: list[Span] = []
    for finding in report.findings:
        fix = next((f for f in finding.fixes if f.asserts_nothing), None)
        if fix is None or any(clash(e.span, t) for e in fix.edits for t in taken):
            continue
        taken += [e.span for e in fix.edits]
        chosen.append(fix)
    return chosen


def clash(a: Span, b: Span) -> bool:
    """Overlapping edits, or two at one point (their order would be undefined)."""
    return (a.start < b.end and b.start < a.end) or a.start == b.start


def apply_edits(text: str, edits: list[TextEdit]) -> str:
    """``text`` with non-overlapping ``edits`` applied (spans are offsets into ``text``)."""
    out, at = [], 0
    for edit in sorted(edits, key=lambda e: e.span.start):
        out += [text[at : edit.span.start], edit.new_text]
        at = edit.span.end
    out.append(text[at:])
    return "".join(out)


def fix_note(text: str, analyse: Callable[[str], Report], first: Report | None = None) -> Fixed:
    """Apply safe fixes round after round until none is left (or rounds run out); ``first``
    is the analysis of ``text`` when the caller has it already."""
    seen, applied = {text}, 0
    report = first or analyse(text)
    for _ in range(MAX_ROUNDS):
        fixes = safe_fixes(report)
        if not fixes:
            break
        fixed = apply_edits(text, [e for fix in fixes for e in fix.edits])
        if fixed in seen:  # fixes that undo each other: stop rather than go round
            break
        seen.add(fixed)
        text, applied, report = fixed, applied + len(fixes), analyse(fixed)
    return Fixed(text, applied, report)
