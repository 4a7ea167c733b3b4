"""Data check ``requirement``: each documentation element a supported code requires
(``requires`` in rules/codes.toml, ``[[requirement]]`` in a rule folder), by the rule the
requirement or its element (rules/elements.toml) names.

For every code the note supports that is suggested or reported, each requirement of the
profile is looked for in the evidence; one without evidence is a finding of its rule, anchored
where the code is reported (else where its guidance is documented), with a fix that inserts
the element's template in the section where it belongs. The code's checklist records each
item, found or not.
"""

from __future__ import annotations

from notelint.checks.context import CodeStatus, Context, anchor_span
from notelint.core.findings import ChecklistItem, Fix, Related, Span, TextEdit
from notelint.core.note import Note
from notelint.kb.models import Code


def run(ctx: Context) -> None:
    for code_id, status in ctx.status.items():
        if status.supported and (ctx.kb.codes[code_id].suggest or status.reported):
            ctx.code = code_id
            _check_documentation(ctx, code_id, ctx.kb.codes[code_id], status)
    ctx.code = None


def _check_documentation(ctx: Context, code_id: str, code: Code, status: CodeStatus) -> None:
    checklist: list[ChecklistItem] = []
    span = anchor_span(ctx, status)
    for req in code.requires:
        if ctx.settings.profile not in req.profiles:
            continue
        element = ctx.kb.elements[req.element]
        evidence = ctx.ev.first(req.evidence or element.evidence)
        label = req.label or element.label
        rule = req.rule or element.rule
        span_of_evidence = evidence.span if evidence else None
        checklist.append(
            ChecklistItem(req.element, label, evidence is not None, span_of_evidence, rule)
        )
        if evidence:
            continue
        template = req.template or element.template
        related = [Related(status.anchor.span, "guidance documented here")] if status.anchor else []
        ctx.add(
            rule,
            span,
            source=req.source,
            code=code_id,
            element=req.element,
            fixes=[_template_fix(ctx, status, template, label, element.sections)],
            related=related,
            values={"label": label},
        )
    ctx.report.checklists[code_id] = checklist


def _template_fix(
    ctx: Context, status: CodeStatus, template: str, label: str, sections: list[str]
) -> Fix:
    """Insert a labelled placeholder at the end of the section where the item belongs
    (interpretation under the findings, images under images or technique…), else at the end
    of the section that documents the guidance."""
    home = _home_section(ctx.note, sections)
    if home is not None:
        where = _section_end(ctx.note, home)
    else:
        key = status.anchor.span.start if status.anchor else None
        if key not in ctx.insert_at:  # each missing element of a code inserts at the same place
            ctx.insert_at[key] = _insertion_point(ctx.note, key)
        where = ctx.insert_at[key]
    return Fix(
        f"Insert a placeholder for {label}",
        "template",
        (TextEdit(Span(where, where), "\n" + template),),
    )


def _home_section(note: Note, kinds: list[str]) -> int | None:
    """The number of the note's first section of the most preferred of ``kinds`` it has."""
    for kind in kinds:
        for number, section in enumerate(note.sections):
            if section.kind == kind and section.has_heading:
                return number
    return None


def _insertion_point(note: Note, anchor: int | None) -> int:
    """The end of the section holding ``anchor`` (else of the note), before trailing space."""
    if anchor is None:
        return _before_space(note.text, len(note.text))
    return _section_end(note, _section_at(note, anchor))


def _section_end(note: Note, number: int) -> int:
    """Where section ``number`` ends, before trailing space. "PROCEDURE: ..." owns one line;
    the unheaded narrative after it belongs with it."""
    while number + 1 < len(note.sections) and not note.sections[number + 1].heading:
        number += 1
    return _before_space(note.text, note.sections[number].span.end)


def _before_space(text: str, where: int) -> int:
    while where > 0 and text[where - 1].isspace():
        where -= 1
    return where


def _section_at(note: Note, offset: int) -> int:
    for number, section in enumerate(note.sections):
        if section.span.start <= offset < max(section.span.end, section.span.start + 1):
            return number
    return len(note.sections) - 1
