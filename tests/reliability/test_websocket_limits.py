"""WebSocket sessions cannot hold the server for ever, nor make it read its own folders."""

from __future__ import annotations

import argparse
import asyncio
import json

import pytest
from test_ws_security import DEFICIENT, HOST, Lsp, running
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from notelint.lsp import ws_policy
from notelint.lsp.options import DEFAULT_DEBOUNCE, parse_options
from notelint.lsp.websocket import Policy


def test_an_idle_connection_is_closed() -> None:
    async def idle(port: int) -> None:
        async with connect(f"ws://{HOST}:{port}/") as ws:
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 5)

    with running(Policy(idle_timeout=0.3)) as port:
        asyncio.run(idle(port))


def test_one_origin_cannot_take_every_slot() -> None:
    page, other = "http://localhost:5173", "http://127.0.0.1:8080"

    async def crowd(port: int) -> int:
        url = f"ws://{HOST}:{port}/"
        async with connect(url, origin=page), connect(url, origin=page):  # type: ignore[arg-type]
            with pytest.raises(InvalidStatus) as refused:
                async with connect(url, origin=page):  # type: ignore[arg-type]
                    pass
            async with connect(url, origin=other):  # type: ignore[arg-type]
                pass
        return refused.value.response.status_code

    with running(Policy(max_per_origin=2)) as port:
        assert asyncio.run(crowd(port)) == 429


def test_rule_folders_named_by_a_client_are_refused(tmp_path: object) -> None:
    async def session(port: int) -> list[str]:
        async with connect(f"ws://{HOST}:{port}/") as ws:
            client = Lsp(ws)
            init = {
                "processId": None,
                "capabilities": {},
                "initializationOptions": {"rules": ["/"]},
            }
            await client.request("initialize", init)
            await client.send({"method": "initialized", "params": {}})
            await client.open("file:///note.txt", DEFICIENT)
            await client.diagnostics("file:///note.txt")
            return [
                json.dumps(n["params"])
                for n in client.notifications
                if n["method"] == "window/showMessage"
            ]

    with running(Policy()) as port:
        shown = asyncio.run(session(port))
    assert any("reads no rule folder a client names" in m for m in shown)
    assert not any(".toml" in m for m in shown)


@pytest.mark.parametrize("value", [1e308, float("nan"), -1, 10_001])
def test_a_debounce_out_of_range_is_refused(value: float) -> None:
    options, problems = parse_options({"debounceMs": value}, root=None)
    assert options.debounce == DEFAULT_DEBOUNCE and problems


def test_a_message_limit_of_zero_is_a_usage_error() -> None:
    with pytest.raises(ValueError, match="max-message-mb"):
        ws_policy(argparse.Namespace(max_message_mb=0))


def test_a_frame_that_is_not_utf8_gets_a_parse_error() -> None:
    async def send_bytes(port: int) -> dict[str, object]:
        async with connect(f"ws://{HOST}:{port}/") as ws:
            await ws.send(b'{"jsonrpc": "2.0", "id": 1, "method": "\xff"}')
            answer: dict[str, object] = json.loads(await asyncio.wait_for(ws.recv(), 5))
            return answer

    with running(Policy()) as port:
        answer = asyncio.run(send_bytes(port))
    assert answer["error"] == {"code": -32700, "message": "parse error"}
