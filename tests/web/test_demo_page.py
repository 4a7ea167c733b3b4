"""The web editor `notelint demo` serves: shipped inside the package, built from the current
sources, found without configuration, and labelled by the rule that reports each gap."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import urllib.request
import zipfile
from pathlib import Path

import pytest
import regex

from notelint.demo import dist_folder, glossary, start_page_server
from notelint.kb import load_knowledge_base

ROOT = Path(__file__).resolve().parents[2]
WEB_SOURCES = ROOT / "editors" / "web"
PAGE = ROOT / "server" / "notelint" / "web"
# What editors/web/stamp.mjs digests: these files and everything under src/.
STAMPED = ("index.html", "package.json", "package-lock.json", "vite.config.js", "stamp.mjs")


def _source_digests() -> str:
    names = [
        *STAMPED,
        *(p.relative_to(WEB_SOURCES).as_posix() for p in WEB_SOURCES.glob("src/**/*")),
    ]
    lines = [
        f"{hashlib.sha256((WEB_SOURCES / name).read_bytes()).hexdigest()}  {name}"
        for name in sorted(names)
        if (WEB_SOURCES / name).is_file()
    ]
    return "\n".join(lines) + "\n"


def test_the_shipped_page_was_built_from_the_current_sources() -> None:
    stamped = (PAGE / "SOURCES.sha256").read_text(encoding="utf-8")
    assert stamped == _source_digests(), (
        "editors/web changed since server/notelint/web was built: "
        "run npm ci && npm run build in editors/web and commit server/notelint/web"
    )


def test_the_shipped_page_loads_only_assets_it_ships() -> None:
    html = (PAGE / "index.html").read_text(encoding="utf-8")
    assets = regex.findall(r'(?:src|href)="\./(assets/[^"]+)"', html)
    assert any(a.endswith(".js") for a in assets)
    assert all((PAGE / asset).is_file() for asset in assets)


def test_the_demo_serves_the_packaged_page_unless_told_otherwise(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("NOTELINT_WEB_DIST", raising=False)
    assert dist_folder().resolve() == PAGE.resolve()
    monkeypatch.setenv("NOTELINT_WEB_DIST", str(tmp_path))
    assert dist_folder() == tmp_path


def test_the_page_server_answers_with_the_page_and_the_glossary() -> None:
    httpd, _handler = start_page_server(PAGE, load_knowledge_base())
    try:
        base = f"http://127.0.0.1:{httpd.server_address[1]}/"
        with urllib.request.urlopen(base, timeout=10) as response:
            assert b"<html" in response.read()
        with urllib.request.urlopen(base + "glossary.json", timeout=10) as response:
            assert b'"77002"' in response.read()
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_the_wheel_ships_the_page(tmp_path: Path) -> None:
    pytest.importorskip("hatchling")
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(tmp_path)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("*.whl")
    shipped = set(zipfile.ZipFile(wheel).namelist())
    expected = {
        f"notelint/web/{p.relative_to(PAGE).as_posix()}" for p in PAGE.rglob("*") if p.is_file()
    }
    assert "notelint/web/index.html" in expected
    assert expected <= shipped


def test_requirement_labels_are_keyed_by_the_rule_that_reports_them() -> None:
    kb = load_knowledge_base()
    requires = glossary(kb)["codes"]["77002"]["requires"]
    # One element (necessity), two requirements: the general reason and ASH's "why not ultrasound".
    assert requires["NL104"] == kb.elements["necessity"].label
    assert "ultrasound" in requires["NL111"]
    assert "ultrasound" not in requires["NL104"]
