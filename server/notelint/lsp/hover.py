"""Hover on a code or modifier written in the note: what it means and what THIS note shows."""

from __future__ import annotations

from lsprotocol import types

from notelint.core.findings import CodeMention, Span
from notelint.core.positions import Position
from notelint.lsp.convert import lsp_range
from notelint.lsp.linting import Analysis


def hover(analysis: Analysis, position: types.Position, markdown: bool) -> types.Hover | None:
    offset = analysis.index.offset(Position(position.line, position.character))
    for mention in analysis.report.reported:
        if not _inside(offset, mention.span):
            continue
        for number, span in enumerate(mention.modifier_spans):
            if _inside(offset, span):
                return _hover(analysis, span, _modifier(analysis, mention, number), markdown)
        return _hover(analysis, mention.span, _code(analysis, mention), markdown)
    return None


def _inside(offset: int, span: Span) -> bool:
    return span.start <= offset <= span.end  # a cursor just after a code is still on it


def _hover(analysis: Analysis, span: Span, lines: list[str], markdown: bool) -> types.Hover:
    text = "\n".join(lines)
    if not markdown:
        text = text.replace("**", "").replace("`", "")
    kind = types.MarkupKind.Markdown if markdown else types.MarkupKind.PlainText
    return types.Hover(types.MarkupContent(kind, text), lsp_range(analysis.index, span))


def _code(analysis: Analysis, mention: CodeMention) -> list[str]:
    kb, report = analysis.kb, analysis.report
    code = kb.codes.get(mention.code)
    if code is None:
        return _other_code(analysis, mention.code)
    lines = [f"**{mention.code}**: {code.description}", "", *_checklist(analysis, mention.code)]
    lines += ["", *_units(analysis, mention), *_bundling(analysis, mention.code)]
    if code.modifiers:
        supported = _supported_modifiers(analysis, mention.code)
        shown = [
            f"`-{m}`{' (this note supports it)' if m in supported else ''}" for m in code.modifiers
        ]
        lines.append(f"**Modifiers**: {', '.join(shown)}")
    findings = [  # documentation gaps are in the checklist already
        f
        for f in report.findings
        if f.code == mention.code and f.span == mention.span and f.category != "documentation"
    ]
    if findings:
        lines += ["", "**Findings**", *(f"- {f.rule}: {f.message}" for f in findings)]
    return lines


def _checklist(analysis: Analysis, code_id: str) -> list[str]:
    checklist = analysis.report.checklists.get(code_id)
    if not checklist:
        return [f"This note does not support {code_id} as a separately reported code."]
    lines = ["**Documentation in this note**"]
    for item in checklist:
        if item.evidence is None:
            lines.append(f"- ✗ {item.label}: missing")
        else:
            line = analysis.index.position(item.evidence.start).line + 1
            lines.append(f"- ✓ {item.label}: line {line}")
    return lines


def _units(analysis: Analysis, mention: CodeMention) -> list[str]:
    limits = [
        limit.max_units
        for limit in analysis.kb.unit_limits
        if mention.code in limit.expanded_codes() and analysis.settings.profile in limit.profiles
    ]
    if not limits:
        return []
    return [f"**Units**: {mention.units} reported here; at most {min(limits)} per encounter."]


def _bundling(analysis: Analysis, code_id: str) -> list[str]:
    modality = analysis.kb.codes[code_id].modality
    including = [f for f in analysis.kb.families.values() if f.guidance.get(modality) == "included"]
    notes = [
        f.message
        for f in analysis.report.findings
        if f.code == code_id and f.category == "bundling"
    ]
    if notes:
        return [f"**Bundling**: {'; '.join(notes)}."]
    if including:
        return [
            f"**Bundling**: not separately reportable with the {len(including)} procedure code "
            f"families whose codes include {modality.replace('_', ' ')} guidance."
        ]
    return []


def _supported_modifiers(analysis: Analysis, code_id: str) -> set[str]:
    return analysis.report.modifiers_supported(code_id)


def _other_code(analysis: Analysis, code_id: str) -> list[str]:
    for family in analysis.kb.families.values():
        if code_id in family.expanded_codes():
            lines = [
                f"**{code_id}**: {family.name}",
                "",
                f"Guidance: {family.describe_guidance(analysis.kb.guidance_modalities())}.",
            ]
            if not family.verified:
                lines.append("(Not verified against CMS text; see `notelint families`.)")
            return lines + ([family.units_note] if family.units_note else [])
    return [f"**{code_id}**: not an image-guidance code; notelint checks guidance codes only."]


def _modifier(analysis: Analysis, mention: CodeMention, number: int) -> list[str]:
    name = mention.modifiers[number]
    modifier = analysis.kb.modifiers.get(name)
    if modifier is None:
        return [f"**-{name}**: not a modifier notelint knows."]
    lines = [f"**-{name}**: {modifier.meaning}", ""]
    if name in _supported_modifiers(analysis, mention.code):
        lines.append(f"This note supports -{name} on {mention.code}.")
    else:
        lines.append(f"notelint does not suggest -{name} on {mention.code} from this note.")
    span = mention.modifier_spans[number]
    lines += [f"- {f.rule}: {f.message}" for f in analysis.report.findings if f.span == span]
    if modifier.applies_to:
        lines += ["", f"Applies to: {modifier.applies_to}."]
    return lines
