"""Decide findings and code suggestions from a parsed note and its evidence. Pure.

The order is fixed: the support each code has (and whether a documented primary procedure
includes its guidance), the codes to suggest, then the checks of the registry
(:mod:`notelint.checks`): each kind of check that rules data drives (requirements, policies,
unit limits), then each registered check module, in the registry's order.
"""

from __future__ import annotations

import functools

import regex

from notelint.checks import run_checks
from notelint.checks.context import (
    CodeStatus,
    Context,
    Primary,
    Tables,
    build_tables,
    documents_guidance,
    guidance_of,
    make_finding,
    suggested_modifiers,
)
from notelint.core.episodes import Recognition, recognise
from notelint.core.findings import (
    AnalysisError,
    Report,
    Span,
    Suggestion,
)
from notelint.core.match import EvidenceIndex, SideMention
from notelint.core.note import Note
from notelint.core.settings import Settings
from notelint.kb import KnowledgeBase
from notelint.kb.models import Code, Family

__all__ = ["CodeStatus", "Primary", "decide", "make_finding"]

# The input rule (check = "input") for a note without text: nothing else is checked.
_EMPTY_NOTE = "NL902"


def decide(
    note: Note,
    ev: EvidenceIndex,
    sides: list[SideMention],
    kb: KnowledgeBase,
    settings: Settings,
    recognition: Recognition | None = None,
    tables: Tables | None = None,
) -> Report:
    """The findings and codes of a note from its evidence; ``recognition`` holds the memos of
    procedure recognition (an engine's, else fresh ones), ``tables`` what deciding compiles
    from the knowledge base (the compiled rules', else built now)."""
    tables = tables or build_tables(kb)
    ctx = Context(note, ev, kb, settings, sides, Report(text=note.text), tables)
    ctx.recognition = recognition
    try:
        return _decide(ctx)
    except (AnalysisError, MemoryError):
        raise  # already placed; or no memory to place it with
    except Exception as exc:
        raise AnalysisError(None, ctx.code, None) from exc


def _decide(ctx: Context) -> Report:
    note = ctx.note
    ctx.report.sections = [(s.kind, s.heading, s.span) for s in note.sections]
    ctx.report.reported = list(note.codes)
    for mention in note.codes:
        ctx.reported.setdefault(mention.code, []).append(mention)
    if not note.text or note.text.isspace():  # as `not strip()`, without copying the text
        ctx.add(_EMPTY_NOTE, Span(0, 0))
        return ctx.report
    _evaluate_support(ctx)
    _suggest(ctx)
    run_checks(ctx)
    ctx.report.findings.sort(key=lambda f: (f.span.start, f.rule, f.code or ""))
    return ctx.report


# --- support -----------------------------------------------------------------------------


def _evaluate_support(ctx: Context) -> None:
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


def _contradicted(
    ctx: Context, family_id: str, family: Family, recognised: set[str] | None
) -> bool:
    """Whether the narrative rules out the family a reported code names: what rules it out in
    the note, or what it requires missing; or, where the narrative was read for procedures
    and did not find this family, a mention of what rules it out in its own sentences (an
    "FNA" on a note coded as a core biopsy)."""
    ev = ctx.ev
    if ev.has_any(family.unless_in_note) or not all(map(ev.has, family.requires_in_note)):
        return True
    return recognised is not None and family_id not in recognised and ev.has_any(family.unless)


def _documented_primaries(ctx: Context) -> list[Primary]:
    """Reported primary codes first, unless the narrative contradicts them ("10160" on the
    coding line, a drain left in the narrative: a coder codes what was done), then the
    families the narrative documents."""
    documented = [m for m in ctx.tables.modalities if documents_guidance(ctx, m)]
    episodes = (
        recognise(ctx.note, ctx.ev, ctx.kb, documented, ctx.recognition) if documented else []
    )
    recognised = {e.family_id for e in episodes} if documented else None
    ctx.episodes = episodes
    out: list[Primary] = []
    for code_id in ctx.reported:
        family_id = ctx.tables.family_of.get(code_id)
        if family_id and all(p.family_id != family_id for p in out):
            family = ctx.kb.families[family_id]
            if not _contradicted(ctx, family_id, family, recognised):
                out.append(Primary(family_id, family, code_id, None))
    if not documented:
        return _unabsorbed(ctx, out)  # no guidance to include or take apart
    # Once the note states a procedure, one only mentioned among the steps (a landmark, a
    # test aspiration) may show that guidance is included, never that it is reported apart.
    stated = bool(out) or any(e.stated for e in episodes)
    for episode in episodes:
        if all(p.family_id != episode.family_id for p in out):
            only_includes = stated and not episode.stated
            out.append(
                Primary(episode.family_id, episode.family, "documented", episode, only_includes)
            )
    return _unabsorbed(ctx, out)


def _unabsorbed(ctx: Context, primaries: list[Primary]) -> list[Primary]:
    """Without the primaries another one's code includes (a kyphoplasty's bone biopsy, reported
    or documented), unless the two name different spinal levels: those take no guidance apart."""
    absorbing = {a: p for p in primaries for a in p.family.absorbs}
    return [
        p
        for p in primaries
        if p.family_id not in absorbing or _at_other_levels(ctx, p, absorbing[p.family_id])
    ]


_LEVEL = regex.compile(r"\b(?:[CTL][1-9]|[CTL]1[0-2]|S[1-5])\b")


def _at_other_levels(ctx: Context, part: Primary, whole: Primary) -> bool:
    """Whether both name spinal levels, and none in common ("T11 bone biopsy", "L1
    vertebroplasty"): CPT includes the biopsy of the augmented level only. Where the biopsy
    names none, it is taken as the same level (unbundling costs more than a miss)."""
    mine, theirs = _levels(ctx, part), _levels(ctx, whole)
    return bool(mine) and bool(theirs) and mine.isdisjoint(theirs)


def _levels(ctx: Context, primary: Primary) -> set[str]:
    episode = primary.episode or next(
        (e for e in ctx.episodes if e.family_id == primary.family_id), None
    )
    if episode is None:
        return set()
    sentences = {episode.action.sentence, episode.target.sentence if episode.target else -1}
    text, headed = ctx.note.text, ctx.note.headed
    return {
        level
        for n in sentences - {-1}
        for level in _LEVEL.findall(text, headed[n].span.start, headed[n].span.end)
    }


def _judge(ctx: Context, code: Code, status: CodeStatus) -> None:
    """Whether a documented primary includes this guidance, reports it apart, or calls for
    another code; default-deny: a code that needs a family and has none is unresolved."""
    if code.kind in ctx.tables.primary_kinds:  # 0686T is itself the primary procedure
        return
    allowed = included = None
    fits = None
    for primary in ctx.primaries:
        verdict = guidance_of(ctx, primary.family, code.modality)
        if primary.only_includes and verdict != "included":
            continue
        if verdict == status.code and not _guided_elsewhere(ctx, primary, code.modality):
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


def _guided_elsewhere(ctx: Context, primary: Primary, modality: str) -> bool:
    """In a note of several procedures, whether every mention of ``modality``'s guidance
    belongs to others, whose codes include it, and none to ``primary``: each is said in a
    sentence, else a section, that speaks of another procedure and not of this one, or of
    none ("1. Interlaminar epidural, fluoroscopic guidance 2. Trigger point injections",
    then a "TPIs:" section without fluoroscopy). Unbundling costs more than a miss."""
    if _guided_otherwise(ctx, primary, modality):
        return True
    includers = [
        e.family
        for e in ctx.episodes
        if e.family_id != primary.family_id
        and not e.family.surgical
        and guidance_of(ctx, e.family, modality) == "included"
    ]
    if not includers:
        return False
    own = _named_by(primary.family)
    others = tuple(dict.fromkeys(c for f in includers for c in _named_by(f)))
    headed, ev = ctx.note.headed, ctx.ev
    for mention in ev.each_of(f"guidance.{modality}"):  # the first usually answers
        at = mention.sentence
        if ev.mentions_in(at, own):
            return False
        if not ev.mentions_in(at, others) and _section_speaks_of(ctx, headed[at].section, own):
            return False
    return True


def _guided_otherwise(ctx: Context, primary: Primary, modality: str) -> bool:
    """In a note of several procedures, whether the sentence that states ``primary`` names
    other guidance and not ``modality``'s ("2. Left knee intra-articular injection, ultrasound
    guidance" beside "1. Lumbar sympathetic block, fluoroscopic guidance"): the fluoroscopy is
    the other procedure's."""
    episode = primary.episode or next(
        (e for e in ctx.episodes if e.family_id == primary.family_id), None
    )
    others = any(e.family_id != primary.family_id and not e.family.surgical for e in ctx.episodes)
    if episode is None or not others:
        return False
    sentences = {episode.action.sentence, *([episode.target.sentence] if episode.target else [])}
    named = {
        m
        for at in sentences
        for m in ctx.tables.modalities
        if ctx.ev.mentions_in(at, _guidance_concept(m))
    }
    return bool(named) and modality not in named


@functools.cache
def _guidance_concept(modality: str) -> tuple[str, ...]:
    """The concepts that name ``modality`` in a sentence, its guidance or the bare word, as one
    tuple (one object, so that the evidence index finds its group by identity)."""
    return (f"guidance.{modality}", f"modality_named.{modality}")


def _named_by(family: Family) -> tuple[str, ...]:
    """The concepts that name the family's procedure: its targets (its actions, if none)."""
    return tuple(family.targets or family.actions)


def _section_speaks_of(ctx: Context, section: int, concepts: tuple[str, ...]) -> bool:
    return any(ctx.ev.mentions_in(n, concepts) for n in ctx.note.in_section(section))


def _suggest(ctx: Context) -> None:
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
                Suggestion(code_id, suggested_modifiers(ctx, code_id), reason)
            )
    _suggest_primaries(ctx)


def _suggest_primaries(ctx: Context) -> None:
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
            and documents_guidance(ctx, m)
            and guidance_of(ctx, family, m) == "included"
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
