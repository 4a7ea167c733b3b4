"""A broken configuration shows on the note, which is still linted with the defaults."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsp_support import SERVER, UNITS
from raw_client import ServerProcess

BROKEN = {  # file, text, whether notelint's settings are broken (a `tool` of 5 has none)
    "nested too deeply": ("notelint.toml", "a = " + "[" * 5_000 + "]" * 5_000 + "\n", True),
    "a tool that is not a table": ("pyproject.toml", "tool = 5\n# [tool.notelint]\n", False),
    "not TOML": ("notelint.toml", "select = [\n", True),
}


@pytest.mark.parametrize("case", BROKEN)
def test_broken_config_is_a_diagnostic_on_the_note(case: str, tmp_path: Path) -> None:
    name, text, broken = BROKEN[case]
    (tmp_path / name).write_text(text)
    uri = (tmp_path / "a.txt").as_uri()
    server = ServerProcess([*SERVER])
    try:
        client = server.client
        init = {"processId": None, "rootUri": tmp_path.as_uri(), "capabilities": {}}
        assert "result" in client.request("initialize", init)
        client.notify("initialized", {})
        item = {"uri": uri, "languageId": "plaintext", "version": 1, "text": UNITS}
        client.notify("textDocument/didOpen", {"textDocument": item})
        pushed = client.notification("textDocument/publishDiagnostics", uri)["params"]
        codes = [d["code"] for d in pushed["diagnostics"]]
        assert "NL401" in codes  # still linted
        config = [d for d in pushed["diagnostics"] if d["code"] == "config"]
        assert len(config) == broken and all(name in d["message"] for d in config)
        position = {"line": 0, "character": 0}
        hover = client.request(
            "textDocument/hover", {"textDocument": {"uri": uri}, "position": position}
        )
        assert "error" not in hover
    finally:
        _, stderr = server.stop()
    assert "Traceback" not in stderr
