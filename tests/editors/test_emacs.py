"""editors/emacs: ``emacs --batch`` loads notelint.el, Eglot starts ``notelint server`` for the
fixture note (text-mode and notelint-note-mode), and Flymake shows notelint's diagnostics."""

from __future__ import annotations

import json
import os
import shutil
from typing import Any

import pytest
from editor_support import EDITORS, GAPS, HERE, copy_notes, run_editor, server_command

EMACS = shutil.which("emacs")


@pytest.fixture(scope="module")
def received(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    if EMACS is None:
        if os.environ.get("CI"):
            pytest.fail("emacs is not installed (.ci/run installs emacs-nox and elpa-eglot)")
        pytest.skip("emacs is not installed (apt-get install emacs-nox elpa-eglot)")
    tmp_path = tmp_path_factory.mktemp("emacs")
    txt, note = copy_notes(tmp_path)
    out = tmp_path / "received.json"
    env = {
        "NOTELINT_EL_DIR": str(EDITORS / "emacs"),
        "NOTELINT_NOTE": str(txt),
        "NOTELINT_NOTE2": str(note),
        "NOTELINT_OUT": str(out),
        "NOTELINT_CMD": json.dumps(server_command()),
    }
    driver = HERE / "emacs_driver.el"
    printed = run_editor([EMACS, "--batch", "-l", str(driver)], env, tmp_path, timeout=45)
    assert out.exists(), printed
    data: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    assert "error" not in data, f"{data['error']}\n{printed}"
    return data


def test_settings_become_initialization_options(received: dict[str, Any]) -> None:
    assert received["settings"] == {"debounceMs": 0, "severity": {"NL202": "hint"}}
    # workspace/configuration: section "notelint" gets the settings, other sections nothing.
    assert received["configuration"] == [received["settings"], {}]


@pytest.mark.parametrize(
    ("buffer", "mode"), [("text", "text-mode"), ("note", "notelint-note-mode")]
)
def test_flymake_shows_the_documentation_gaps(
    received: dict[str, Any], buffer: str, mode: str
) -> None:
    got = received[buffer]
    assert got["mode"] == mode
    assert got["server"] == "notelint-eglot-server"
    assert got["flymake"] is True
    diagnostics = got["diagnostics"]
    assert {d["code"] for d in diagnostics} >= GAPS
    assert {d["source"] for d in diagnostics} == {"notelint"}
    assert all(d["text"].startswith(f"notelint [{d['code']}]") for d in diagnostics)
    gaps = [d for d in diagnostics if d["code"] in GAPS]
    assert {d["type"] for d in gaps} == {"eglot-warning"}
    # notelint-severity reached the server: NL202 is a hint, which Eglot shows as a note.
    assert [d["type"] for d in diagnostics if d["code"] == "NL202"] == ["eglot-note"]


def test_changed_settings_reach_the_running_server(received: dict[str, Any]) -> None:
    """notelint-send-settings: the server reads workspace/configuration again and relints."""
    resent = received["resent"]
    assert [d["type"] for d in resent if d["code"] == "NL202"] == ["eglot-error"]
    assert {d["code"] for d in resent} >= GAPS
