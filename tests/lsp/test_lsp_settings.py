"""Settings from the editor (initializationOptions, workspace/configuration, didChangeConfiguration)
and from the project's config file, reloaded when it changes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_lsp
from lsp_support import (
    PARTLY_DOCUMENTED,
    REGISTERED,
    SERVER,
    UNITS,
    Note,
    capabilities,
    diagnostics,
    eventually,
    expected,
    finish,
    project,
    settle,
    start,
)
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from notelint.core.findings import Severity
from notelint.core.settings import Settings

pytestmark = pytest.mark.asyncio

ORG_RULE = '''
[rule.NL990]
name = "org-liver-biopsy-guidance"
category = "necessity"
check = "policy"
severity = "error"
summary = "The organisation's contract bundles liver biopsy guidance."
message = "{code}: {detail}"
why = "Contract terms."
fix = "Do not report it."
example_fires = """PROCEDURE: Ultrasound-guided liver biopsy.
CPT: 47000, 76942"""
example_passes = """PROCEDURE: Liver biopsy.
CPT: 47000"""

[[policy]]
rule = "NL990"
codes = ["76942"]
when = "reported"
with_reported_any = ["47000"]
detail = "guidance for a liver biopsy is bundled under the contract"
source = { document = "ash", line = 53, passage = "ASH considers CPT Code 76942" }
'''


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def client(lsp_client: LanguageClient) -> AsyncIterator[None]:
    yield  # each test initializes with the capabilities and options it needs
    await finish(lsp_client)


def pull_client_with_refresh() -> types.ClientCapabilities:
    caps = capabilities("visual-studio-code")
    assert caps.text_document is not None and caps.workspace is not None
    caps.text_document.diagnostic = types.DiagnosticClientCapabilities()
    caps.workspace.diagnostics = types.DiagnosticWorkspaceClientCapabilities(refresh_support=True)
    return caps


async def test_initialization_options_choose_the_profile(client: LanguageClient) -> None:
    await start(client, capabilities("visual-studio-code"), {"profile": "ash"})
    note = Note(client, UNITS)
    got = await settle(client, note.uri, expected(note.text, note.encoding, Settings("ash")))
    assert "NL105" in {d.code for d in got}  # the ASH guideline's final-report requirement


async def test_workspace_configuration_changes_relint_open_notes(client: LanguageClient) -> None:
    await start(client, capabilities("visual-studio-code"))
    note = Note(client, UNITS)
    await settle(client, note.uri, expected(note.text, note.encoding))
    client.set_configuration({"select": ["NL4"], "severity": {"NL401": "hint"}}, section="notelint")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    settings = Settings(select=("NL4",), severity={"NL401": Severity.HINT})
    got = await settle(client, note.uri, expected(note.text, note.encoding, settings))
    assert [(d.code, d.severity) for d in got] == [("NL401", types.DiagnosticSeverity.Hint)]


async def test_pushed_configuration_without_workspace_configuration(client: LanguageClient) -> None:
    await start(client, types.ClientCapabilities())
    note = Note(client, UNITS)
    await settle(client, note.uri, expected(note.text, note.encoding))
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"notelint": {"ignore": "NL1,NL2"}})
    )
    settings = Settings(ignore=("NL1", "NL2"))
    got = await settle(client, note.uri, expected(note.text, note.encoding, settings))
    assert {d.code for d in got} == {"NL401"}


async def test_lint_on_save_leaves_diagnostics_until_saved(client: LanguageClient) -> None:
    await start(client, capabilities("visual-studio-code"), {"run": "onSave"})
    note = Note(client, UNITS)
    before = await settle(client, note.uri, expected(note.text, note.encoding))
    end = note.text.index("\n")
    note.edit(end, end, " Representative images were archived in PACS.")
    await asyncio.sleep(0.5)
    assert list(client.diagnostics[note.uri]) == before  # typing does not lint
    client.text_document_did_save(
        types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(note.uri))
    )
    got = await settle(client, note.uri, expected(note.text, note.encoding))
    assert "NL102" not in {d.code for d in got}


async def test_bad_settings_are_shown_and_ignored(client: LanguageClient) -> None:
    await start(client, capabilities("visual-studio-code"), {"profile": "xyz", "run": "never"})
    note = Note(client, UNITS)
    await settle(client, note.uri, expected(note.text, note.encoding))
    shown = [m.message for m in client.messages]
    assert "notelint settings: profile: expected one of cpt, ash" in shown
    assert 'notelint settings: run: expected "onType" or "onSave"' in shown


async def test_extra_rule_folder_from_settings(client: LanguageClient, tmp_path: Path) -> None:
    (tmp_path / "org.toml").write_text(ORG_RULE, encoding="utf-8")
    await start(client, capabilities("neovim"), {"rules": [str(tmp_path)]})
    note = Note(client, UNITS)
    got = await settle(client, note.uri, expected(note.text, note.encoding, rules=[str(tmp_path)]))
    assert "NL990" in {d.code for d in got}


async def test_broken_rule_folder_is_reported_by_file_and_line(
    client: LanguageClient, tmp_path: Path
) -> None:
    (tmp_path / "broken.toml").write_text('[rule.NL991]\nname = "x"\n', encoding="utf-8")
    await start(client, capabilities("visual-studio-code"), {"rules": [str(tmp_path)]})
    note = Note(client, UNITS)
    want = expected(note.text, note.encoding)  # built-in rules still run

    async def linted() -> list[types.Diagnostic] | None:
        got = await diagnostics(client, note.uri)
        return got if project([d for d in got if d.code != "config"]) == want else None

    got = await eventually(linted)
    assert any(str(tmp_path / "broken.toml") in m.message for m in client.messages)
    # and on the note itself, so that it does not look clean
    assert [d.code for d in got].count("config") == 1
    assert any(d.code == "config" and "broken.toml:1" in d.message for d in got)


async def test_project_config_is_found_and_reloaded(client: LanguageClient, tmp_path: Path) -> None:
    config = tmp_path / "notelint.toml"
    config.write_text('ignore = ["NL1"]\n', encoding="utf-8")
    await start(client, pull_client_with_refresh(), root=tmp_path)
    note = Note(client, UNITS, uri=(tmp_path / "notes" / "a.txt").as_uri())
    got = await settle(
        client, note.uri, expected(note.text, note.encoding, Settings(ignore=("NL1",)))
    )
    assert {d.code for d in got} == {"NL401"}
    watched = [
        r for r in REGISTERED[client] if r.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES
    ]
    assert watched, "config files are watched"

    config.write_text('ignore = ["NL4"]\n', encoding="utf-8")
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            [types.FileEvent(config.as_uri(), types.FileChangeType.Changed)]
        )
    )
    await eventually(lambda: _refreshed(client))
    got = await settle(
        client, note.uri, expected(note.text, note.encoding, Settings(ignore=("NL4",)))
    )
    assert "NL401" not in {d.code for d in got}
    assert "NL101" in {d.code for d in got}


async def _refreshed(client: LanguageClient) -> bool | None:
    return True if client.diagnostic_refresh_count > 0 else None


async def test_config_error_is_shown_and_defaults_apply(
    client: LanguageClient, tmp_path: Path
) -> None:
    (tmp_path / "notelint.toml").write_text('select = ["XX9"]\n', encoding="utf-8")
    await start(client, capabilities("emacs"))
    note = Note(client, PARTLY_DOCUMENTED, uri=(tmp_path / "a.txt").as_uri())
    problem = f"{tmp_path / 'notelint.toml'}:1: select: no rule matches 'XX9'"
    on_note = ("config", "warning", f"notelint configuration: {problem}", (0, 0, 0, 0))
    await settle(client, note.uri, sorted([*expected(note.text, note.encoding), on_note]))
    assert problem in [m.message for m in client.messages]
