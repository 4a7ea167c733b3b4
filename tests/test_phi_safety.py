"""Protected health information never leaves the process: not in logs, errors, crash output,
and no network connection is made."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from notelint import cli
from notelint.cli import main

CANARY = "ZZCANARY-MRN-4417-JANE-Q-PATIENT"
NOTES = {
    "deficient.txt": f"PROCEDURE: Ultrasound-guided biopsy of a {CANARY} liver lesion.\nCPT: 47000, 76942 x2\n",
    "latin.txt": None,  # cp1252 bytes, written below
    "binary.txt": None,
    "empty.txt": "",
}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for name, text in NOTES.items():
        if text is not None:
            (tmp_path / name).write_text(text, encoding="utf-8")
    (tmp_path / "latin.txt").write_bytes(
        f"PROCEDURE: CT-guided biopsy \xb5 {CANARY}\n".encode("cp1252")
    )
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01" + CANARY.encode())
    (tmp_path / "notelint.toml").write_text('select = ["NL"]\n', encoding="utf-8")
    return tmp_path


def test_cli_at_debug_level_never_prints_note_text(folder: Path) -> None:
    for fmt in ("text", "json"):
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "notelint.cli",
                "check",
                "--log-level",
                "debug",
                "--format",
                fmt,
                str(folder),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 1
        assert "notelint INFO:" in result.stderr  # logging was really on
        assert CANARY not in result.stdout and CANARY not in result.stderr


def test_internal_error_names_type_and_place_not_content(
    folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(text: str, *_: object) -> None:
        raise ValueError(f"cannot handle {text}")

    monkeypatch.setattr(cli, "analyze_input", explode)
    code = main(["check", "--log-level", "debug", str(folder / "deficient.txt")])
    out, err = capsys.readouterr()
    assert code == 2
    assert "internal error (ValueError at notelint/cli.py:" in err  # the innermost notelint frame
    assert CANARY not in out + err


def test_cli_opens_no_network_connection(
    folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Internet sockets are refused; local IPC (worker processes) is not network traffic."""
    attempts: list[object] = []
    real_connect = socket.socket.connect

    def guarded_connect(self: socket.socket, address: object) -> None:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            attempts.append(address)
            raise OSError("network disabled in test")
        real_connect(self, address)  # type: ignore[arg-type]

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(args)
        raise OSError("network disabled in test")

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    fixtures = Path(__file__).resolve().parents[1] / "fixtures" / "notes"
    for args in (
        ["check", "--jobs", "1", str(folder)],
        ["check", "--format", "json", "--jobs", "1", str(folder)],
        ["rules"],
        ["explain", "NL101"],
        ["eval", str(fixtures)],
    ):
        main(args)
    capsys.readouterr()
    assert attempts == []
