"""Code actions: a quick fix per fix a finding offers, and ``source.fixAll.notelint``.

Quick fixes come from the ``data`` of the diagnostics the client sends back, so they need no
new analysis when the note has not changed. Fix-all applies only fixes that assert nothing
(code and modifier edits on the coding line), never documentation templates: a template is a
placeholder for the author to fill, and the finding stays until they do.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from lsprotocol import types

from notelint.core.autofix import safe_fixes
from notelint.lsp.convert import FixData, fixes_of, lsp_range
from notelint.lsp.linting import Analysis

FIX_ALL_TITLE = "Fix all notelint code and modifier findings"


@dataclass(frozen=True, slots=True)
class Context:
    uri: str
    version: int
    document_changes: bool  # the client takes versioned edits
    fix_all_kind: str


async def code_actions(
    ctx: Context, params: types.CodeActionParams, current: Callable[[], Awaitable[Analysis]]
) -> list[types.CodeAction]:
    only = params.context.only
    out: list[types.CodeAction] = []
    if _wanted(types.CodeActionKind.QuickFix, only):
        out += await _quick_fixes(ctx, params, current)
    if _wanted(ctx.fix_all_kind, only) and (action := _fix_all(ctx, await current())):
        out.append(action)
    return out


def _wanted(kind: str, only: Sequence[str] | None) -> bool:
    """Kinds are hierarchical: asking for ``source.fixAll`` includes ``source.fixAll.notelint``."""
    return only is None or any(kind == o or kind.startswith(f"{o}.") for o in only)


async def _quick_fixes(
    ctx: Context, params: types.CodeActionParams, current: Callable[[], Awaitable[Analysis]]
) -> list[types.CodeAction]:
    version = ctx.version
    pairs = [
        (d, fixes)
        for d in params.context.diagnostics
        if (fixes := fixes_of(d, version)) is not None
    ]
    if not pairs:  # no diagnostics of ours at the cursor, or stale ones: ask the analysis
        analysis = await current()
        version = analysis.version
        pairs = [
            (d, fixes_of(d, version) or [])
            for d in analysis.diagnostics
            if _overlaps(d.range, params.range)
        ]
    return [_quick_fix(ctx, version, d, fix) for d, fixes in pairs for fix in fixes]


def _overlaps(a: types.Range, b: types.Range) -> bool:
    def key(p: types.Position) -> tuple[int, int]:
        return p.line, p.character

    return key(a.start) <= key(b.end) and key(b.start) <= key(a.end)


def _quick_fix(
    ctx: Context, version: int, diagnostic: types.Diagnostic, fix: FixData
) -> types.CodeAction:
    return types.CodeAction(
        title=fix.title,
        kind=types.CodeActionKind.QuickFix,
        diagnostics=[diagnostic],
        is_preferred=fix.asserts_nothing,
        edit=_workspace_edit(ctx, version, list(fix.edits)),
    )


def _fix_all(ctx: Context, analysis: Analysis) -> types.CodeAction | None:
    """The first safe fix of each finding, skipping any that would touch an edit already taken."""
    edits = [
        types.TextEdit(lsp_range(analysis.index, e.span), e.new_text)
        for fix in safe_fixes(analysis.report)
        for e in fix.edits
    ]
    if not edits:
        return None
    return types.CodeAction(
        title=FIX_ALL_TITLE,
        kind=ctx.fix_all_kind,
        edit=_workspace_edit(ctx, analysis.version, edits),
    )


def _workspace_edit(ctx: Context, version: int, edits: list[types.TextEdit]) -> types.WorkspaceEdit:
    if ctx.document_changes:  # versioned: the client refuses the edit if the note has moved on
        document = types.OptionalVersionedTextDocumentIdentifier(ctx.uri, version)
        return types.WorkspaceEdit(document_changes=[types.TextDocumentEdit(document, edits)])
    return types.WorkspaceEdit(changes={ctx.uri: edits})
