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
from notelint.kb.models import (
    Citation,
    Code,
    Policy,
    PrimaryProcedure,
    expand_code_ranges,
)
from notelint.match import Evidence, EvidenceIndex, SideMention
from notelint.note import Note
from notelint.settings import Settings

_PLACEHOLDER_FIELD = regex.compile(r"\{(\w+)\}")
_SEPARATOR = regex.compile(r"[ \t]*[,;][ \t]*")


@dataclass(frozen=True, slots=True)
class _Procedure:
    number: int  # its place in the knowledge base's list
    entry: PrimaryProcedure
    codes: tuple[str, ...]  # its code ranges expanded
    description: str  # of its concept


@dataclass(frozen=True, slots=True)
class _Policy:
    entry: Policy
    with_codes: tuple[str, ...]  # its code ranges expanded
    unless_codes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Tables:
    """What deciding derives from the knowledge base alone: built once per knowledge base."""

    procedures: tuple[_Procedure, ...]
    by_code: dict[str, tuple[_Procedure, ...]]  # code -> the procedures it is a code of
    including: dict[str, tuple[_Procedure, ...]]  # modality -> procedures including its guidance
    modalities: tuple[str, ...]  # every modality some procedure includes
    policies: tuple[_Policy, ...]
    # Memo of offers_for, by the modalities whose guidance a note documents.
    offers: dict[frozenset[str], tuple[tuple[str, str, str], ...]] = field(default_factory=dict)

    def offers_for(self, documented: frozenset[str]) -> tuple[tuple[str, str, str], ...]:
        """The primary codes to suggest, as (concept, code, reason), should the concept be present.

        A concept's procedures are documented or not together, so which concepts the evidence
        picks exactly one code for depends only on the documented guidance.
        """
        if documented not in self.offers:
            self.offers[documented] = self._offers(documented)
        return self.offers[documented]

    def _offers(self, documented: frozenset[str]) -> tuple[tuple[str, str, str], ...]:
        candidates: dict[str, list[tuple[str, str]]] = {}
        for proc in self.procedures:
            guided = next((m for m in proc.entry.includes_guidance if m in documented), None)
            if guided:
                reason = f"{proc.entry.summary}; its code includes the {guided} guidance"
                candidates.setdefault(proc.entry.concept, []).extend(
                    (c, reason) for c in proc.codes
                )
        return tuple(
            (concept, *options[0]) for concept, options in candidates.items() if len(options) == 1
        )


def _tables(kb: KnowledgeBase) -> _Tables:
    cached = kb.cache.get("decide")
    if isinstance(cached, _Tables):
        return cached
    procedures = tuple(
        _Procedure(n, p, tuple(p.expanded_codes()), kb.concepts[p.concept].description)
        for n, p in enumerate(kb.procedures)
    )
    by_code: dict[str, list[_Procedure]] = {}
    for proc in procedures:
        for code_id in proc.codes:
            by_code.setdefault(code_id, []).append(proc)
    modalities = tuple(dict.fromkeys(m for p in kb.procedures for m in p.includes_guidance))
    tables = _Tables(
        procedures,
        {code_id: tuple(procs) for code_id, procs in by_code.items()},
        {m: tuple(p for p in procedures if m in p.entry.includes_guidance) for m in modalities},
        modalities,
        tuple(
            _Policy(
                p,
                tuple(expand_code_ranges(p.with_reported_any)),
                tuple(expand_code_ranges(p.unless_reported_any)),
            )
            for p in kb.policies
        ),
    )
    kb.cache["decide"] = tables
    return tables


@dataclass(slots=True)
class CodeStatus:
    code: str
    base: bool  # the narrative has the evidence the code needs
    # The first documented primary whose code includes this guidance, and how it is known
    # (a code or a phrase): only the first is ever reported.
    included_by: tuple[PrimaryProcedure, str] | None
    anchor: Evidence | None
    reported: list[CodeMention] = field(default_factory=list)

    @property
    def supported(self) -> bool:
        return self.base and self.included_by is None


@dataclass(slots=True)
class _Context:
    note: Note
    ev: EvidenceIndex
    kb: KnowledgeBase
    settings: Settings
    sides: list[SideMention]
    report: Report
    tables: _Tables
    status: dict[str, CodeStatus] = field(default_factory=dict)
    reported: dict[str, list[CodeMention]] = field(default_factory=dict)
    explained: set[str] = field(
        default_factory=set
    )  # reported codes a policy finding already explains
    # Memos of pure answers asked for more than once.
    modifiers: dict[str, tuple[str, ...]] = field(default_factory=dict)
    primary_codes: dict[int, str] = field(default_factory=dict)  # procedure -> its reported code
    insert_at: dict[int | None, int] = field(default_factory=dict)

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
    ctx = _Context(note, ev, kb, settings, sides, Report(text=note.text), _tables(kb))
    ctx.report.sections = [(s.kind, s.heading, s.span) for s in note.sections]
    ctx.report.reported = list(note.codes)
    for mention in note.codes:
        ctx.reported.setdefault(mention.code, []).append(mention)
    if not note.text or note.text.isspace():  # as `not strip()`, without copying the text
        ctx.add("NL902", Span(0, 0))
        return ctx.report
    _evaluate_support(ctx)
    _suggest(ctx)
    for code_id, status in ctx.status.items():
        if status.supported and (kb.codes[code_id].suggest or status.reported):
            _check_documentation(ctx, code_id, kb.codes[code_id], status)
    _check_policies(ctx)
    _check_reported(ctx)
    _check_units(ctx)
    _check_modifiers(ctx)
    _check_laterality(ctx)
    ctx.report.findings.sort(key=lambda f: (f.span.start, f.rule, f.code or ""))
    return ctx.report


# --- support -----------------------------------------------------------------------------


def _evaluate_support(ctx: _Context) -> None:
    _find_reported_primaries(ctx)
    for code_id, code in ctx.kb.codes.items():
        base = all(ctx.ev.has_any(group) for group in code.supported_by.all) and not ctx.ev.has_any(
            code.supported_by.none
        )
        anchor = ctx.ev.first(code.supported_by.all[0])
        ctx.status[code_id] = CodeStatus(
            code_id, base, _included_by(ctx, code, base), anchor, ctx.reported.get(code_id, [])
        )


def _find_reported_primaries(ctx: _Context) -> None:
    """Each procedure with a reported code: the first of its codes that is reported."""
    for code_id in ctx.reported:
        for proc in ctx.tables.by_code.get(code_id, ()):
            if proc.number not in ctx.primary_codes:
                ctx.primary_codes[proc.number] = next(c for c in proc.codes if c in ctx.reported)


def _included_by(ctx: _Context, code: Code, base: bool) -> tuple[PrimaryProcedure, str] | None:
    """The first documented primary procedure whose code includes this code's guidance.

    A primary counts when one of its codes is reported; one known only from the wording
    includes the guidance only if the guidance is documented (``base``), so its wording is
    looked for only then.
    """
    for proc in ctx.tables.including.get(code.modality, ()):
        reported = ctx.primary_codes.get(proc.number)
        if reported is not None:
            return proc.entry, reported
        if (base or proc.description in ctx.reported) and ctx.ev.has(proc.entry.concept):
            return proc.entry, proc.description
    return None


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
                Suggestion(code_id, _suggested_modifiers(ctx, code_id), reason)
            )
    _suggest_primaries(ctx)


def _suggest_primaries(ctx: _Context) -> None:
    """A primary code that includes the documented guidance, when the evidence picks exactly one."""
    documented = frozenset(m for m in ctx.tables.modalities if ctx.ev.has(f"guidance.{m}"))
    for concept, code_id, reason in ctx.tables.offers_for(documented):
        if ctx.ev.has(concept):
            ctx.report.suggested.append(Suggestion(code_id, (), reason))


def _suggested_modifiers(ctx: _Context, code_id: str) -> tuple[str, ...]:
    if code_id not in ctx.modifiers:
        code = ctx.kb.codes[code_id]
        ctx.modifiers[code_id] = tuple(
            name for name in code.modifiers if _modifier_applies(ctx, code, name)
        )
    return ctx.modifiers[code_id]


def _modifier_applies(ctx: _Context, code: Code, name: str) -> bool:
    modifier = ctx.kb.modifiers[name]
    if not modifier.evidence or (modifier.split_only and not code.professional_component):
        return False
    return (
        ctx.ev.has_any(modifier.evidence)
        and all(ctx.ev.has(c) for c in modifier.also_requires)
        and not ctx.ev.has_any(modifier.unless_any)
    )


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
    key = status.anchor.span.start if status.anchor else None
    if key not in ctx.insert_at:  # each missing element of a code inserts at the same place
        ctx.insert_at[key] = _insertion_point(ctx.note, key)
    where = ctx.insert_at[key]
    return Fix(
        f"Insert a placeholder for {label}",
        "template",
        (TextEdit(Span(where, where), "\n" + template),),
    )


def _insertion_point(note: Note, anchor: int | None) -> int:
    """The end of the section holding ``anchor`` (else of the note), before trailing space."""
    where = len(note.text)
    if anchor is not None:
        number = _section_at(note, anchor)
        # "PROCEDURE: ..." owns one line; the unheaded narrative after it belongs with it.
        while number + 1 < len(note.sections) and not note.sections[number + 1].heading:
            number += 1
        where = note.sections[number].span.end
    while where > 0 and note.text[where - 1].isspace():
        where -= 1
    return where


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
                _missing_code(ctx, code_id, code, status)
            continue
        mention = status.reported[0]
        remove = _remove_fix(ctx, mention)
        if status.included_by:
            proc, how = status.included_by
            ctx.add(
                "NL301",
                mention.span,
                source=code.source,
                code=code_id,
                fixes=[remove],
                values={"primary": ", ".join(proc.codes), "how": how},
            )
        elif not status.base:
            _unsupported_code(ctx, code_id, code, mention, remove)


def _missing_code(ctx: _Context, code_id: str, code: Code, status: CodeStatus) -> None:
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


def _unsupported_code(
    ctx: _Context, code_id: str, code: Code, mention: CodeMention, remove: Fix
) -> None:
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
            (TextEdit(Span(mention.span.start, mention.span.start + len(code_id)), sibling),),
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
    """Remove the code with the separator after it, or else the one before it."""
    text = ctx.note.text
    start, end = mention.span.start, mention.span.end
    after = _SEPARATOR.match(text, end)  # matching in place: no copy of the rest of the note
    if after:
        end = after.end()
    else:
        start = _separator_before(text, start)
    return Fix(f"Remove {mention.code}", "code", (TextEdit(Span(start, end), ""),))


def _separator_before(text: str, start: int) -> int:
    """Where a separator ending at ``start`` begins, else ``start``.

    Walks back from ``start`` instead of searching all the text before it, yet finds what
    ``regex.search(r"[ \\t]*[,;][ \\t]*$", text[:start])`` does, including that ``$`` also
    matches before a final newline.
    """
    end = start - 1 if start > 0 and text[start - 1] == "\n" else start
    comma = _blanks_before(text, end)
    if comma == 0 or text[comma - 1] not in ",;":
        return start
    return _blanks_before(text, comma - 1)


def _blanks_before(text: str, end: int) -> int:
    """The start of the run of spaces and tabs that ends at ``end``."""
    while end > 0 and text[end - 1] in " \t":
        end -= 1
    return end


# --- policies, units, modifiers, laterality -------------------------------------------------


def _check_policies(ctx: _Context) -> None:
    for policy in ctx.tables.policies:
        if ctx.settings.profile not in policy.entry.profiles:
            continue
        for code_id in policy.entry.codes:
            if _policy_holds(ctx, policy, code_id):
                _add_policy_finding(ctx, policy.entry, code_id)


def _policy_holds(ctx: _Context, policy: _Policy, code_id: str) -> bool:
    """Whether ``policy`` applies to ``code_id``: reported codes are checked before evidence."""
    entry = policy.entry
    return (
        _policy_applies(ctx, entry.when, code_id)
        and (not policy.with_codes or any(c in ctx.reported for c in policy.with_codes))
        and not any(c in ctx.reported for c in policy.unless_codes)
        and (not entry.if_any or ctx.ev.has_any(entry.if_any))
        and not ctx.ev.has_any(entry.unless_any)
    )


def _add_policy_finding(ctx: _Context, policy: Policy, code_id: str) -> None:
    trigger = ctx.ev.first(policy.if_any)
    related = (
        [Related(trigger.span, ctx.kb.concepts[trigger.concept].description)] if trigger else []
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
    if when != "supported" and code_id in ctx.reported:
        return True
    status = ctx.status.get(code_id)
    return when != "reported" and bool(status and status.supported)


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
_SIDE_MODIFIER = {side: name for name, side in _SIDE_MODIFIERS.items()}


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
                new = _SIDE_MODIFIER[next(iter(sides))]
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
