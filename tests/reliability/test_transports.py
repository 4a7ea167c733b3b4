"""Each TCP connection is its own session, and no message size ends the server."""

from __future__ import annotations

import asyncio
import json
import subprocess
from typing import Any

import pytest
from lsp_support import SERVER, UNITS
from raw_client import RawClient, free_port, tcp_transport

from notelint.lsp.server import NotelintServer, build_server
from notelint.lsp.streams import serve_messages

URI = "untitled:first-author.txt"
HEADING = "PRIVATEHEADING"


def _open(uri: str, text: str) -> dict[str, Any]:
    return {"textDocument": {"uri": uri, "languageId": "plaintext", "version": 1, "text": text}}


def test_a_second_tcp_connection_sees_nothing_of_the_first() -> None:
    port = free_port()
    process = subprocess.Popen([*SERVER, "--tcp", f"127.0.0.1:{port}"])
    try:
        first = RawClient(tcp_transport("127.0.0.1", port))
        first.initialize()
        first.notify("textDocument/didOpen", _open(URI, f"{HEADING}:\n{UNITS}"))
        assert first.notification("textDocument/publishDiagnostics", URI)
        second = RawClient(tcp_transport("127.0.0.1", port))
        second.initialize()
        for method in ("textDocument/documentSymbol", "textDocument/codeLens"):
            answer = second.request(method, {"textDocument": {"uri": URI}})
            assert "error" in answer and HEADING not in json.dumps(answer)
        report = second.request(
            "workspace/executeCommand", {"command": "notelint.report", "arguments": [URI]}
        )
        assert "error" in report
        # The first session still works, and the second never received its diagnostics.
        symbols = first.request("textDocument/documentSymbol", {"textDocument": {"uri": URI}})
        assert HEADING in json.dumps(symbols)
        assert not any(URI in json.dumps(n) for n in second.notifications)
        for client in (second, first):  # the server closes each connection on exit
            client.request("shutdown", None)
            client.notify("exit", None)
        assert process.wait(10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


class _Bytes:
    """An asynchronous reader over fixed bytes."""

    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    async def readline(self) -> bytes:
        end = self.data.find(b"\n", self.at)
        end = len(self.data) if end < 0 else end + 1
        line, self.at = self.data[self.at : end], end
        return line

    async def readexactly(self, n: int) -> bytes:
        chunk, self.at = self.data[self.at : self.at + n], self.at + n
        return chunk


class _Collect:
    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    def write(self, data: bytes) -> None:
        self.messages.append(json.loads(data))

    def close(self) -> None:
        pass


def _frame(message: dict[str, Any]) -> bytes:
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def test_an_oversized_message_is_refused_and_the_next_one_answered() -> None:
    server: NotelintServer = build_server()
    out = _Collect()
    server.protocol.set_writer(out, include_headers=False)
    huge = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"x": "a" * 4096}}
    small = {"jsonrpc": "2.0", "id": 2, "method": "shutdown"}
    stream = _Bytes(_frame(huge) + _frame(small))
    try:
        asyncio.run(serve_messages(stream, server, max_message=1024))
    finally:
        server.close()
    assert out.messages[0].get("id") is None and out.messages[0]["error"]["code"] == -32600
    assert out.messages[1]["id"] == 2  # not initialized, but answered


def test_a_claimed_length_of_100_gb_on_stdio_ends_cleanly() -> None:
    done = subprocess.run(
        SERVER,
        input=b"Content-Length: 100000000000\r\n\r\n{}",
        capture_output=True,
        timeout=20,
        check=False,
    )
    assert done.returncode in (0, 1)
    assert b"Traceback" not in done.stderr and b"MemoryError" not in done.stderr


@pytest.mark.parametrize("header", [b"Content-Length: -5", b"Content-Length: 1e9", b"X: 1"])
def test_a_header_without_a_usable_length_ends_the_stream(header: bytes) -> None:
    server = build_server()
    out = _Collect()
    server.protocol.set_writer(out, include_headers=False)
    try:
        said_exit = asyncio.run(serve_messages(_Bytes(header + b"\r\n\r\n{}"), server))
    finally:
        server.close()
    assert said_exit is False and out.messages == []


@pytest.mark.parametrize("ident", [[1], {"a": 1}, True])
def test_a_request_id_that_is_not_a_string_or_number_is_invalid(ident: object) -> None:
    server = build_server()
    out = _Collect()
    server.protocol.set_writer(out, include_headers=False)
    request = {"jsonrpc": "2.0", "id": ident, "method": "shutdown", "params": {"id": [2]}}
    try:
        asyncio.run(serve_messages(_Bytes(_frame(request)), server))
    finally:
        server.close()
    [answer] = out.messages
    assert answer.get("id") is None and answer["error"]["code"] == -32600
    assert "data" not in answer["error"]
