"""Data check ``policy``: each ``[[policy]]`` of rules/policies.toml (or a rule folder) that
holds for a code is a finding of the rule the policy names.

A policy holds for a code when the code is reported or supported as its ``when`` asks, any
``with_reported_any`` code is reported and no ``unless_reported_any`` code is, and the
evidence has one of ``if_any`` (when given) and none of ``unless_any``; only policies of the
profile apply. A reported code a policy finding explains is not reported again as unsupported
(NL201).
"""

from __future__ import annotations

from notelint.checks.context import Context, TablePolicy, anchor_span
from notelint.core.findings import Related
from notelint.kb.models import Policy


def run(ctx: Context) -> None:
    for policy in ctx.tables.policies:
        if ctx.settings.profile not in policy.entry.profiles:
            continue
        for code_id in policy.codes:
            if _policy_holds(ctx, policy, code_id):
                _add_policy_finding(ctx, policy.entry, code_id)


def _policy_holds(ctx: Context, policy: TablePolicy, code_id: str) -> bool:
    """Whether ``policy`` applies to ``code_id``: reported codes are checked before evidence."""
    entry = policy.entry
    return (
        _policy_applies(ctx, entry.when, code_id)
        and (not policy.with_codes or any(c in ctx.reported for c in policy.with_codes))
        and not any(c in ctx.reported for c in policy.unless_codes)
        and (not entry.if_any or ctx.ev.has_any(entry.if_any))
        and not ctx.ev.has_any(entry.unless_any)
    )


def _add_policy_finding(ctx: Context, policy: Policy, code_id: str) -> None:
    trigger = ctx.ev.first(policy.if_any)
    related = (
        [Related(trigger.span, ctx.kb.concepts[trigger.concept].description)] if trigger else []
    )
    status = ctx.status.get(code_id)
    span = anchor_span(ctx, status) if status else ctx.reported[code_id][0].span
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


def _policy_applies(ctx: Context, when: str, code_id: str) -> bool:
    """Reported codes count even when bundled; primary codes outside the code table count when reported."""
    if when != "supported" and code_id in ctx.reported:
        return True
    status = ctx.status.get(code_id)
    return when != "reported" and bool(status and status.supported)
