"""Reported codes against the support the note gives them (NL201, NL202, NL204, NL301; and
NL205 where a documented procedure takes its fluoroscopy as a more specific code).

For each guidance code of the code table:

* supported, suggested and not on the coding line (nor replaced by a reported code it fits
  instead): NL202, with a fix that adds it to the coding line;
* reported while a documented primary procedure includes its guidance (a procedure family of
  rules/families.toml, or an operation whose package holds its imaging): NL301, with a fix
  that removes it;
* reported while the documented primary takes this modality's guidance as another code:
  NL204 with a fix that writes the other code (or NL205 for stand-alone fluoroscopy);
* reported without the evidence its ``supported_by`` asks for: NL204 when a code of the same
  kind is supported instead, else NL201 naming what is missing, unless a policy finding
  already explains the code.

A code whose guidance no recognised primary says how to code is left to NL206 (module
``unresolved``).
"""

from __future__ import annotations

from notelint.checks.context import CodeStatus, Context, Primary, remove_fix
from notelint.core.findings import CodeMention, Fix, Related, Span, TextEdit
from notelint.kb.models import CHECK_MODULES, Code

# NL205 is a policy rule (rules/policies.toml) that this module reports too.
RULES = CHECK_MODULES["reported"]  # the rules whose check is module:reported
SHARED = ("NL205",)


def run(ctx: Context) -> None:
    for code_id, status in ctx.status.items():
        code = ctx.kb.codes[code_id]
        if not status.reported:
            replaced = any(st.fits == code_id and st.reported for st in ctx.status.values())
            if status.supported and code.suggest and ctx.note.coding_lines and not replaced:
                _missing_code(ctx, code_id, code, status)
            continue
        mention = status.reported[0]
        remove = remove_fix(ctx, mention)
        if status.included_by:
            _included(ctx, code_id, code, mention, status.included_by, remove)
        elif status.fits:
            _fits_other(ctx, code_id, code, mention, status.fits)
        elif status.unresolved:
            continue  # said once for the note (NL206)
        elif not status.base:
            _unsupported_code(ctx, code_id, code, mention, remove)


def _included(
    ctx: Context, code_id: str, code: Code, mention: CodeMention, primary: Primary, remove: Fix
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


def _fits_other(ctx: Context, code_id: str, code: Code, mention: CodeMention, other: str) -> None:
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


def _replace_with(ctx: Context, code: Code, mention: CodeMention, other: str) -> None:
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


def _missing_code(ctx: Context, code_id: str, code: Code, status: CodeStatus) -> None:
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
    ctx: Context, code_id: str, code: Code, mention: CodeMention, remove: Fix
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


def _missing_support(ctx: Context, code: Code) -> str:
    """Why the narrative does not support ``code``: what it lacks, or what it says that rules
    the code out ("the note documents radiofrequency or chemical destruction of a nerve")."""
    for group in code.supported_by.all:
        if not ctx.ev.has_any(group):
            described = " or ".join(ctx.kb.concepts[c].description for c in group)
            return f"the note does not document {described}"
    present = [c for c in code.supported_by.none if ctx.ev.has(c)]
    described = ", ".join(ctx.kb.concepts[c].description for c in present)
    return f"the note documents {described}, which rules it out"
