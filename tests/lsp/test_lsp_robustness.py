"""Bad input never crashes the server, failures are logged without note text, and the server
speaks over TCP and WebSocket as well as stdio."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
from typing import Any

import pytest
from lsp_support import HERE, PARTLY_DOCUMENTED, SERVER, UNITS
from raw_client import (
    RawClient,
    ServerProcess,
    WebSocketTransport,
    free_port,
    tcp_transport,
)

from notelint.core.analysis import analyze
from notelint.kb import load_knowledge_base

CANARY = "ZZCANARY-PATIENT-JANE-DOE"
NOTE = UNITS.replace("The needle was advanced.", f"The needle was advanced in {CANARY}.")
PARSE_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS = -32700, -32600, -32601, -32602
SERVER_NOT_INITIALIZED = -32002


def opening(uri: str, text: str) -> dict[str, Any]:
    return {"textDocument": {"uri": uri, "languageId": "plaintext", "version": 1, "text": text}}


def at(uri: str, line: object = 0, character: object = 0) -> dict[str, Any]:
    return {"textDocument": {"uri": uri}, "position": {"line": line, "character": character}}


def error_code(response: dict[str, Any]) -> int:
    assert "result" not in response
    return int(response["error"]["code"])


def test_bad_and_out_of_order_messages_get_errors_and_no_note_text_is_logged() -> None:
    server = ServerProcess([*SERVER, "--log-level", "debug"])
    c = server.client
    uri = "untitled:canary.txt"
    answers = [c.request("textDocument/hover", at(uri))]
    assert error_code(answers[-1]) == SERVER_NOT_INITIALIZED
    assert "capabilities" in c.initialize()["result"]
    c.notify("textDocument/didOpen", opening(uri, NOTE))
    c.notification("textDocument/publishDiagnostics", uri)

    c.send(b"{not json " + CANARY.encode())
    answers.append(c.response(None))
    assert error_code(answers[-1]) == PARSE_ERROR
    c.send(b"[1, 2]")
    answers.append(c.response(None))
    assert error_code(answers[-1]) == INVALID_REQUEST
    c.send(json.dumps({"id": 7, "method": "textDocument/hover", "params": CANARY}).encode())
    answers.append(c.response(7))
    assert error_code(answers[-1]) == INVALID_REQUEST
    answers.append(c.request("textDocument/hover", at(uri, line=CANARY)))
    assert error_code(answers[-1]) == INVALID_PARAMS
    answers.append(c.request("textDocument/hover", at("untitled:never-opened.txt")))
    assert error_code(answers[-1]) == INVALID_PARAMS
    answers.append(c.request("notelint/unknown", {"text": CANARY}))
    assert error_code(answers[-1]) == METHOD_NOT_FOUND
    answers.append(c.request("initialize", {"processId": None, "capabilities": {}}))
    assert error_code(answers[-1]) == INVALID_REQUEST

    # Notifications cannot be answered: a change to an unknown note, one older than the note,
    # and one that does not parse are dropped, and the note stays as it was.
    change = {"contentChanges": [{"text": CANARY}]}
    c.notify(
        "textDocument/didChange", {"textDocument": {"uri": "untitled:x", "version": 2}, **change}
    )
    c.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 0}, **change})
    c.notify("textDocument/didChange", {"textDocument": {"uri": uri}, "contentChanges": CANARY})
    report = c.request(
        "workspace/executeCommand", {"command": "notelint.report", "arguments": [uri]}
    )
    assert report["result"]["sha256"] == hashlib.sha256(NOTE.encode()).hexdigest()
    assert "result" in c.request("textDocument/hover", at(uri, 2, 14))

    assert c.request("shutdown", None)["result"] is None
    answers.append(c.request("textDocument/hover", at(uri)))
    assert error_code(answers[-1]) == INVALID_REQUEST
    c.notify("exit", None)
    assert server.process.wait(10) == 0
    _, stderr = server.stop()
    assert "Sending data" in stderr  # debug logging was on
    assert CANARY not in stderr
    assert CANARY not in json.dumps(answers)
    shown = [n for n in c.notifications if n["method"].startswith("window/")]
    assert CANARY not in json.dumps(shown)


def test_a_failing_analysis_is_logged_without_text_and_serving_goes_on() -> None:
    server = ServerProcess([sys.executable, str(HERE / "faulty_server.py")])
    c = server.client
    c.initialize()
    c.notify("textDocument/didOpen", opening("untitled:faulty.txt", NOTE))
    failed = c.notification("textDocument/publishDiagnostics", "untitled:faulty.txt")
    (diagnostic,) = failed["params"]["diagnostics"]
    assert diagnostic["code"] == "internal-error"
    assert CANARY not in diagnostic["message"]

    c.notify("textDocument/didOpen", opening("untitled:healthy.txt", PARTLY_DOCUMENTED))
    healthy = c.notification("textDocument/publishDiagnostics", "untitled:healthy.txt")
    rules = {d["code"] for d in healthy["params"]["diagnostics"]}
    assert rules == {f.rule for f in analyze(PARTLY_DOCUMENTED, load_knowledge_base()).findings}
    code, stderr = server.stop()
    assert code == 0
    assert "failed in rule NL401 for code 76942 near line 3" in stderr
    assert "ValueError" in stderr
    assert CANARY not in stderr


def exchange(client: RawClient) -> list[str]:
    """Initialize, open a note, and return the rules of the diagnostics pushed for it."""
    assert "capabilities" in client.initialize()["result"]
    client.notify("textDocument/didOpen", opening("untitled:remote.txt", UNITS))
    pushed = client.notification("textDocument/publishDiagnostics", "untitled:remote.txt")
    return sorted(d["code"] for d in pushed["params"]["diagnostics"])


@pytest.mark.parametrize("transport", ["tcp", "ws"])
def test_tcp_and_websocket_transports(transport: str) -> None:
    port = free_port()
    process = subprocess.Popen([*SERVER, f"--{transport}", f"127.0.0.1:{port}"])
    try:
        client = RawClient(
            tcp_transport("127.0.0.1", port)
            if transport == "tcp"
            else WebSocketTransport(f"ws://127.0.0.1:{port}")
        )
        want = sorted(f.rule for f in analyze(UNITS, load_knowledge_base()).findings)
        assert exchange(client) == want
        client.request("shutdown", None)
        client.notify("exit", None)
        client.transport.close()
        assert process.wait(10) == 0
    finally:
        if process.poll() is None:
            process.kill()


def test_websocket_binds_loopback_when_given_only_a_port() -> None:
    port = free_port()
    process = subprocess.Popen([*SERVER, "--ws", str(port)], stderr=subprocess.PIPE)
    try:
        client = RawClient(WebSocketTransport(f"ws://127.0.0.1:{port}"))
        assert "capabilities" in client.initialize()["result"]
    finally:
        process.kill()
        process.wait()


def test_a_bad_address_is_a_usage_error() -> None:
    done = subprocess.run(
        [*SERVER, "--tcp", "localhost:http"], check=False, capture_output=True, text=True
    )
    assert done.returncode == 2
    assert "expected HOST:PORT" in done.stderr


def test_a_burst_of_edits_is_linted_once_after_the_debounce() -> None:
    server = ServerProcess([*SERVER])
    c = server.client
    c.request(
        "initialize",
        {
            "processId": None,
            "capabilities": {"textDocument": {"publishDiagnostics": {"versionSupport": True}}},
            "initializationOptions": {"debounceMs": 300},
        },
    )
    c.notify("initialized", {})
    uri = "untitled:burst.txt"
    c.notify("textDocument/didOpen", opening(uri, UNITS))
    assert c.notification("textDocument/publishDiagnostics", uri)["params"]["version"] == 1
    for version in range(2, 7):
        edit = {"range": {"start": {"line": 1, "character": 0}, "end": {"line": 1, "character": 0}}}
        c.notify(
            "textDocument/didChange",
            {
                "textDocument": {"uri": uri, "version": version},
                "contentChanges": [{**edit, "text": "x"}],
            },
        )
    sent = time.monotonic()
    published = c.notification("textDocument/publishDiagnostics", uri)
    assert published["params"]["version"] == 6  # versions 2 to 5 were never linted
    assert time.monotonic() - sent >= 0.3
    server.stop()
    assert not [n for n in c.notifications if n["method"] == "textDocument/publishDiagnostics"]
