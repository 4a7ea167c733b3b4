"""The language server makes no network connection while it lints, hovers and fixes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from lsp_support import SERVER, UNITS
from raw_client import RawClient, StreamTransport

# Loaded at interpreter start-up through PYTHONPATH: every internet socket connection or name
# lookup is recorded and refused. Local IPC (pipes, unix sockets) is left alone.
GUARD = """
import os, socket
_log = os.environ["NOTELINT_NET_LOG"]
def _record(what):
    with open(_log, "a", encoding="utf-8") as f:
        f.write(what + "\\n")
_connect = socket.socket.connect
def connect(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6):
        _record("connect")
        raise OSError("network disabled")
    return _connect(self, address)
def getaddrinfo(*args, **kwargs):
    _record("getaddrinfo")
    raise OSError("network disabled")
socket.socket.connect = connect
socket.getaddrinfo = getaddrinfo
"""


def test_server_opens_no_network_connection(tmp_path: Path) -> None:
    guard = tmp_path / "guard"
    guard.mkdir()
    (guard / "sitecustomize.py").write_text(GUARD, encoding="utf-8")
    log = tmp_path / "net.log"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(guard), *sys.path]),
        "NOTELINT_NET_LOG": str(log),
    }
    process = subprocess.Popen(
        [*SERVER, "--log-level", "debug"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    assert process.stdin and process.stdout
    client = RawClient(StreamTransport(process.stdout, process.stdin, process.stdin.close))
    try:
        assert "capabilities" in client.initialize()["result"]
        uri = "untitled:net.txt"
        client.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": uri, "languageId": "plaintext", "version": 1, "text": UNITS}},
        )
        diagnostics = client.notification("textDocument/publishDiagnostics", uri)
        assert diagnostics["params"]["diagnostics"], "the note was really linted"
        position = {
            "line": UNITS.splitlines().index(
                next(line for line in UNITS.splitlines() if "76942" in line)
            ),
            "character": UNITS.splitlines()[-1].find("76942") + 1,
        }
        client.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": position})
        client.request("shutdown", None)
        client.notify("exit", None)
        process.wait(10)
    finally:
        if process.poll() is None:
            process.kill()
    assert not log.exists() or log.read_text(encoding="utf-8") == ""
    # The guard is live: the same environment records a real attempt.
    probe = "import socket\ntry:\n    socket.create_connection(('127.0.0.1', 9), timeout=1)\nexcept OSError:\n    pass\n"
    subprocess.run([sys.executable, "-c", probe], env=env, check=True, timeout=30)
    assert log.read_text(encoding="utf-8").split() == ["getaddrinfo"]  # refused at the lookup
