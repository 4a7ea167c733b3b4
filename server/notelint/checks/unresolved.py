"""Guidance documented whose primary procedure is not recognised (NL206), said once per note.

A guidance modality the note documents (the concept ``guidance.<modality>``) is unresolved
when no code of that modality is supported, included, fitted to another code or reported as a
code needing no family, and no recognised primary procedure says how its guidance is coded.
Each unresolved modality is listed in the report; the one finding sits on the first reported
code left unresolved, else on the first mention of the guidance, and names the procedures
recognised.
"""

from __future__ import annotations

from notelint.checks.context import Context, documents_guidance, guidance_of
from notelint.core.findings import Span, Unresolved
from notelint.kb import KnowledgeBase
from notelint.kb.models import CHECK_MODULES

RULES = CHECK_MODULES["unresolved"]  # the rules whose check is module:unresolved
SHARED: tuple[str, ...] = ()


def run(ctx: Context) -> None:
    """Guidance documented whose primary procedure is not recognised: say so, once."""
    handled = {
        ctx.kb.codes[c].modality
        for c, st in ctx.status.items()
        if st.supported or st.included_by or st.fits or (st.reported and not st.needs_family)
    }
    for modality in ctx.tables.modalities:
        if modality in handled or not documents_guidance(ctx, modality):
            continue
        if any(guidance_of(ctx, p.family, modality) for p in ctx.primaries):
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
