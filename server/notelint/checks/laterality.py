"""Laterality: one site documented on different sides in different sections of the note
(NL801), reported once per site on the first later mention that differs, pointing back to
the first. A site also documented as bilateral is not checked.
"""

from __future__ import annotations

from notelint.checks.context import Context
from notelint.core.findings import Related
from notelint.core.match import SideMention
from notelint.kb.models import CHECK_MODULES

RULES = CHECK_MODULES["laterality"]  # the rules whose check is module:laterality
SHARED: tuple[str, ...] = ()


def run(ctx: Context) -> None:
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
