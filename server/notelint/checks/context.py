"""What every check takes: the note, its evidence and the knowledge base, the support each code
has, and the report the findings go into (:class:`Context`), with the helpers several checks
share. Pure: no input or output."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import regex

from notelint.core.episodes import Episode, Recognition
from notelint.core.findings import (
    AnalysisError,
    CodeMention,
    Finding,
    Fix,
    Related,
    Report,
    Severity,
    SourceRef,
    Span,
    TextEdit,
)
from notelint.core.match import Evidence, EvidenceIndex, SideMention
from notelint.core.note import Note
from notelint.core.settings import Settings
from notelint.kb.models import (
    Citation,
    Code,
    Family,
    Policy,
    UnitLimit,
    expand_code_ranges,
)

if TYPE_CHECKING:
    from notelint.kb import KnowledgeBase

_PLACEHOLDER_FIELD = regex.compile(r"\{(\w+)\}")
_SEPARATOR = regex.compile(r"[ \t]*[,;][ \t]*")


@dataclass(frozen=True, slots=True)
class TablePolicy:
    entry: Policy
    codes: tuple[str, ...]  # its code ranges expanded
    with_codes: tuple[str, ...]  # its code ranges expanded
    unless_codes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Tables:
    """What deciding derives from the knowledge base alone: built once per knowledge base."""

    family_of: dict[str, str]  # a primary code -> the family it is a code of
    known: frozenset[str]  # every code the knowledge base says something about
    modalities: tuple[str, ...]  # every modality some guidance code has
    policies: tuple[TablePolicy, ...]
    unit_limits: tuple[tuple[UnitLimit, tuple[str, ...]], ...]  # each with its codes expanded
    side_of: dict[str, str]  # a modifier naming a side (RT) -> the side ("right")
    side_modifier: dict[str, str]  # a side -> the modifier that names it
    primary_kinds: frozenset[str]  # kinds of code that are themselves the primary procedure
    modifier_conflicts: dict[str, frozenset[str]]  # a modifier -> those that cannot apply with it


def build_tables(kb: KnowledgeBase) -> Tables:
    """Deciding's tables (``compiled_rules.CompiledRules.decide`` keeps them, once per
    knowledge base)."""
    family_of: dict[str, str] = {}
    for family_id, family in kb.families.items():
        for code_id in family.expanded_codes():
            family_of.setdefault(code_id, family_id)
    policies = tuple(
        TablePolicy(
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
    return Tables(
        family_of,
        frozenset(known),
        tuple(dict.fromkeys(c.modality for c in kb.codes.values())),
        policies,
        tuple((limit, tuple(limit.expanded_codes())) for limit in kb.unit_limits),
        side_of,
        {side: name for name, side in side_of.items()},
        frozenset(k for k, spec in kb.code_kinds.items() if spec.primary),
        _modifier_conflicts(kb),
    )


def _modifier_conflicts(kb: KnowledgeBase) -> dict[str, frozenset[str]]:
    """For each modifier, those that cannot apply with it, as either's entry says."""
    pairs: dict[str, set[str]] = {}
    for one, entry in kb.modifiers.items():
        for other in entry.conflicts_with:
            pairs.setdefault(one, set()).add(other)
            pairs.setdefault(other, set()).add(one)
    return {name: frozenset(others) for name, others in pairs.items()}


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
class Context:
    note: Note
    ev: EvidenceIndex
    kb: KnowledgeBase
    settings: Settings
    sides: list[SideMention]
    report: Report
    tables: Tables
    status: dict[str, CodeStatus] = field(default_factory=dict)
    reported: dict[str, list[CodeMention]] = field(default_factory=dict)
    explained: set[str] = field(
        default_factory=set
    )  # reported codes a policy finding already explains
    primaries: list[Primary] = field(default_factory=list)
    episodes: list[Episode] = field(default_factory=list)  # every procedure recognised
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


def documents_guidance(ctx: Context, modality: str) -> bool:
    """Whether the note documents ``modality``'s guidance: a mention that counts, and no
    sentence saying that it was not used (``guidance_not_used.<modality>``: "Fluoroscopy was
    not utilized"), which outweighs a macro's title that still names it."""
    ev = ctx.ev
    return ev.has(f"guidance.{modality}") and not ev.has(f"guidance_not_used.{modality}")


def guidance_of(ctx: Context, family: Family, modality: str) -> str | None:
    """'included', the guidance code a family reports apart for ``modality``, or None."""
    value = family.guidance.get(modality)
    if not value or value == "included":
        return value
    if family.separate_only_with and not ctx.ev.has_any(family.separate_only_with):
        return "included"  # part of the other imaging service (conventional arthrography)
    if family.included_from and _revised(ctx, family, family.included_from.year):
        return "included"  # the code set's revision folded the guidance into the primary
    return value


def _revised(ctx: Context, family: Family, year: int) -> bool:
    """Whether the note is coded under the revision (of ``year``) that made the family's
    guidance included: it reports one of the revision's codes, or is dated that year or later."""
    if not family.revision_codes().isdisjoint(ctx.reported):
        return True
    dated = service_year(ctx)
    return dated is not None and dated >= year


def service_year(ctx: Context) -> int | None:
    """The year of the note's date of service, from the date its header gives
    (``context.service_date``), or None when it gives none."""
    mention = ctx.ev.first_of("context.service_date")
    if mention is None:
        return None
    found = _YEAR.search(ctx.note.text, mention.span.start, mention.span.end)
    return int(found.group()) if found else None


_YEAR = regex.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")


def suggested_modifiers(ctx: Context, code_id: str) -> tuple[str, ...]:
    if code_id not in ctx.modifiers:
        code = ctx.kb.codes[code_id]
        names = [name for name in code.modifiers if _modifier_applies(ctx, code, name)]
        ctx.modifiers[code_id] = tuple(names)
    return ctx.modifiers[code_id]


def _modifier_applies(ctx: Context, code: Code, name: str) -> bool:
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


def anchor_span(ctx: Context, status: CodeStatus) -> Span:
    if status.reported:
        return status.reported[0].span
    if status.anchor:
        return status.anchor.span
    return Span(0, 0)


def remove_fix(ctx: Context, mention: CodeMention) -> Fix:
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
