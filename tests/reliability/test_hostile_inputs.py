"""Hostile files, folders and exports: exit 2 with one line naming the file (and position),
no traceback, no note text; nothing skipped in silence."""

from __future__ import annotations

import base64
import io
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from notelint.cli import main

CANARY = "ZZCANARY-PATIENT"
NOTE = f"PROCEDURE: Ultrasound-guided liver biopsy of {CANARY}.\nCPT: 47000, 76942\n"


def _deep_folder(root: Path) -> Path:
    folder = root / "deep"
    folder.mkdir()
    for _ in range(1_000):
        folder = folder / "d"
        folder.mkdir()
    (folder / "n.txt").write_text(NOTE)
    return root / "deep"


def _fifo(root: Path) -> Path:
    os.mkfifo(root / "waiting.txt")
    return root / "waiting.txt"


def _write(name: str, text: str) -> Callable[[Path], Path]:
    def make(root: Path) -> Path:
        (root / name).write_text(text)
        return root / name

    return make


def _attachment(content_type: str, data: bytes) -> str:
    attachment = {"contentType": content_type, "data": base64.b64encode(data).decode()}
    resource = {
        "resourceType": "DocumentReference",
        "id": "r1",
        "content": [{"attachment": attachment}],
    }
    return json.dumps(resource) + "\n"


def _deep_config(root: Path) -> Path:
    (root / "notelint.toml").write_text("a = " + "[" * 5_000 + "]" * 5_000 + "\n")
    (root / "n.txt").write_text(NOTE)
    return root / "n.txt"


HOSTILE: dict[str, tuple[Callable[[Path], Path], str]] = {
    "a FIFO named as a note": (_fifo, "waiting.txt"),
    "NDJSON nested 100,000 deep": (
        _write("deep.ndjson", "[" * 100_000 + "]" * 100_000 + "\n"),
        "deep.ndjson:1",
    ),
    "a Bundle nested 100,000 deep": (
        _write(
            "deep.json",
            '{"resourceType": "Bundle", "entry": ' + "[" * 100_000 + "]" * 100_000 + "}",
        ),
        "deep.json",
    ),
    "an integer of 5,000 digits": (
        _write(
            "big.ndjson",
            '{"resourceType": "DocumentReference", "id": "a", "n": ' + "9" * 5_000 + "}\n",
        ),
        "big.ndjson:1",
    ),
    "a media type with a terminal escape": (
        _write("esc.ndjson", _attachment("text/x\x1b[2J", NOTE.encode())),
        "esc.ndjson:1",
    ),
    "TOML nested 5,000 deep": (_deep_config, "notelint.toml:1"),
}


@pytest.mark.parametrize("case", HOSTILE)
def test_hostile_input_exits_2_with_one_line(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make, named = HOSTILE[case]
    target = make(tmp_path)
    assert main(["check", "-j1", str(target)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert named in err and "internal error" not in err and "Traceback" not in err
    assert CANARY not in err and "\x1b" not in err


def _remove_deep(top: Path) -> None:
    """Remove a deep folder from the bottom up (shutil.rmtree recurses, and pytest uses it)."""
    folders = [top]
    while (below := folders[-1] / "d").is_dir():
        folders.append(below)
    for folder in reversed(folders):
        for item in folder.iterdir():
            if not item.is_dir():
                item.unlink()
        folder.rmdir()


def test_a_folder_1000_deep_is_walked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    top = _deep_folder(tmp_path)
    try:
        assert main(["check", "-j1", "--format", "json", str(top)]) == 1
    finally:
        _remove_deep(top)
    out = json.loads(capsys.readouterr().out)
    assert out["summary"]["files"] == 1


def test_an_unreadable_subfolder_is_counted_not_skipped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a.txt").write_text(NOTE)
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "b.txt").write_text(NOTE)
    listing = os.scandir

    def scandir(path: str) -> object:
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied")
        return listing(path)

    monkeypatch.setattr(os, "scandir", scandir)
    assert main(["check", "-j1", "--format", "json", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert json.loads(captured.out)["summary"]["unreadable"] == 1
    assert captured.err.strip() == f"notelint: {locked}: cannot list folder (Permission denied)"


def test_a_folder_that_cannot_be_searched_is_one_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def is_dir(self: Path) -> bool:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "is_dir", is_dir)
    assert main(["check", "-j1", str(tmp_path / "x" / "n.txt")]) == 2
    assert "cannot open (Permission denied)" in capsys.readouterr().err


def test_stdin_over_the_limit_is_nl903_not_cut_short(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = (NOTE * (2 * 1024 * 1024 // len(NOTE) + 1)).encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    main(["check", "-j1", "--format", "json", "-"])
    rules = [f["rule"] for f in json.loads(capsys.readouterr().out)["files"][0]["findings"]]
    assert rules == ["NL903"]


def test_utf16_with_a_byte_order_mark_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "n.txt").write_bytes(NOTE.encode("utf-16"))
    main(["check", "-j1", "--format", "json", str(tmp_path / "n.txt")])
    rules = {f["rule"] for f in json.loads(capsys.readouterr().out)["files"][0]["findings"]}
    assert "NL904" not in rules and rules


def test_a_name_that_is_not_utf8_makes_valid_sarif(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = os.fsencode(tmp_path)
    with open(os.path.join(folder, b"bad\xff.txt"), "wb") as handle:
        handle.write(NOTE.encode())
    assert main(["check", "-j1", "--format", "sarif", str(tmp_path)]) == 1
    captured = capsys.readouterr()
    sarif = json.loads(captured.out)
    assert sarif["runs"][0]["results"] and not captured.err


def test_a_name_with_control_characters_is_shown_without_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", "-j1", str(tmp_path / "gone\n\x1b[31m.txt")]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err and len(err.strip().splitlines()) == 1


def test_punycode_charset_is_no_crash(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "p.ndjson").write_text(_attachment("text/plain; charset=punycode", b"CPT \xff\xfe"))
    assert main(["check", "-j1", str(tmp_path / "p.ndjson")]) in (0, 1)
    assert "internal error" not in capsys.readouterr().err


def test_a_folder_linked_into_itself_is_walked_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "n.txt").write_text(NOTE)
    (tmp_path / "a" / "loop").symlink_to("..")
    main(["check", "-j1", "--format", "json", str(tmp_path)])
    assert json.loads(capsys.readouterr().out)["summary"]["files"] == 1


def test_a_linted_name_with_control_characters_is_printed_without_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a\x1b[2Jb.txt").write_text(NOTE)
    main(["check", "-j1", str(tmp_path)])
    out = capsys.readouterr().out
    assert "\x1b" not in out and "a?[2Jb.txt:" in out
