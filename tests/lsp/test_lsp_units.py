"""The server's small pure parts: addresses, editor options, and logging that drops note text."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from notelint.core.findings import Severity
from notelint.lsp import parse_address
from notelint.lsp.logs import SafeFormatter
from notelint.lsp.options import ClientOptions, parse_options

CANARY = "ZZCANARY-PATIENT-JANE-DOE"


@pytest.mark.parametrize(
    ("value", "address"),
    [
        ("0.0.0.0:2087", ("0.0.0.0", 2087)),
        (":2087", ("127.0.0.1", 2087)),
        ("2087", ("127.0.0.1", 2087)),
        ("[::1]:2087", ("::1", 2087)),
    ],
)
def test_addresses_default_to_loopback(value: str, address: tuple[str, int]) -> None:
    assert parse_address(value) == address


@pytest.mark.parametrize("value", ["localhost:http", "localhost:0", "localhost:70000", ""])
def test_bad_addresses_are_refused(value: str) -> None:
    with pytest.raises(ValueError, match="expected HOST:PORT"):
        parse_address(value)


def test_options_merge_in_order_and_parse(tmp_path: Path) -> None:
    options, problems = parse_options(
        {"profile": "ash", "select": "NL1, NL401", "debounceMs": 40},
        {"notelint": {"profile": "cpt", "severity": {"NL202": "hint"}, "rules": ["org"]}},
        root=tmp_path,
    )
    assert problems == []
    assert options == ClientOptions(
        profile="cpt",
        select=("NL1", "NL401"),
        severity={"NL202": Severity.HINT},
        rules=(str(tmp_path / "org"),),
        debounce=0.04,
    )


def test_bad_option_values_are_reported_and_ignored() -> None:
    options, problems = parse_options(
        {"profile": "xyz", "select": [1], "severity": {"NL202": "loud"}, "debounceMs": True},
        "not an object",
        root=None,
    )
    assert options == ClientOptions()
    assert [p.split(":")[1].strip() for p in problems] == [
        "expected an object",
        "profile",
        "select",
        "severity",
        "debounceMs",
    ]


def test_log_records_of_other_libraries_keep_only_their_template() -> None:
    record = logging.LogRecord(
        "pygls.protocol.json_rpc", logging.INFO, __file__, 1, "Sending data: %s", (CANARY,), None
    )
    assert SafeFormatter().format(record).endswith("pygls.protocol.json_rpc: Sending data: %s")


def test_tracebacks_keep_frames_and_types_but_not_messages() -> None:
    try:
        try:
            raise KeyError(CANARY)
        except KeyError as inner:
            raise ValueError(f"while reading {CANARY}") from inner
    except ValueError as exc:
        record = logging.LogRecord(
            "notelint.lsp", logging.ERROR, __file__, 1, "failed", (), (type(exc), exc, None)
        )
    text = SafeFormatter().format(record)
    assert "builtins.KeyError" in text and "builtins.ValueError" in text
    assert "test_tracebacks_keep_frames_and_types_but_not_messages" in text
    assert CANARY not in text


def test_the_linter_forgets_the_notes_it_kept_when_asked() -> None:
    """What speeds up re-analysis holds pieces of notes: the server drops it once the editor
    has closed every note (did_close calls forget_notes)."""
    import asyncio

    from notelint.core.analysis import remembered
    from notelint.lsp.documents import Document
    from notelint.lsp.linting import Linter

    async def run() -> int:
        linter = Linter(deliver=lambda doc, analysis: None)
        linter.ready.set()
        note = (
            Path(__file__).parents[2]
            / "fixtures"
            / "notes"
            / "01-us-guided-liver-lesion-biopsy.txt"
        )
        doc = Document(
            "untitled:note.txt", f"{CANARY}\n" + note.read_text(encoding="utf-8"), 1, None
        )
        analysis = await linter.current(doc)
        held = linter.engines.remembered()
        assert remembered(analysis.kb) == 0  # the rules' compiled state never holds note text
        linter.forget_notes()
        linter.close()
        assert linter.engines.remembered() == 0
        return held

    assert asyncio.run(run()) > 0
