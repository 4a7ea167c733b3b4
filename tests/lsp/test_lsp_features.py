"""The language server end to end, under the recorded capabilities of VS Code, Neovim and Emacs.

VS Code (1.65) takes pushed diagnostics and UTF-16 positions, Neovim (0.11) pulls diagnostics
and negotiates UTF-8, Emacs (29.1) takes pushed diagnostics and negotiates UTF-32.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator

import pytest
import pytest_lsp
from lsp_support import (
    BUNDLED,
    CLIENTS,
    FIXTURE_NOTES,
    LATERALITY,
    MODIFIER,
    OTHER_MODALITY,
    PARTLY_DOCUMENTED,
    SERVER,
    UNITS,
    UNREPORTED,
    Note,
    capabilities,
    expected,
    finish,
    position,
    settle,
    span_range,
    start,
)
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from notelint.core.analysis import analyze
from notelint.core.findings import Span
from notelint.kb import load_knowledge_base
from notelint.present.json_format import file_json

pytestmark = pytest.mark.asyncio(loop_scope="module")

OWN_NOTES = {
    "units": UNITS,
    "unreported": UNREPORTED,
    "modifier": MODIFIER,
    "bundled": BUNDLED,
    "other-modality": OTHER_MODALITY,
    "laterality": LATERALITY,
    "partly-documented": PARTLY_DOCUMENTED,
}
NOTES = {**OWN_NOTES, **{p.stem: p.read_text(encoding="utf-8") for p in FIXTURE_NOTES}}


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=SERVER), params=CLIENTS, scope="module"
)
async def client(request: pytest.FixtureRequest, lsp_client: LanguageClient) -> AsyncIterator[None]:
    await start(lsp_client, capabilities(request.param))
    yield
    await finish(lsp_client)


async def opened(client: LanguageClient, text: str) -> tuple[Note, list[types.Diagnostic]]:
    note = Note(client, text)
    return note, await settle(client, note.uri, expected(text, note.encoding))


def codes(diagnostics: list[types.Diagnostic]) -> set[str]:
    return {str(d.code) for d in diagnostics}


@pytest.mark.parametrize("name", sorted(NOTES))
async def test_diagnostics_on_open_are_those_of_the_cli(client: LanguageClient, name: str) -> None:
    await opened(client, NOTES[name])


async def test_a_diagnostic_names_its_rule_evidence_and_fix(client: LanguageClient) -> None:
    note, got = await opened(client, UNITS)
    images = next(d for d in got if d.code == "NL102")
    assert images.source == "notelint"
    assert images.severity == types.DiagnosticSeverity.Warning
    coding = note.text.index("76942 x2")
    assert images.range == span_range(note.text, coding, coding + len("76942 x2"), note.encoding)
    (evidence,) = images.related_information or []
    start = note.text.index("Ultrasound-guided")
    assert evidence.location.uri == note.uri
    assert evidence.location.range == span_range(
        note.text, start, start + len("Ultrasound-guided"), note.encoding
    )
    assert images.data["version"] == 1
    assert [f["kind"] for f in images.data["fixes"]] == ["template"]


async def test_diagnostics_follow_incremental_edits(client: LanguageClient) -> None:
    note, _ = await opened(client, UNITS)
    end_of_first_line = note.text.index("\n")
    note.edit(end_of_first_line, end_of_first_line, " Representative images were archived in PACS.")
    got = await settle(client, note.uri, expected(note.text, note.encoding))
    assert "NL102" not in codes(got)
    emoji = note.text.index("😀")
    note.edit(emoji, emoji + 1, "🩻 µ×°")  # astral and two-byte characters before the findings
    await settle(client, note.uri, expected(note.text, note.encoding))
    second_line = note.text.index("The needle")
    note.edit(second_line, note.text.index("CPT"), "")  # delete a whole line
    await settle(client, note.uri, expected(note.text, note.encoding))


@pytest.mark.parametrize(
    ("text", "rule", "title", "written"),
    [
        (UNITS, "NL102", "Insert a placeholder", "[describe images recorded and where archived]"),
        (UNITS, "NL401", "Report 76942 once", "CPT: 47000, 76942\n"),
        (BUNDLED, "NL301", "Remove 76942", "CPT: 20611-LT\n"),
        (OTHER_MODALITY, "NL204", "Replace 77002 with 76942", "CPT: 47000, 76942\n"),
        (UNREPORTED, "NL202", "Add 76942", "CPT: 47000, 76942\n"),
        (MODIFIER, "NL701", "Add modifier -26", "CPT: 47000, 76942-26\n"),
        (LATERALITY, "NL702", "Change -RT to -LT", "CPT: 20610-LT\n"),
    ],
    ids=["template", "units", "bundled", "replace", "add-code", "add-modifier", "laterality"],
)
async def test_quick_fix_applied_and_linted_again(
    client: LanguageClient, text: str, rule: str, title: str, written: str
) -> None:
    note, got = await opened(client, text)
    target = next(d for d in got if d.code == rule)
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            types.TextDocumentIdentifier(note.uri),
            target.range,
            types.CodeActionContext(diagnostics=[target]),
        )
    )
    action = next(a for a in actions or [] if a.title.startswith(title))
    assert action.kind == types.CodeActionKind.QuickFix
    assert action.edit is not None
    note.apply(action.edit)
    assert written in note.text
    after = await settle(client, note.uri, expected(note.text, note.encoding))
    if rule == "NL102":  # a placeholder documents nothing: the finding stays until it is filled
        assert "NL102" in codes(after)
        assert not action.is_preferred
    else:
        assert rule not in codes(after)


async def test_quick_fixes_without_diagnostics_in_the_request(client: LanguageClient) -> None:
    """A stale or missing diagnostic in the request: the fixes come from the current analysis."""
    note, got = await opened(client, BUNDLED)
    stale = next(d for d in got if d.code == "NL301")
    note.edit(0, 0, "😀 ")
    await settle(client, note.uri, expected(note.text, note.encoding))
    code = note.text.index("76942")
    for context in ([], [stale]):
        actions = await client.text_document_code_action_async(
            types.CodeActionParams(
                types.TextDocumentIdentifier(note.uri),
                span_range(note.text, code, code, note.encoding),
                types.CodeActionContext(diagnostics=context),
            )
        )
        (remove,) = [a for a in actions or [] if a.title == "Remove 76942"]
        assert remove.edit is not None
        if remove.edit.document_changes:  # versioned: computed for the note as it is now
            (edit,) = remove.edit.document_changes
            assert isinstance(edit, types.TextDocumentEdit)
            assert edit.text_document.version == note.version
        else:
            assert list(remove.edit.changes or {}) == [note.uri]


async def test_fix_all_applies_only_code_and_modifier_fixes(client: LanguageClient) -> None:
    text = MODIFIER.replace("76942\n", "76942 x2\n")
    note, before = await opened(client, text)
    assert {"NL101", "NL401"} <= codes(before)
    identifier = types.TextDocumentIdentifier(note.uri)
    whole = span_range(note.text, 0, len(note.text), note.encoding)
    only_quick = await client.text_document_code_action_async(
        types.CodeActionParams(identifier, whole, types.CodeActionContext([], only=["quickfix"]))
    )
    assert all(a.kind == types.CodeActionKind.QuickFix for a in only_quick or [])
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            identifier, whole, types.CodeActionContext([], only=["source.fixAll"])
        )
    )
    (fix_all,) = actions or []
    assert fix_all.kind == "source.fixAll.notelint"
    assert fix_all.edit is not None
    note.apply(fix_all.edit)
    assert "[" not in note.text  # no documentation template was inserted
    after = await settle(client, note.uri, expected(note.text, note.encoding))
    assert "NL401" not in codes(after)
    assert "NL101" in codes(after)


async def test_hover_on_a_code_shows_this_notes_checklist(client: LanguageClient) -> None:
    note, _ = await opened(client, PARTLY_DOCUMENTED)
    hover = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(note.uri), note.at("76942", 2))
    )
    assert hover is not None
    assert isinstance(hover.contents, types.MarkupContent)
    text = hover.contents.value
    assert "Ultrasound used to guide a needle" in text
    assert "✓ permanently recorded images of the site: line 3" in text
    assert "✗ a written interpretation of the guidance images: missing" in text
    assert "1 reported here; at most 1 per encounter" in text
    assert "-26` (this note supports it)" in text
    mention = note.text.index("76942-26")
    assert hover.range == span_range(note.text, mention, mention + len("76942-26"), note.encoding)


async def test_hover_on_a_modifier_says_whether_the_note_supports_it(
    client: LanguageClient,
) -> None:
    note, _ = await opened(client, PARTLY_DOCUMENTED)
    identifier = types.TextDocumentIdentifier(note.uri)
    hover = await client.text_document_hover_async(types.HoverParams(identifier, note.at("-26", 2)))
    assert hover is not None
    assert isinstance(hover.contents, types.MarkupContent)
    assert hover.contents.value.startswith("**-26**: Professional component")
    assert "This note supports -26 on 76942." in hover.contents.value
    elsewhere = types.HoverParams(identifier, note.at("needle"))
    assert await client.text_document_hover_async(elsewhere) is None


async def test_hover_on_a_primary_procedure_code(client: LanguageClient) -> None:
    note, _ = await opened(client, BUNDLED)
    hover = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(note.uri), note.at("20611"))
    )
    assert hover is not None
    assert isinstance(hover.contents, types.MarkupContent)
    assert "ultrasound: included" in hover.contents.value


async def test_completion_offers_supported_codes_then_modifiers(client: LanguageClient) -> None:
    note, _ = await opened(client, UNREPORTED)
    identifier = types.TextDocumentIdentifier(note.uri)
    end = note.text.index("47000") + len("47000")
    note.edit(end, end, ", 7")
    await settle(client, note.uri, expected(note.text, note.encoding))
    cursor = position(note.text, end + 3, note.encoding)
    codes_list = await client.text_document_completion_async(
        types.CompletionParams(identifier, cursor)
    )
    assert isinstance(codes_list, types.CompletionList)
    ranked = sorted(codes_list.items, key=lambda i: i.sort_text or "")
    assert ranked[0].label == "76942"  # the one this note supports
    assert {"77002", "77012"} <= {i.label for i in ranked}
    assert isinstance(ranked[0].text_edit, types.TextEdit)
    assert ranked[0].text_edit.range == span_range(note.text, end + 2, end + 3, note.encoding)

    note.edit(end + 2, end + 3, "76942-")
    await settle(client, note.uri, expected(note.text, note.encoding))
    cursor = position(note.text, end + 2 + len("76942-"), note.encoding)
    modifiers = await client.text_document_completion_async(
        types.CompletionParams(identifier, cursor)
    )
    assert isinstance(modifiers, types.CompletionList)
    ranked = sorted(modifiers.items, key=lambda i: i.sort_text or "")
    assert ranked[0].label == "26"  # a facility setting: the professional component
    assert "TC" in {i.label for i in ranked}

    narrative = await client.text_document_completion_async(
        types.CompletionParams(identifier, note.at("needle"))
    )
    assert narrative is None  # not on a coding line


async def test_symbols_are_the_sections_and_a_lens_sums_up(client: LanguageClient) -> None:
    note, _ = await opened(client, UNITS)
    identifier = types.TextDocumentIdentifier(note.uri)
    symbols = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(identifier)
    )
    report = analyze(note.text, load_knowledge_base())
    sections: list[tuple[str, Span]] = []  # unheaded narrative folds into the section before it
    for kind, heading, span in report.sections:
        if not heading and sections:
            sections[-1] = (sections[-1][0], Span(sections[-1][1].start, span.end))
        else:
            sections.append((heading or kind.capitalize(), span))
    assert [s.name for s in symbols or []] == [name for name, _ in sections]
    assert "PROCEDURE" in [s.name for s in symbols or []]
    for symbol, (_, span) in zip(symbols or [], sections, strict=True):
        assert isinstance(symbol, types.DocumentSymbol)
        assert symbol.range == span_range(note.text, span.start, span.end, note.encoding)
    lenses = await client.text_document_code_lens_async(types.CodeLensParams(identifier))
    (lens,) = lenses or []
    assert lens.range.start == types.Position(0, 0)
    assert lens.command is not None
    gaps = sum(1 for f in report.findings if f.category == "documentation")
    assert gaps == 4
    assert lens.command.title == f"notelint: supports 76942 · {gaps} documentation gaps"


async def test_report_command_is_the_cli_json(client: LanguageClient) -> None:
    note, _ = await opened(client, UNITS)
    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams("notelint.report", [note.uri])
    )
    assert result["sha256"] == hashlib.sha256(note.text.encode()).hexdigest()
    assert result["version"] == note.version
    cli = file_json(note.uri, analyze(note.text, load_knowledge_base()))
    assert result["findings"] == cli["findings"]
    assert result["codes"] == cli["codes"]
