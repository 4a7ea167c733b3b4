"""A reported code the knowledge base says nothing about (not a guidance code, nor a code of a
procedure family, policy or unit limit) is not checked: NL207 says so, on its first mention.
"""

from __future__ import annotations

from notelint.checks.context import Context
from notelint.kb.models import CHECK_MODULES

RULES = CHECK_MODULES["coverage"]  # the rules whose check is module:coverage
SHARED: tuple[str, ...] = ()


def run(ctx: Context) -> None:
    """A reported code the knowledge base says nothing about is not checked: say so."""
    for code_id, mentions in ctx.reported.items():
        if code_id not in ctx.tables.known:
            ctx.add("NL207", mentions[0].span, code=code_id)
