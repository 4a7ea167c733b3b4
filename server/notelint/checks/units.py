"""Data check ``unit_limit``: a code reported more units than a ``[[unit_limit]]`` of
rules/policies.toml allows (one per encounter for needle-placement guidance) is a finding of
the rule the limit names, with a fix that reports it once.
"""

from __future__ import annotations

from notelint.checks.context import Context, remove_fix
from notelint.core.findings import Fix, TextEdit


def run(ctx: Context) -> None:
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
                e for m in mentions[1:] for e in remove_fix(ctx, m).edits
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
