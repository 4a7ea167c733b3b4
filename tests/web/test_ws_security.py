"""The WebSocket language server's security (notes are protected health information): origin
allow-list and token checked at the handshake, a message size limit, one session per
connection, and no note text in the logs."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from notelint.lsp.websocket import Policy, Sessions, origin_pattern

HOST = "127.0.0.1"
TOKEN = "s3cret-token-for-tests-0123456789"
DEFICIENT = (
    "INDICATION: Left axillary adenopathy.\n"
    "PROCEDURE: Ultrasound-guided core biopsy of a left axillary lymph node.\n"
    "The needle was advanced into the node. No images were retained.\n"
    "CPT: 38505, 76942\n"
)
OTHER = "FINDINGS: Unremarkable chest radiograph. Patient Zebediah Quux.\n"


@contextmanager
def running(policy: Policy, stop_on_exit: bool = False) -> Iterator[int]:
    """The WebSocket server in a thread of its own (its own event loop); yields the port."""
    bound: list[int] = []
    started = threading.Event()
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()

    def ready(host: str, port: int) -> None:
        bound.append(port)
        started.set()

    def main() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(Sessions(policy, stop_on_exit).serve(HOST, 0, ready, stop))

    thread = threading.Thread(target=main, daemon=True)
    thread.start()
    assert started.wait(10), "the server did not start"
    try:
        yield bound[0]
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)


class Lsp:
    """Just enough of an LSP client over one WebSocket."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.next_id = 0
        self.notifications: list[dict[str, Any]] = []

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send(json.dumps({"jsonrpc": "2.0", **message}))

    async def request(self, method: str, params: Any) -> Any:
        self.next_id += 1
        ident = self.next_id
        await self.send({"id": ident, "method": method, "params": params})
        while True:
            message = json.loads(await asyncio.wait_for(self.ws.recv(), 15))
            if message.get("id") == ident and "method" not in message:
                assert "error" not in message, message
                return message.get("result")
            self._other(message)

    def _other(self, message: dict[str, Any]) -> None:
        if "method" in message and "id" not in message:
            self.notifications.append(message)

    async def start(self) -> None:
        await self.request("initialize", {"processId": None, "rootUri": None, "capabilities": {}})
        await self.send({"method": "initialized", "params": {}})

    async def open(self, uri: str, text: str) -> None:
        await self.send(
            {
                "method": "textDocument/didOpen",
                "params": {
                    "textDocument": {
                        "uri": uri,
                        "languageId": "plaintext",
                        "version": 1,
                        "text": text,
                    }
                },
            }
        )

    async def diagnostics(self, uri: str) -> list[dict[str, Any]]:
        """The next diagnostics published for ``uri``."""
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            for message in self.notifications:
                if (
                    message["method"] == "textDocument/publishDiagnostics"
                    and message["params"]["uri"] == uri
                ):
                    self.notifications.remove(message)
                    return list(message["params"]["diagnostics"])
            self._other(json.loads(await asyncio.wait_for(self.ws.recv(), 15)))
        raise AssertionError("no diagnostics")


def _codes(diagnostics: list[dict[str, Any]]) -> set[str]:
    return {str(d.get("code")) for d in diagnostics}


def _refused(port: int, status: int, **kwargs: Any) -> None:
    async def attempt() -> None:
        with pytest.raises(InvalidStatus) as info:
            async with connect(f"ws://{HOST}:{port}/", **kwargs):
                pass
        assert info.value.response.status_code == status

    asyncio.run(attempt())


def _lints(port: int, path: str = "/", **kwargs: Any) -> set[str]:
    async def session() -> set[str]:
        async with connect(f"ws://{HOST}:{port}{path}", **kwargs) as ws:
            client = Lsp(ws)
            await client.start()
            await client.open("file:///note.txt", DEFICIENT)
            return _codes(await client.diagnostics("file:///note.txt"))

    return asyncio.run(session())


def test_allowed_origin_connects_and_gets_diagnostics() -> None:
    with running(Policy()) as port:
        for origin in ("http://localhost:5173", "http://127.0.0.1:8080", "http://[::1]:3000"):
            assert "NL102" in _lints(port, origin=origin)
        assert "NL102" in _lints(port)  # no Origin: not a browser (an editor plugin, a script)


def test_disallowed_origin_is_refused_at_the_handshake() -> None:
    with running(Policy()) as port:
        for origin in (
            "https://evil.example",
            "http://localhost.evil.example:80",
            "http://127.0.0.1.nip.io:8000",
            "null",
            "file://",
        ):
            _refused(port, 403, origin=origin)


def test_configured_origins_replace_the_loopback_default() -> None:
    with running(Policy(origins=("https://ehr.example.org",))) as port:
        assert "NL102" in _lints(port, origin="https://ehr.example.org")
        _refused(port, 403, origin="https://ehr.example.org:8443")
        _refused(port, 403, origin="http://localhost:5173")


def test_origin_patterns() -> None:
    assert origin_pattern("http://localhost:*").fullmatch("http://localhost")
    assert not origin_pattern("http://localhost:*").fullmatch("http://localhost:1@evil")
    for bad in ("*", "localhost", "http://*.example.org", "ftp://x", "http://a b"):
        with pytest.raises(ValueError):
            origin_pattern(bad)


def test_token_required_when_configured() -> None:
    with running(Policy(token=TOKEN)) as port:
        origin = "http://localhost:5173"
        _refused(port, 401, origin=origin)
        _refused(port, 401, origin=origin, additional_headers={"Authorization": "Bearer wrong"})
        _refused(port, 401, origin=origin, subprotocols=["notelint", "notelint.bearer.wrong"])
        _refused(
            port,
            403,
            origin="https://evil.example",
            additional_headers={"Authorization": f"Bearer {TOKEN}"},
        )  # a token does not make a foreign page acceptable
        assert "NL102" in _lints(
            port, origin=origin, additional_headers={"Authorization": f"Bearer {TOKEN}"}
        )
        assert "NL102" in _lints(port, f"/?token={TOKEN}", origin=origin)
        assert "NL102" in _lints(
            port, origin=origin, subprotocols=["notelint", f"notelint.bearer.{TOKEN}"]
        )

        async def chosen() -> str | None:
            offered = ["notelint", f"notelint.bearer.{TOKEN}"]
            async with connect(f"ws://{HOST}:{port}/", origin=origin, subprotocols=offered) as ws:
                return ws.subprotocol  # the token is never echoed back

        assert asyncio.run(chosen()) == "notelint"


def test_oversize_message_closes_the_connection() -> None:
    with running(Policy(max_message=64 * 1024)) as port:

        async def oversize() -> int | None:
            async with connect(f"ws://{HOST}:{port}/", max_size=None) as ws:
                client = Lsp(ws)
                await client.start()
                text = "x" * (100 * 1024)
                await client.open("file:///big.txt", text)
                with pytest.raises(ConnectionClosed) as info:
                    await asyncio.wait_for(ws.recv(), 10)
                return info.value.rcvd.code if info.value.rcvd else None

        assert asyncio.run(oversize()) == 1009
        assert "NL102" in _lints(port)  # the server keeps serving others


def test_connections_never_share_documents() -> None:
    """Two authors, same URI, different notes: each sees only their own."""
    uri = "file:///shared/note.txt"

    async def both(port: int) -> None:
        async with (
            connect(f"ws://{HOST}:{port}/", origin="http://localhost:1") as a,
            connect(f"ws://{HOST}:{port}/", origin="http://localhost:1") as b,
        ):
            first, second = Lsp(a), Lsp(b)
            await first.start()
            await second.start()
            await first.open(uri, DEFICIENT)
            await second.open(uri, OTHER)
            assert "NL102" in _codes(await first.diagnostics(uri))
            assert "NL102" not in _codes(await second.diagnostics(uri))
            for client, text in ((first, DEFICIENT), (second, OTHER)):
                report = await client.request(
                    "workspace/executeCommand", {"command": "notelint.report", "arguments": [uri]}
                )
                assert report["sha256"] == hashlib.sha256(text.encode()).hexdigest()
            # Closing one author's note leaves the other's open and linted.
            await first.send(
                {"method": "textDocument/didClose", "params": {"textDocument": {"uri": uri}}}
            )
            hover = await second.request(
                "textDocument/hover",
                {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 1}},
            )
            assert hover is None
            # One author's exit ends that session only.
            await first.request("shutdown", None)
            await first.send({"method": "exit"})
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(a.recv(), 10)
            await second.send(
                {
                    "method": "textDocument/didChange",
                    "params": {
                        "textDocument": {"uri": uri, "version": 2},
                        "contentChanges": [{"text": DEFICIENT}],
                    },
                }
            )
            assert "NL102" in _codes(await second.diagnostics(uri))

    with running(Policy(), stop_on_exit=True) as port:  # as `notelint server --ws` runs
        asyncio.run(both(port))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def test_cli_options_and_no_note_text_in_logs() -> None:
    """`notelint server --ws` with --allow-origin and NOTELINT_TOKEN, logging at debug level:
    the log names sessions and origins, never a word of the note or the token."""
    port = _free_port()
    env = {**os.environ, "NOTELINT_TOKEN": TOKEN}
    command = [sys.executable, "-m", "notelint.cli", "server", "--ws", f"{HOST}:{port}"]
    command += ["--allow-origin", "https://ehr.example.org", "--log-level", "debug"]
    server = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection((HOST, port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        auth = {"Authorization": f"Bearer {TOKEN}"}
        _refused(port, 403, origin="http://localhost:5173", additional_headers=auth)
        _refused(port, 401, origin="https://ehr.example.org")
        assert "NL102" in _lints(port, origin="https://ehr.example.org", additional_headers=auth)
    finally:
        server.terminate()
        _, log = server.communicate(timeout=10)
    assert "LSP over WebSocket at ws://127.0.0.1" in log
    assert "refused a connection from origin http://localhost:5173 (403)" in log
    assert "session 1 opened" in log
    for secret in ("axillary", "adenopathy", "needle", TOKEN):
        assert secret not in log


def test_bad_cli_values_are_usage_errors() -> None:
    for extra in (["--allow-origin", "*"], ["--token", "short"]):
        done = subprocess.run(
            [sys.executable, "-m", "notelint.cli", "server", "--ws", "127.0.0.1:1", *extra],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert done.returncode == 2, done.stderr
        assert "notelint: server:" in done.stderr
