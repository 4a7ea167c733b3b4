"""editors/helix, editors/sublime, editors/zed: the configuration snippets parse, start
``notelint server`` for plain text, Markdown and *.note, and their settings are ones the server
accepts. No Helix, Sublime Text or Zed runs here. Also: the Neovim and Emacs plugins know every
setting the server has."""

from __future__ import annotations

import json
import re
import tomllib
from typing import Any

from editor_support import EDITORS

from notelint.lsp.options import _PARSERS, parse_options

SERVER_SETTINGS = set(_PARSERS)


def accepted(settings: dict[str, Any]) -> None:
    """The server parses the settings without a complaint."""
    assert set(settings) <= SERVER_SETTINGS
    _, problems = parse_options(settings, root=EDITORS)
    assert problems == []


def test_helix_languages_toml() -> None:
    config = tomllib.loads((EDITORS / "helix" / "languages.toml").read_text(encoding="utf-8"))
    server = config["language-server"]["notelint"]
    assert [server["command"], *server["args"]] == ["notelint", "server"]
    accepted(server["config"]["notelint"])
    languages = {lang["name"]: lang for lang in config["language"]}
    assert set(languages) == {"text", "note", "markdown"}
    assert languages["text"]["file-types"] == ["txt"]
    assert languages["note"]["file-types"] == ["note"]
    for lang in languages.values():
        assert "notelint" in lang["language-servers"]
    for name in ("text", "note"):  # new languages need a scope
        assert languages[name]["scope"].startswith("text.")


def test_sublime_lsp_settings() -> None:
    folder = EDITORS / "sublime"
    client = json.loads((folder / "LSP.sublime-settings").read_text(encoding="utf-8"))["clients"][
        "notelint"
    ]
    assert client["enabled"] is True
    assert client["command"] == ["notelint", "server"]
    selectors = {s.strip() for s in client["selector"].split("|")}
    assert selectors == {"text.plain", "text.html.markdown"}
    accepted(client["settings"]["notelint"])
    plain = json.loads((folder / "Plain text.sublime-settings").read_text(encoding="utf-8"))
    assert plain["extensions"] == ["note"]  # *.note opens as Plain Text, so text.plain


def test_zed_settings() -> None:
    settings = json.loads((EDITORS / "zed" / "settings.json").read_text(encoding="utf-8"))
    server = settings["lsp"]["notelint"]
    assert [server["binary"]["path"], *server["binary"]["arguments"]] == ["notelint", "server"]
    accepted(server["initialization_options"])
    assert settings["file_types"] == {"Plain Text": ["note"]}
    for language in ("Plain Text", "Markdown"):
        servers = settings["languages"][language]["language_servers"]
        assert servers == ["notelint", "..."]  # "..." keeps the language's other servers


def test_neovim_plugin_knows_every_setting() -> None:
    lua = (EDITORS / "neovim" / "lua" / "notelint" / "init.lua").read_text(encoding="utf-8")
    match = re.search(r"M\.setting_keys = \{([^}]*)\}", lua)
    assert match
    assert set(re.findall(r'"(\w+)"', match.group(1))) == SERVER_SETTINGS


def test_emacs_package_knows_every_setting() -> None:
    lisp = (EDITORS / "emacs" / "notelint.el").read_text(encoding="utf-8")
    sent = set(re.findall(r"\(add :(\w+) ", lisp))
    assert sent == SERVER_SETTINGS
