"""Modifiers: those the note supports and those written that contradict the note or each
other (NL701, NL702, NL703).

* NL701: a modifier of a supported code's ``modifiers`` (rules/codes.toml) whose evidence the
  note has (rules/modifiers.toml: ``evidence``, ``also_requires``, ``unless_any``) and the
  reported code lacks, with a fix that appends it; sides (RT, LT) are left to NL702. For a
  pair of rules/pairs.toml whose codes are both reported and whose edit allows a modifier, the
  first distinct-service modifier whose reason the note names (XS before XU…) is suggested on
  the column 2 code, unless one is already written on the pair.
* NL702: a side modifier that contradicts the side(s) the note documents, with a fix to the
  documented side's modifier when there is one side.
* NL703: two modifiers on one code that ``conflicts_with`` says cannot apply together, on the
  later of the two.

The modifiers each supported code may carry are recorded in the report.
"""

from __future__ import annotations

from notelint.checks.context import Context, suggested_modifiers
from notelint.core.findings import CodeMention, Fix, Related, Span, TextEdit
from notelint.kb import KnowledgeBase
from notelint.kb.models import CHECK_MODULES

RULES = CHECK_MODULES["modifiers"]  # the rules whose check is module:modifiers
SHARED: tuple[str, ...] = ()


def run(ctx: Context) -> None:
    sides = {s.side for s in ctx.sides}
    for code_id, mentions in ctx.reported.items():
        for mention in mentions:
            _check_mention_modifiers(ctx, mention, sides)
        status = ctx.status.get(code_id)
        if not status or not status.supported:
            continue
        mention = mentions[0]
        names = suggested_modifiers(ctx, code_id)
        ctx.report.supported_modifiers[code_id] = names
        for name in names:
            if name not in mention.modifiers and name not in ctx.tables.side_of:
                _suggest_modifier(ctx, mention, name)
    _check_distinct_pairs(ctx)


def _suggest_modifier(ctx: Context, mention: CodeMention, name: str) -> None:
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


def _check_distinct_pairs(ctx: Context) -> None:
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


def _distinct_modifier(ctx: Context) -> str | None:
    """The first distinct-service modifier whose evidence the note has (XS for a separate
    site before XU for a distinct service, as rules/modifiers.toml orders them)."""
    for name, modifier in ctx.kb.modifiers.items():
        if modifier.distinct_service and modifier.evidence and ctx.ev.has_any(modifier.evidence):
            return name
    return None


def _check_mention_modifiers(ctx: Context, mention: CodeMention, sides: set[str]) -> None:
    contradicting = ctx.tables.modifier_conflicts
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
