"""The language server keeps no per-message state: ten thousand edits leave nothing behind."""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

from notelint.lsp.pygls_adapter import request_futures
from notelint.lsp.server import NotelintServer, build_server

EDITS = 10_000
URI = "file:///tmp/memory-note.txt"


class _Discard:
    def write(self, data: bytes) -> None:
        pass

    def close(self) -> None:
        pass


def _send(server: NotelintServer, message: dict[str, Any]) -> None:
    protocol = server.protocol
    protocol.handle_message(json.loads(json.dumps(message), object_hook=protocol.structure_message))


def _rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


async def _edit_many(server: NotelintServer) -> tuple[int, int]:
    init = {"processId": None, "capabilities": {}, "initializationOptions": {"run": "onSave"}}
    _send(server, {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": init})
    for _ in range(1_000):  # initialize loads the knowledge base off the event loop
        if server.protocol.initialized:
            break
        await asyncio.sleep(0.01)
    _send(server, {"jsonrpc": "2.0", "method": "initialized", "params": {}})
    item = {"uri": URI, "languageId": "plaintext", "version": 1, "text": "CPT: 76942\n"}
    _send(
        server,
        {"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": item}},
    )
    await asyncio.sleep(0.05)

    def edits(first: int, count: int) -> None:
        for version in range(first, first + count):
            change = {"text": f"Ultrasound guidance, edit {version}.\nCPT: 76942\n"}
            params = {"textDocument": {"uri": URI, "version": version}, "contentChanges": [change]}
            _send(server, {"jsonrpc": "2.0", "method": "textDocument/didChange", "params": params})

    edits(2, 1_000)  # warm up: allocator pools, memos
    await asyncio.sleep(0)
    before = _rss_bytes()
    edits(1_002, EDITS)
    await asyncio.sleep(0)
    return before, _rss_bytes()


def test_ten_thousand_edits_leave_no_futures_and_little_memory() -> None:
    server = build_server()
    server.protocol.set_writer(_Discard(), include_headers=False)
    try:
        before, after = asyncio.run(_edit_many(server))
    finally:
        server.close()
    assert len(request_futures(server.protocol)) <= 2
    assert after - before < 10 * 1024 * 1024
