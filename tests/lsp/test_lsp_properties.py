"""Property: any sequence of incremental edits leaves the server's copy of a note identical to
the editor's, and its diagnostics equal those of ``notelint check --format json`` on that text."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator

import pytest
import pytest_lsp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lsp_support import (
    BUNDLED,
    MODIFIER,
    SERVER,
    UNITS,
    diagnostics,
    encoding,
    expected,
    finish,
    new_uri,
    open_note,
    project,
    span_range,
    start,
)
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

pytestmark = pytest.mark.asyncio(loop_scope="module")

FRAGMENTS = [
    "PROCEDURE: ",
    "\nCPT: 76942-26 x2, 77002-RT, 20611\n",
    "Ultrasound-guided biopsy. ",
    "Representative images were archived in PACS. ",
    "No images were retained. ",
    "[***]",
    "left knee ",
    "µ° × “”😀🩻",
    "\n",
    "\r\n",
]
characters = st.characters(blacklist_categories=("Cs",))  # lone surrogates are not text
inserted = st.one_of(st.sampled_from(FRAGMENTS), st.text(characters, max_size=6))
# An edit: where it starts and ends as fractions of the text, and what replaces that range;
# None in place of the range replaces the whole document.
edit = st.tuples(st.one_of(st.none(), st.tuples(st.floats(0, 1), st.floats(0, 1))), inserted)
notifications = st.lists(st.lists(edit, min_size=1, max_size=3), max_size=6)


def pull_client(position_encoding: str) -> types.ClientCapabilities:
    return types.ClientCapabilities(
        general=types.GeneralClientCapabilities(position_encodings=[position_encoding]),
        text_document=types.TextDocumentClientCapabilities(
            diagnostic=types.DiagnosticClientCapabilities()
        ),
    )


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=SERVER),
    params=["utf-16", "utf-8", "utf-32"],
    scope="module",
)
async def client(request: pytest.FixtureRequest, lsp_client: LanguageClient) -> AsyncIterator[None]:
    await start(lsp_client, pull_client(request.param))
    yield
    await finish(lsp_client)


def change_of(
    text: str, where: tuple[float, float] | None, new: str, enc: str
) -> tuple[str, types.TextDocumentContentChangeEvent]:
    """The text after one edit, and the change event an editor would send for it."""
    if where is None:
        return new, types.TextDocumentContentChangeWholeDocument(text=new)
    start_at, end_at = sorted(round(f * len(text)) for f in where)
    change = types.TextDocumentContentChangePartial(
        range=span_range(text, start_at, end_at, enc), text=new
    )
    return text[:start_at] + new + text[end_at:], change


async def replay(
    client: LanguageClient, text: str, batches: list[list[tuple[tuple[float, float] | None, str]]]
) -> None:
    enc = encoding(client)
    uri = open_note(client, text, new_uri("prop"))
    version = 1
    for batch in batches:
        changes = []
        for where, new in batch:
            text, change = change_of(text, where, new, enc)
            changes.append(change)
        version += 1
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                types.VersionedTextDocumentIdentifier(version=version, uri=uri), changes
            )
        )
    report = await client.workspace_execute_command_async(
        types.ExecuteCommandParams("notelint.report", [uri])
    )
    assert report["version"] == version
    assert report["sha256"] == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert project(await diagnostics(client, uri)) == expected(text, enc)
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri))
    )


async def test_edits_keep_the_server_in_step_with_the_editor(client: LanguageClient) -> None:
    loop = asyncio.get_running_loop()

    @settings(
        max_examples=25,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(text=st.sampled_from([UNITS, MODIFIER, BUNDLED, ""]), batches=notifications)
    def check(text: str, batches: list[list[tuple[tuple[float, float] | None, str]]]) -> None:
        asyncio.run_coroutine_threadsafe(replay(client, text, batches), loop).result(30)

    # Hypothesis drives the examples from a thread; the client stays on this test's loop.
    await asyncio.to_thread(check)
