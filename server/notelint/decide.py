"""Decide findings and code suggestions from a parsed note and its evidence. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import regex

from notelint.findings import (
    ChecklistItem,
    CodeMention,
    Finding,
    Fix,
    Related,
    Report,
    Severity,
    SourceRef,
    Span,
    Suggestion,
    TextEdit,
)
from notelint.kb import KnowledgeBase
from notelint.kb.models import Citation, Code, PrimaryProcedure, expand_code_ranges
from notelint.match import Evidence, EvidenceIndex, SideMention
from notelint.note import Note
from notelint.settings import Settings

_PLACEHOLDER_FIELD = regex.compile(r"\{(\w+)\}")


@dataclass(slots=True)
class CodeStatus:
    code: str
    base: bool  # the narrative has the evidence the code needs
    included_by: list[tuple[PrimaryProcedure, str]]  # (entry, how it is known: a code or a phrase)
    anchor: Evidence | None
    reported: list[CodeMention] = field(default_factory=list)

    @property
    def supported(self) -> bool:
        return self.base and not self.included_by


@dataclass(slots=True)
class _Context:
    note: Note
    ev: EvidenceIndex
    kb: KnowledgeBase
    settings: Settings
    sides: list[SideMention]
    report: Report
    status: dict[str, CodeStatus] = field(default_factory=dict)
    reported: dict[str, list[CodeMention]] = field(default_factory=dict)
    explained: set[str] = field(
        default_factory=set
    )  # reported codes a policy finding already explains

    def add(self, rule_id: str, span: Span, **options: Any) -> None:
        """Record a finding (see make_finding for the options) unless settings switch it off."""
        finding = make_finding(self.kb, self.settings, rule_id, span, **options)
        if finding:
            self.report.findings.append(finding)


def make_finding(
    kb: KnowledgeBase,
    settings: Settings,
    rule_id: str,
    span: Span,
    *,
    source: Citation | None = None,
    code: str | None = None,
    element: str | None = None,
    fixes: Iterable[Fix] = (),
    related: Iterable[Related] = (),
    values: Mapping[str, str] | None = None,
) -> Finding | None:
    """A finding of ``rule_id``, or None when the settings or profile switch the rule off."""
    rule = kb.rules[rule_id]
    if not settings.enabled(rule_id) or settings.profile not in rule.profiles:
        return None
    cited = source or (rule.sources[0] if rule.sources else None)
    fields = {"code": code or "", **(values or {})}
    message = _PLACEHOLDER_FIELD.sub(lambda m: fields.get(m.group(1), m.group(0)), rule.message)
    return Finding(
        rule=rule_id,
        name=rule.name,
        category=rule.category,
        severity=settings.severity.get(rule_id, Severity.parse(rule.severity)),
        message=message,
        span=span,
        source=SourceRef(kb.sources[cited.document].file, cited.line)
        if cited
        else SourceRef("", 0),
        code=code,
        element=element,
        fixes=tuple(fixes),
        related=tuple(related),
    )


def decide(
    note: Note, ev: EvidenceIndex, sides: list[SideMention], kb: KnowledgeBase, settings: Settings
) -> Report:
    ctx = _Context(note, ev, kb, settings, sides, Report(text=note.text))
    ctx.report.sections = [(s.kind, s.heading, s.span) for s in note.sections]
    ctx.report.reported = list(note.codes)
    for mention in note.codes:
        ctx.reported.setdefault(mention.code, []).append(mention)
    if not note.text.strip():
        ctx.add("NL902", Span(0, 0))
        return ctx.report
    _evaluate_support(ctx)
    _suggest(ctx)
    for code_id, status in ctx.status.items():
        suggested = status.supported and kb.codes[code_id].suggest
        if suggested or (status.reported and status.base and not status.included_by):
            _check_documentation(ctx, code_id, kb.codes[code_id], status)
    _check_policies(ctx)
    _check_reported(ctx)
    _check_units(ctx)
    _check_modifiers(ctx)
    _check_laterality(ctx)
    ctx.report.findings.sort(key=lambda f: (f.span.start, f.rule, f.code or ""))
    return ctx.report


# --- support -----------------------------------------------------------------------------


def _documented_primaries(ctx: _Context) -> list[tuple[PrimaryProcedure, str]]:
    found: list[tuple[PrimaryProcedure, str]] = []
    for proc in ctx.kb.procedures:
        reported = [c for c in proc.expanded_codes() if c in ctx.reported]
        if reported:
            found.append((proc, reported[0]))
        elif ctx.ev.has(proc.concept):
            found.append((proc, ctx.kb.concepts[proc.concept].description))
    return found


def _evaluate_support(ctx: _Context) -> None:
    primaries = _documented_primaries(ctx)
    for code_id, code in ctx.kb.codes.items():
        base = all(ctx.ev.has_any(group) for group in code.supported_by.all) and not ctx.ev.has_any(
            code.supported_by.none
        )
        # A procedure known only from the wording includes this guidance only if the guidance is documented.
        included = [
            (p, how)
            for p, how in primaries
            if code.modality in p.includes_guidance and (how in ctx.reported or base)
        ]
        anchor = ctx.ev.first(code.supported_by.all[0])
        ctx.status[code_id] = CodeStatus(
            code_id, base, included, anchor, ctx.reported.get(code_id, [])
        )


def _suggest(ctx: _Context) -> None:
    for code_id, status in ctx.status.items():
        code = ctx.kb.codes[code_id]
        if status.supported and code.suggest:
            reason = "; ".join(
                ctx.kb.concepts[e.concept].description
                for e in (ctx.ev.first(group) for group in code.supported_by.all)
                if e
            )
            ctx.report.suggested.append(
                Suggestion(code_id, tuple(_suggested_modifiers(ctx, code_id)), reason)
            )
    # A primary code that includes the documented guidance, when the evidence picks exactly one.
    candidates: dict[str, list[tuple[str, str]]] = {}
    for proc in ctx.kb.procedures:
        guided = [m for m in proc.includes_guidance if ctx.ev.has(f"guidance.{m}")]
        if guided and ctx.ev.has(proc.concept):
            reason = f"{proc.summary}; its code includes the {guided[0]} guidance"
            candidates.setdefault(proc.concept, []).extend(
                (c, reason) for c in proc.expanded_codes()
            )
    for options in candidates.values():
        if len(options) == 1:
            ctx.report.suggested.append(Suggestion(options[0][0], (), options[0][1]))


def _suggested_modifiers(ctx: _Context, code_id: str) -> list[str]:
    code = ctx.kb.codes[code_id]
    out = []
    for name in code.modifiers:
        modifier = ctx.kb.modifiers[name]
        if not modifier.evidence or (modifier.split_only and not code.professional_component):
            continue
        if (
            ctx.ev.has_any(modifier.evidence)
            and all(ctx.ev.has(c) for c in modifier.also_requires)
            and not ctx.ev.has_any(modifier.unless_any)
        ):
            out.append(name)
    return out


def _anchor_span(ctx: _Context, status: CodeStatus) -> Span:
    if status.reported:
        return status.reported[0].span
    if status.anchor:
        return status.anchor.span
    return Span(0, 0)


# --- documentation --------------------------------------------------------------------------


def _check_documentation(ctx: _Context, code_id: str, code: Code, status: CodeStatus) -> None:
    checklist: list[ChecklistItem] = []
    span = _anchor_span(ctx, status)
    for req in code.requires:
        if ctx.settings.profile not in req.profiles:
            continue
        element = ctx.kb.elements[req.element]
        evidence = ctx.ev.first(req.evidence or element.evidence)
        label = req.label or element.label
        checklist.append(
            ChecklistItem(
                req.element, label, evidence is not None, evidence.span if evidence else None
            )
        )
        if evidence:
            continue
        template = req.template or element.template
        related = [Related(status.anchor.span, "guidance documented here")] if status.anchor else []
        ctx.add(
            req.rule or element.rule,
            span,
            source=req.source,
            code=code_id,
            element=req.element,
            fixes=[_template_fix(ctx, status, template, label)],
            related=related,
            values={"label": label},
        )
    ctx.report.checklists[code_id] = checklist


def _template_fix(ctx: _Context, status: CodeStatus, template: str, label: str) -> Fix:
    """Insert a labelled placeholder at the end of the section that documents the guidance."""
    note = ctx.note
    where = len(note.text)
    if status.anchor:
        number = _section_at(note, status.anchor.span.start)
        # "PROCEDURE: ..." owns one line; the unheaded narrative after it belongs with it.
        while number + 1 < len(note.sections) and not note.sections[number + 1].heading:
            number += 1
        where = note.sections[number].span.end
    while where > 0 and note.text[where - 1].isspace():
        where -= 1
    return Fix(
        f"Insert a placeholder for {label}",
        "template",
        (TextEdit(Span(where, where), "\n" + template),),
    )


def _section_at(note: Note, offset: int) -> int:
    for number, section in enumerate(note.sections):
        if section.span.start <= offset < max(section.span.end, section.span.start + 1):
            return number
    return len(note.sections) - 1


# --- reported codes -------------------------------------------------------------------------


def _check_reported(ctx: _Context) -> None:
    for code_id, status in ctx.status.items():
        code = ctx.kb.codes[code_id]
        if not status.reported:
            if status.supported and code.suggest and ctx.note.coding_lines:
                line = ctx.note.coding_lines[0]
                ctx.add(
                    "NL202",
                    line,
                    source=code.source,
                    code=code_id,
                    fixes=[
                        Fix(
                            f"Add {code_id} to the coding line",
                            "code",
                            (TextEdit(Span(line.end, line.end), f", {code_id}"),),
                        )
                    ],
                    related=[Related(status.anchor.span, "evidence")] if status.anchor else [],
                )
            continue
        mention = status.reported[0]
        remove = _remove_fix(ctx, mention)
        if status.included_by:
            proc, how = status.included_by[0]
            ctx.add(
                "NL301",
                mention.span,
                source=code.source,
                code=code_id,
                fixes=[remove],
                values={"primary": ", ".join(proc.codes), "how": how},
            )
        elif not status.base:
            sibling = next(
                (
                    other
                    for other, st in ctx.status.items()
                    if st.supported and other != code_id and ctx.kb.codes[other].kind == code.kind
                ),
                None,
            )
            if sibling:
                replace = Fix(
                    f"Replace {code_id} with {sibling}",
                    "code",
                    (
                        TextEdit(
                            Span(mention.span.start, mention.span.start + len(code_id)), sibling
                        ),
                    ),
                )
                ctx.add(
                    "NL204",
                    mention.span,
                    source=code.source,
                    code=code_id,
                    fixes=[replace],
                    values={"other": sibling},
                )
            elif code_id not in ctx.explained:
                ctx.add(
                    "NL201",
                    mention.span,
                    source=code.source,
                    code=code_id,
                    fixes=[remove],
                    values={"missing": _missing_support(ctx, code)},
                )


def _missing_support(ctx: _Context, code: Code) -> str:
    for group in code.supported_by.all:
        if not ctx.ev.has_any(group):
            return " or ".join(ctx.kb.concepts[c].description for c in group)
    present = [c for c in code.supported_by.none if ctx.ev.has(c)]
    return "a context that excludes it: " + ", ".join(
        ctx.kb.concepts[c].description for c in present
    )


def _remove_fix(ctx: _Context, mention: CodeMention) -> Fix:
    text = ctx.note.text
    start, end = mention.span.start, mention.span.end
    after = regex.match(r"[ \t]*[,;][ \t]*", text[end:])
    if after:
        end += after.end()
    else:
        before = regex.search(r"[ \t]*[,;][ \t]*$", text[:start])
        if before:
            start = before.start()
    return Fix(f"Remove {mention.code}", "code", (TextEdit(Span(start, end), ""),))


# --- policies, units, modifiers, laterality -------------------------------------------------


def _check_policies(ctx: _Context) -> None:
    for policy in ctx.kb.policies:
        if ctx.settings.profile not in policy.profiles:
            continue
        with_codes = expand_code_ranges(policy.with_reported_any)
        for code_id in policy.codes:
            if not _policy_applies(ctx, policy.when, code_id):
                continue
            if policy.if_any and not ctx.ev.has_any(policy.if_any):
                continue
            if ctx.ev.has_any(policy.unless_any):
                continue
            if with_codes and not any(c in ctx.reported for c in with_codes):
                continue
            if any(c in ctx.reported for c in expand_code_ranges(policy.unless_reported_any)):
                continue
            trigger = ctx.ev.first(policy.if_any)
            related = (
                [Related(trigger.span, ctx.kb.concepts[trigger.concept].description)]
                if trigger
                else []
            )
            status = ctx.status.get(code_id)
            span = _anchor_span(ctx, status) if status else ctx.reported[code_id][0].span
            before = len(ctx.report.findings)
            ctx.add(
                policy.rule,
                span,
                source=policy.source,
                code=code_id,
                related=related,
                values={"detail": policy.detail},
            )
            if len(ctx.report.findings) > before and code_id in ctx.reported:
                ctx.explained.add(code_id)


def _policy_applies(ctx: _Context, when: str, code_id: str) -> bool:
    """Reported codes count even when bundled; primary codes outside the code table count when reported."""
    reported = code_id in ctx.reported
    status = ctx.status.get(code_id)
    supported = bool(status and status.supported)
    return {"reported": reported, "supported": supported, "either": reported or supported}[when]


def _check_units(ctx: _Context) -> None:
    for limit in ctx.kb.unit_limits:
        if ctx.settings.profile not in limit.profiles:
            continue
        for code_id in limit.codes:
            mentions = ctx.reported.get(code_id, [])
            units = sum(m.units for m in mentions)
            if units <= limit.max_units:
                continue
            first = mentions[0]
            keep = first.code + "".join(f"-{m}" for m in first.modifiers)
            edits = [TextEdit(first.span, keep)] + [
                e for m in mentions[1:] for e in _remove_fix(ctx, m).edits
            ]
            fix = Fix(f"Report {code_id} once", "code", tuple(edits))
            ctx.add(
                limit.rule,
                first.span,
                source=limit.source,
                code=code_id,
                fixes=[fix],
                values={"units": str(units), "max": str(limit.max_units)},
            )


_SIDE_MODIFIERS = {"RT": "right", "LT": "left", "50": "bilateral"}


def _check_modifiers(ctx: _Context) -> None:
    sides = {s.side for s in ctx.sides}
    for code_id, mentions in ctx.reported.items():
        for mention in mentions:
            _check_mention_modifiers(ctx, mention, sides)
        status = ctx.status.get(code_id)
        if not status or not status.supported:
            continue
        mention = mentions[0]
        for name in _suggested_modifiers(ctx, code_id):
            if name in mention.modifiers or name in _SIDE_MODIFIERS:
                continue
            evidence = ctx.ev.first(ctx.kb.modifiers[name].evidence)
            fix = Fix(
                f"Add modifier -{name} to {code_id}",
                "modifier",
                (
                    TextEdit(
                        Span(mention.span.start + len(code_id), mention.span.start + len(code_id)),
                        f"-{name}",
                    ),
                ),
            )
            related = (
                [Related(evidence.span, ctx.kb.concepts[evidence.concept].description)]
                if evidence
                else []
            )
            ctx.add(
                "NL701",
                mention.span,
                code=code_id,
                fixes=[fix],
                related=related,
                values={"modifier": name, "meaning": ctx.kb.modifiers[name].meaning},
            )


def _check_mention_modifiers(ctx: _Context, mention: CodeMention, sides: set[str]) -> None:
    for i, name in enumerate(mention.modifiers):
        known = ctx.kb.modifiers.get(name)
        conflicts = [m for m in mention.modifiers if known and m in known.conflicts_with]
        if conflicts:
            ctx.add(
                "NL703",
                mention.modifier_spans[i],
                code=mention.code,
                values={"modifier": name, "other": conflicts[0]},
            )
        side = _SIDE_MODIFIERS.get(name)
        if side and sides and side not in sides and "bilateral" not in sides:
            documented = " and ".join(sorted(sides))
            span = mention.modifier_spans[i]
            fixes = []
            if len(sides) == 1:
                new = {v: k for k, v in _SIDE_MODIFIERS.items()}[next(iter(sides))]
                fixes.append(Fix(f"Change -{name} to -{new}", "modifier", (TextEdit(span, new),)))
            ctx.add(
                "NL702",
                span,
                code=mention.code,
                fixes=fixes,
                values={"modifier": name, "side": documented},
            )


def _check_laterality(ctx: _Context) -> None:
    by_site: dict[str, list[SideMention]] = {}
    for mention in ctx.sides:
        by_site.setdefault(mention.site, []).append(mention)
    for site, mentions in by_site.items():
        if any(m.side == "bilateral" for m in mentions):
            continue
        first = mentions[0]
        for later in mentions[1:]:
            if later.side != first.side and later.section != first.section:
                ctx.add(
                    "NL801",
                    later.span,
                    related=[Related(first.span, f"{first.side} {site} documented here")],
                    values={"site": site, "side": later.side, "first": first.side},
                )
                break
