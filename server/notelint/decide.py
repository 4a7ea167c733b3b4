"""Decide findings and code suggestions from a parsed note and its evidence. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import regex

from notelint.episodes import Episode, Recognition, recognise
from notelint.findings import (
    AnalysisError,
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
    Unresolved,
)
from notelint.kb import KnowledgeBase
from notelint.kb.models import (
    Citation,
    Code,
    Family,
    Policy,
    UnitLimit,
    expand_code_ranges,
)
from notelint.match import Evidence, EvidenceIndex, SideMention
from notelint.note import Note
from notelint.settings import Settings

_PLACEHOLDER_FIELD = regex.compile(r"\{(\w+)\}")
_SEPARATOR = regex.compile(r"[ \t]*[,;][ \t]*")


@dataclass(frozen=True, slots=True)
class _Policy:
    entry: Policy
    codes: tuple[str, ...]  # its code ranges expanded
    with_codes: tuple[str, ...]  # its code ranges expanded
    unless_codes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Tables:
    """What deciding derives from the knowledge base alone: built once per knowledge base."""

    family_of: dict[str, str]  # a primary code -> the family it is a code of
    known: frozenset[str]  # every code the knowledge base says something about
    modalities: tuple[str, ...]  # every modality some guidance code has
    policies: tuple[_Policy, ...]
    unit_limits: tuple[tuple[UnitLimit, tuple[str, ...]], ...]  # each with its codes expanded
    side_of: dict[str, str]  # a modifier naming a side (RT) -> the side ("right")
    side_modifier: dict[str, str]  # a side -> the modifier that names it
    primary_kinds: frozenset[str]  # kinds of code that are themselves the primary procedure


def _tables(kb: KnowledgeBase) -> _Tables:
    cached = kb.cache.get("decide")
    if isinstance(cached, _Tables):
        return cached
    family_of: dict[str, str] = {}
    for family_id, family in kb.families.items():
        for code_id in family.expanded_codes():
            family_of.setdefault(code_id, family_id)
    policies = tuple(
        _Policy(
            p,
            tuple(p.expanded_codes()),
            tuple(expand_code_ranges(p.with_reported_any)),
            tuple(expand_code_ranges(p.unless_reported_any)),
        )
        for p in kb.policies
    )
    known = {*kb.codes, *family_of}
    side_of: dict[str, str] = {n: m.side for n, m in kb.modifiers.items() if m.side is not None}
    known.update(c for f in kb.families.values() for c in f.primary.values())
    known.update(c for p in policies for c in (*p.codes, *p.with_codes, *p.unless_codes))
    tables = _Tables(
        family_of,
        frozenset(known),
        tuple(dict.fromkeys(c.modality for c in kb.codes.values())),
        policies,
        tuple((limit, tuple(limit.expanded_codes())) for limit in kb.unit_limits),
        side_of,
        {side: name for name, side in side_of.items()},
        frozenset(k for k, spec in kb.code_kinds.items() if spec.primary),
    )
    kb.cache["decide"] = tables
    return tables


@dataclass(frozen=True, slots=True)
class Primary:
    """A primary procedure the note documents: an episode of the narrative or a reported code."""

    family_id: str
    family: Family
    how: str  # the reported code, or "documented" with what the text says
    episode: Episode | None
    only_includes: bool = False  # may show guidance included, never reported apart

    @property
    def name(self) -> str:
        codes = ", ".join(self.family.codes)
        return f"{self.family.name} ({codes})" if codes else self.family.name


@dataclass(slots=True)
class CodeStatus:
    code: str
    base: bool  # the narrative has the evidence the code needs
    # The first documented primary whose code includes this guidance: the only one reported.
    included_by: Primary | None
    anchor: Evidence | None
    reported: list[CodeMention] = field(default_factory=list)
    needs_family: bool = False
    allowed_by: Primary | None = None  # a primary whose family reports this guidance apart
    fits: str | None = None  # the code the documented primary calls for instead
    unresolved: bool = False  # guidance documented, but no primary says how to code it

    @property
    def supported(self) -> bool:
        return (
            self.base
            and self.included_by is None
            and (not self.needs_family or self.allowed_by is not None)
        )


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
    primaries: list[Primary] = field(default_factory=list)
    surgical: Primary | None = None  # an operation whose package holds its imaging
    # Memos of pure answers asked for more than once.
    modifiers: dict[str, tuple[str, ...]] = field(default_factory=dict)
    insert_at: dict[int | None, int] = field(default_factory=dict)
    code: str | None = None  # the code being judged, for a failure's context
    recognition: Recognition | None = None  # the memos procedure recognition keeps

    def add(self, rule_id: str, span: Span, **options: Any) -> None:
        """Record a finding (see make_finding for the options) unless settings switch it off."""
        try:
            finding = make_finding(self.kb, self.settings, rule_id, span, **options)
        except Exception as exc:
            raise AnalysisError(rule_id, options.get("code"), span) from exc
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
    note: Note,
    ev: EvidenceIndex,
    sides: list[SideMention],
    kb: KnowledgeBase,
    settings: Settings,
    recognition: Recognition | None = None,
) -> Report:
    """The findings and codes of a note from its evidence; ``recognition`` holds the memos of
    procedure recognition (an engine's, else fresh ones)."""
    ctx = _Context(note, ev, kb, settings, sides, Report(text=note.text), _tables(kb))
    ctx.recognition = recognition
    try:
        return _decide(ctx)
    except (AnalysisError, MemoryError):
        raise  # already placed; or no memory to place it with
    except Exception as exc:
        raise AnalysisError(None, ctx.code, None) from exc


def _decide(ctx: _Context) -> Report:
    note, kb = ctx.note, ctx.kb
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
            ctx.code = code_id
            _check_documentation(ctx, code_id, kb.codes[code_id], status)
    ctx.code = None
    _check_policies(ctx)
    _check_reported(ctx)
    _check_not_covered(ctx)
    _check_units(ctx)
    _check_modifiers(ctx)
    _check_laterality(ctx)
    ctx.report.findings.sort(key=lambda f: (f.span.start, f.rule, f.code or ""))
    return ctx.report


# --- support -----------------------------------------------------------------------------


def _evaluate_support(ctx: _Context) -> None:
    ctx.primaries = _documented_primaries(ctx)
    ctx.surgical = next((p for p in ctx.primaries if p.family.surgical), None)
    for code_id, code in ctx.kb.codes.items():
        reported = ctx.reported.get(code_id, [])
        support = code.reported_by if reported and code.reported_by else code.supported_by
        base = all(ctx.ev.has_any(group) for group in support.all) and not ctx.ev.has_any(
            support.none
        )
        # Only a supported code's anchor is ever shown (a reported one shows its mention).
        anchor = ctx.ev.first(support.all[0]) if base else None
        status = CodeStatus(code_id, base, None, anchor, reported, needs_family=code.needs_family)
        if base:
            ctx.code = code_id
            _judge(ctx, code, status)
        ctx.status[code_id] = status
    ctx.code = None


def _documented_primaries(ctx: _Context) -> list[Primary]:
    """Reported primary codes first, then the families the narrative documents."""
    out: list[Primary] = []
    for code_id in ctx.reported:
        family_id = ctx.tables.family_of.get(code_id)
        if family_id and all(p.family_id != family_id for p in out):
            out.append(Primary(family_id, ctx.kb.families[family_id], code_id, None))
    documented = [m for m in ctx.tables.modalities if ctx.ev.has(f"guidance.{m}")]
    if not documented:
        return out  # no guidance to include or take apart
    episodes = recognise(ctx.note, ctx.ev, ctx.kb, documented, ctx.recognition)
    # Once the note states a procedure, one only mentioned among the steps (a landmark, a
    # test aspiration) may show that guidance is included, never that it is reported apart.
    stated = bool(out) or any(e.stated for e in episodes)
    for episode in episodes:
        if all(p.family_id != episode.family_id for p in out):
            only_includes = stated and not episode.stated
            out.append(
                Primary(episode.family_id, episode.family, "documented", episode, only_includes)
            )
    return out


def _guidance_of(ctx: _Context, family: Family, modality: str) -> str | None:
    """'included', the guidance code a family reports apart for ``modality``, or None."""
    value = family.guidance.get(modality)
    conditional = value and value != "included" and family.separate_only_with
    if conditional and not ctx.ev.has_any(family.separate_only_with):
        return "included"  # part of the other imaging service (conventional arthrography)
    return value


def _judge(ctx: _Context, code: Code, status: CodeStatus) -> None:
    """Whether a documented primary includes this guidance, reports it apart, or calls for
    another code; default-deny: a code that needs a family and has none is unresolved."""
    if code.kind in ctx.tables.primary_kinds:  # 0686T is itself the primary procedure
        return
    allowed = included = None
    fits = None
    for primary in ctx.primaries:
        verdict = _guidance_of(ctx, primary.family, code.modality)
        if primary.only_includes and verdict != "included":
            continue
        if verdict == status.code:
            allowed = allowed or primary
        elif verdict == "included":
            included = included or primary
        elif verdict:
            fits = fits or verdict
    surgical = ctx.surgical
    if surgical and not (allowed and allowed.family.open_approach):
        allowed = None
        included = included or surgical
    if allowed and code.needs_family:
        status.allowed_by = allowed
    elif included:
        status.included_by = included
    elif fits:
        status.fits = fits
    elif code.needs_family:
        status.unresolved = True


def _suggest(ctx: _Context) -> None:
    for code_id, status in ctx.status.items():
        code = ctx.kb.codes[code_id]
        if status.supported and code.suggest and not status.fits:
            reason = "; ".join(
                ctx.kb.concepts[e.concept].description
                for e in (ctx.ev.first(group) for group in code.supported_by.all)
                if e
            )
            if status.allowed_by:
                reason += f"; {status.allowed_by.name} takes its guidance apart"
            ctx.report.suggested.append(
                Suggestion(code_id, _suggested_modifiers(ctx, code_id), reason)
            )
    _suggest_primaries(ctx)
    _note_unresolved(ctx)


def _suggest_primaries(ctx: _Context) -> None:
    """A primary code for a documented family, when the guidance documented picks exactly one
    (a with-imaging code only when permanent images are documented)."""
    reported = set(ctx.reported)
    suggested = {s.code for s in ctx.report.suggested}
    for primary in ctx.primaries:
        family = primary.family
        if not family.primary or primary.episode is None or primary.only_includes:
            continue
        if reported & set(family.expanded_codes()):
            continue
        documented = [
            m
            for m in family.primary
            if m != "none"
            and ctx.ev.has(f"guidance.{m}")
            and _guidance_of(ctx, family, m) == "included"
        ]
        images = ctx.ev.has("doc.permanent_images")
        codes = {
            family.primary[m]
            if images or m not in family.primary_needs_images
            else family.primary.get("none", "")
            for m in documented
        } - {""}
        if len(codes) == 1 and not codes & (reported | suggested):
            code_id = codes.pop()
            reason = f"{family.name}, with the guidance documented"
            ctx.report.suggested.append(Suggestion(code_id, (), reason))
            suggested.add(code_id)


def _note_unresolved(ctx: _Context) -> None:
    """Guidance documented whose primary procedure is not recognised: say so, once."""
    handled = {
        ctx.kb.codes[c].modality
        for c, st in ctx.status.items()
        if st.supported or st.included_by or st.fits or (st.reported and not st.needs_family)
    }
    for modality in ctx.tables.modalities:
        if modality in handled or not ctx.ev.has(f"guidance.{modality}"):
            continue
        if any(_guidance_of(ctx, p.family, modality) for p in ctx.primaries):
            continue
        families = [p.family.name for p in ctx.primaries if not p.family.surgical]
        ctx.report.unresolved.append(Unresolved(modality, tuple(families)))
    if not ctx.report.unresolved:
        return
    codes = [c for c, st in ctx.status.items() if st.unresolved and st.reported]
    span = ctx.reported[codes[0]][0].span if codes else Span(0, 0)
    if not codes:
        evidence = ctx.ev.first(f"guidance.{u.modality}" for u in ctx.report.unresolved)
        span = evidence.span if evidence else span
    modalities = " and ".join(_adjective(ctx.kb, u.modality) for u in ctx.report.unresolved)
    recognised = ctx.report.unresolved[0].families
    ctx.add(
        "NL206",
        span,
        code=codes[0] if codes else None,
        values={
            "modality": modalities,
            "recognised": (
                "the procedures recognised (" + "; ".join(recognised) + ") do not say whether "
                "their codes include it"
                if recognised
                else "no primary procedure was recognised"
            ),
        },
    )


def _adjective(kb: KnowledgeBase, modality: str) -> str:
    """How a message names guidance of ``modality`` (rules/registry.toml)."""
    spec = kb.modalities.get(modality)
    return spec.adjective if spec is not None and spec.adjective else modality


def _suggested_modifiers(ctx: _Context, code_id: str) -> tuple[str, ...]:
    if code_id not in ctx.modifiers:
        code = ctx.kb.codes[code_id]
        names = [name for name in code.modifiers if _modifier_applies(ctx, code, name)]
        ctx.modifiers[code_id] = tuple(names)
    return ctx.modifiers[code_id]


def _modifier_applies(ctx: _Context, code: Code, name: str) -> bool:
    modifier = ctx.kb.modifiers[name]
    if modifier.distinct_service:  # only for a listed pair on the claim (_check_distinct_pairs)
        return False
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
    ctx: _Context, status: CodeStatus, template: str, label: str, sections: list[str]
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


# --- reported codes -------------------------------------------------------------------------


def _check_reported(ctx: _Context) -> None:
    for code_id, status in ctx.status.items():
        code = ctx.kb.codes[code_id]
        if not status.reported:
            replaced = any(st.fits == code_id and st.reported for st in ctx.status.values())
            if status.supported and code.suggest and ctx.note.coding_lines and not replaced:
                _missing_code(ctx, code_id, code, status)
            continue
        mention = status.reported[0]
        remove = _remove_fix(ctx, mention)
        if status.included_by:
            _included(ctx, code_id, code, mention, status.included_by, remove)
        elif status.fits:
            _fits_other(ctx, code_id, code, mention, status.fits)
        elif status.unresolved:
            continue  # said once for the note (NL206)
        elif not status.base:
            _unsupported_code(ctx, code_id, code, mention, remove)


def _included(
    ctx: _Context, code_id: str, code: Code, mention: CodeMention, primary: Primary, remove: Fix
) -> None:
    how = f"reported as {primary.how}" if primary.how != "documented" else "documented in the note"
    unverified = "" if primary.family.verified else "; that fact is not verified against CMS text"
    ctx.add(
        "NL301",
        mention.span,
        source=code.source,
        code=code_id,
        fixes=[remove],
        related=[Related(primary.episode.action.span, primary.family.name)]
        if primary.episode
        else [],
        values={"primary": primary.name, "how": how + unverified},
    )


def _fits_other(ctx: _Context, code_id: str, code: Code, mention: CodeMention, other: str) -> None:
    """A documented primary calls for another guidance code: replace it (or, for stand-alone
    and unlisted fluoroscopy, say that a specific code applies)."""
    if not code.needs_family:
        ctx.add(
            "NL205",
            mention.span,
            source=code.source,
            code=code_id,
            values={
                "detail": f"the documented procedure takes its fluoroscopic guidance as {other}"
            },
        )
        return
    _replace_with(ctx, code, mention, other)


def _replace_with(ctx: _Context, code: Code, mention: CodeMention, other: str) -> None:
    """NL204: the reported code should be ``other``, with the fix that writes it instead."""
    start = mention.span.start
    replace = Fix(
        f"Replace {mention.code} with {other}",
        "code",
        (TextEdit(Span(start, start + len(mention.code)), other),),
    )
    ctx.add(
        "NL204",
        mention.span,
        source=code.source,
        code=mention.code,
        fixes=[replace],
        values={"other": other},
    )


def _check_not_covered(ctx: _Context) -> None:
    """A reported code the knowledge base says nothing about is not checked: say so."""
    for code_id, mentions in ctx.reported.items():
        if code_id not in ctx.tables.known:
            ctx.add("NL207", mentions[0].span, code=code_id)


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
        _replace_with(ctx, code, mention, sibling)
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
        for code_id in policy.codes:
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
    for limit, codes in ctx.tables.unit_limits:
        if ctx.settings.profile not in limit.profiles:
            continue
        for code_id in codes:
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


def _check_modifiers(ctx: _Context) -> None:
    sides = {s.side for s in ctx.sides}
    for code_id, mentions in ctx.reported.items():
        for mention in mentions:
            _check_mention_modifiers(ctx, mention, sides)
        status = ctx.status.get(code_id)
        if not status or not status.supported:
            continue
        mention = mentions[0]
        names = _suggested_modifiers(ctx, code_id)
        ctx.report.supported_modifiers[code_id] = names
        for name in names:
            if name not in mention.modifiers and name not in ctx.tables.side_of:
                _suggest_modifier(ctx, mention, name)
    _check_distinct_pairs(ctx)


def _suggest_modifier(ctx: _Context, mention: CodeMention, name: str) -> None:
    """NL701: ``name`` for the reported ``mention``, with the fix that appends it."""
    modifier = ctx.kb.modifiers[name]
    evidence = ctx.ev.first(modifier.evidence)
    at = mention.span.start + len(mention.code)
    fix = Fix(
        f"Add modifier -{name} to {mention.code}",
        "modifier",
        (TextEdit(Span(at, at), f"-{name}"),),
    )
    related = (
        [Related(evidence.span, ctx.kb.concepts[evidence.concept].description)] if evidence else []
    )
    ctx.add(
        "NL701",
        mention.span,
        code=mention.code,
        fixes=[fix],
        related=related,
        values={"modifier": name, "meaning": modifier.meaning},
    )


def _check_distinct_pairs(ctx: _Context) -> None:
    """A distinct-service modifier for the column 2 code of a known pair whose codes are both
    reported, when the edit allows one and the note names the reason: never 59 beside an X
    modifier, nor a second one where the pair already carries one."""
    for pair in ctx.kb.code_pairs:
        column2 = ctx.reported.get(pair.column2)
        if pair.modifier_indicator != "1" or pair.column1 not in ctx.reported or not column2:
            continue
        name = _distinct_modifier(ctx)
        if name is None or name in ctx.report.supported_modifiers.get(pair.column2, ()):
            continue  # nothing to name, or another pair of this code named it already
        for code_id in (pair.column1, pair.column2):  # CMS takes it on either code of the pair
            supported = ctx.report.supported_modifiers.get(code_id, ())
            ctx.report.supported_modifiers[code_id] = tuple(dict.fromkeys((*supported, name)))
        # One distinct-service modifier already written on the pair suffices.
        written = (
            m for c in (pair.column1, pair.column2) for r in ctx.reported[c] for m in r.modifiers
        )
        if not any(_is_distinct(ctx.kb, m) for m in written):
            _suggest_modifier(ctx, column2[0], name)


def _is_distinct(kb: KnowledgeBase, name: str) -> bool:
    modifier = kb.modifiers.get(name)
    return bool(modifier and modifier.distinct_service)


def _distinct_modifier(ctx: _Context) -> str | None:
    """The first distinct-service modifier whose evidence the note has (XS for a separate
    site before XU for a distinct service, as rules/modifiers.toml orders them)."""
    for name, modifier in ctx.kb.modifiers.items():
        if modifier.distinct_service and modifier.evidence and ctx.ev.has_any(modifier.evidence):
            return name
    return None


def _check_mention_modifiers(ctx: _Context, mention: CodeMention, sides: set[str]) -> None:
    contradicting = _conflict_table(ctx.kb)
    first_at: dict[str, int] = {}  # each modifier's first position: linear in a long run
    for i, name in enumerate(mention.modifiers):
        # One finding per contradicting pair, on the later of the two (naming the earlier);
        # a modifier written again repeats pairs already reported.
        if name not in first_at:
            earlier = [first_at[m] for m in contradicting.get(name, ()) if m in first_at]
            first_at[name] = i
            if earlier:
                ctx.add(
                    "NL703",
                    mention.modifier_spans[i],
                    code=mention.code,
                    values={"modifier": name, "other": mention.modifiers[min(earlier)]},
                )
        side = ctx.tables.side_of.get(name)
        if side and sides and side not in sides and "bilateral" not in sides:
            documented = " and ".join(sorted(sides))
            span = mention.modifier_spans[i]
            fixes = []
            new = ctx.tables.side_modifier.get(next(iter(sides))) if len(sides) == 1 else None
            if new is not None:
                fixes.append(Fix(f"Change -{name} to -{new}", "modifier", (TextEdit(span, new),)))
            ctx.add(
                "NL702",
                span,
                code=mention.code,
                fixes=fixes,
                values={"modifier": name, "side": documented},
            )


def _conflict_table(kb: KnowledgeBase) -> dict[str, frozenset[str]]:
    """For each modifier, those that cannot apply with it, as either's entry says."""
    cached = kb.cache.get("modifier_conflicts")
    if isinstance(cached, dict):
        return cached
    pairs: dict[str, set[str]] = {}
    for one, entry in kb.modifiers.items():
        for other in entry.conflicts_with:
            pairs.setdefault(one, set()).add(other)
            pairs.setdefault(other, set()).add(one)
    table = {name: frozenset(others) for name, others in pairs.items()}
    kb.cache["modifier_conflicts"] = table
    return table


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
