"""A broken configuration shows on the note, which is still linted with the defaults."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lsp_support import SERVER, UNITS
from raw_client import RawClient, ServerProcess

BROKEN = {  # folder: file, text, whether notelint's settings are broken (a `tool` of 5 has none)
    "deep": ("notelint.toml", "a = " + "[" * 5_000 + "]" * 5_000 + "\n", True),
    "tool": ("pyproject.toml", "tool = 5\n# [tool.notelint]\n", False),
    "torn": ("notelint.toml", "select = [\n", True),
}


def _diagnostics(client: RawClient, uri: str) -> list[dict[str, Any]]:
    item = {"uri": uri, "languageId": "plaintext", "version": 1, "text": UNITS}
    client.notify("textDocument/didOpen", {"textDocument": item})
    found: list[dict[str, Any]] = client.notification("textDocument/publishDiagnostics", uri)[
        "params"
    ]["diagnostics"]
    return found


def test_broken_config_is_a_diagnostic_on_the_note(tmp_path: Path) -> None:
    server = ServerProcess([*SERVER])
    try:
        client = server.client
        init = {"processId": None, "rootUri": tmp_path.as_uri(), "capabilities": {}}
        assert "result" in client.request("initialize", init)
        client.notify("initialized", {})
        for folder, (name, text, broken) in BROKEN.items():
            (tmp_path / folder).mkdir()
            (tmp_path / folder / name).write_text(text)
            uri = (tmp_path / folder / "a.txt").as_uri()
            found = _diagnostics(client, uri)
            assert "NL401" in {d["code"] for d in found}, folder  # still linted
            config = [d for d in found if d["code"] == "config"]
            assert len(config) == broken and all(name in d["message"] for d in config), folder
            position = {"line": 0, "character": 0}
            hover = {"textDocument": {"uri": uri}, "position": position}
            assert "error" not in client.request("textDocument/hover", hover)
    finally:
        _, stderr = server.stop()
    assert "Traceback" not in stderr
