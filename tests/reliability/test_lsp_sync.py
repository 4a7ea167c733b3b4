"""A change sent without a new version still replaces the diagnostics of the old text."""

from __future__ import annotations

from lsp_support import SERVER, UNITS
from raw_client import ServerProcess

URI = "untitled:same-version.txt"


def test_a_change_under_the_same_version_is_linted() -> None:
    server = ServerProcess([*SERVER])
    try:
        client = server.client
        client.initialize({"debounceMs": 0})
        item = {"uri": URI, "languageId": "plaintext", "version": 1, "text": UNITS}
        client.notify("textDocument/didOpen", {"textDocument": item})
        first = client.notification("textDocument/publishDiagnostics", URI)["params"]
        assert "NL401" in {d["code"] for d in first["diagnostics"]}
        change = {"text": "FINDINGS: Unremarkable.\n"}
        params = {"textDocument": {"uri": URI, "version": 1}, "contentChanges": [change]}
        client.notify("textDocument/didChange", params)
        second = client.notification("textDocument/publishDiagnostics", URI)["params"]
        assert "NL401" not in {d["code"] for d in second["diagnostics"]}
    finally:
        server.stop()
