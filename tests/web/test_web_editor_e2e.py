"""The web editor end to end (editors/web/tests/e2e.mjs): `notelint demo` serving the page the
package ships, driven in headless Chromium by Node. It needs Node >= 20.19, Chromium and the
web editor's npm packages, which scripts/prerequisites.sh finds or installs; without them the
test skips and says what is missing (under CI it fails instead)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

WEB = Path(__file__).resolve().parents[2] / "editors" / "web"
SETUP = "run scripts/prerequisites.sh"


def _node_version() -> tuple[int, int] | None:
    node = shutil.which("node")
    if node is None:
        return None
    shown = subprocess.run([node, "--version"], capture_output=True, text=True, check=False)
    major, minor, *_ = shown.stdout.strip().lstrip("v").split(".")
    return int(major), int(minor)


def _missing() -> str | None:
    version = _node_version()
    if version is None or version < (20, 19):
        return f"Node >= 20.19 not found ({SETUP})"
    chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    if not Path(chromium).is_file():
        return f"Chromium not found at {chromium} ({SETUP}, or set CHROMIUM)"
    if not (WEB / "node_modules" / "playwright-core").is_dir():
        return f"the web editor's npm packages are not installed ({SETUP})"
    return None


def test_the_web_editor_end_to_end_in_headless_chromium() -> None:
    missing = _missing()
    if missing and os.environ.get("CI"):
        pytest.fail(f"CI must run the web editor test: {missing}", pytrace=False)
    if missing:
        pytest.skip(missing)
    # The demo under test is this checkout's, run by this interpreter.
    env = os.environ | {"NOTELINT": f"{sys.executable} -m notelint"}
    server = str(Path(__file__).resolve().parents[2] / "server")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (server, env.get("PYTHONPATH")) if p)
    run = subprocess.run(
        ["node", "--test", "tests/e2e.mjs"],
        cwd=WEB,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
