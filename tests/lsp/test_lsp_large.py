"""A 5 MB note open in the editor does not hold up typing in another note."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_lsp
from lsp_support import (
    FIXTURE_NOTES,
    SERVER,
    UNITS,
    Note,
    capabilities,
    expected,
    finish,
    settle,
    start,
)
from pytest_lsp import ClientServerConfig, LanguageClient

pytestmark = pytest.mark.asyncio

PARAGRAPH = (FIXTURE_NOTES[0].read_text(encoding="utf-8") if FIXTURE_NOTES else UNITS) + "\n"
BIG = PARAGRAPH * (5_000_000 // len(PARAGRAPH) + 1)
PACS = " Representative images were archived in PACS."


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def client(lsp_client: LanguageClient) -> AsyncIterator[None]:
    yield
    await finish(lsp_client)


@pytest.mark.parametrize(
    ("limit", "slowest"),
    [(None, 1.0), (6 * 1024 * 1024, 2.0)],
    ids=["skipped-over-the-size-limit", "analysed-in-the-background"],
)
async def test_typing_in_a_small_note_next_to_a_5mb_one(
    client: LanguageClient, tmp_path: Path, limit: int | None, slowest: float
) -> None:
    if limit:
        (tmp_path / "notelint.toml").write_text(f"max-file-size = {limit}\n", encoding="utf-8")
    await start(client, capabilities("visual-studio-code"), root=tmp_path)
    big = Note(client, BIG, uri=(tmp_path / "big.txt").as_uri())
    small = Note(client, UNITS, uri=(tmp_path / "small.txt").as_uri())
    await settle(client, small.uri, expected(small.text, small.encoding))
    latencies = []
    for keystroke in range(6):
        big.edit(keystroke, keystroke, "x")
        end = small.text.index("\n")
        started = time.monotonic()
        if PACS in small.text:
            small.edit(end - len(PACS), end, "")
        else:
            small.edit(end, end, PACS)
        await settle(client, small.uri, expected(small.text, small.encoding), timeout=10)
        latencies.append(time.monotonic() - started)
    assert max(latencies) < slowest, latencies
    if limit:  # the big note's analysis was running all along (it takes many seconds)
        assert big.uri not in client.diagnostics
    else:
        await settle(
            client,
            big.uri,
            [("NL903", "warning", "File is larger than 2 MB and was skipped", (0, 0, 0, 0))],
        )
