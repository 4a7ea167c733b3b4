"""Adding an output format, as docs/architecture.md says: an ``Emitter`` subclass (``file`` for
each note, ``error`` for each unreadable input, ``end`` once) and a factory named in ``FORMATS``
of ``present/formats.py``. Here a CSV format, a row per finding, is added without editing the
package and written by ``notelint check --format csv``: the command line's own path, from its
``--format`` choices through the batch run to the emitter."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import TextIO

import pytest

from notelint.cli import main
from notelint.kb import KnowledgeBase
from notelint.present.emit import Emitter
from notelint.present.formats import FORMATS, make_emitter
from notelint.present.results import FileResult

ROOT = Path(__file__).resolve().parents[1]
NOTES = ROOT / "fixtures" / "notes"
HEADER = ["file", "line", "column", "rule", "severity", "code", "summary"]


class CsvEmitter(Emitter):
    """A header, then a row per finding (1-based line and column); an unreadable input is a row
    of its own. The rule's summary comes from the knowledge base the factory is given."""

    def __init__(self, out: TextIO, kb: KnowledgeBase) -> None:
        super().__init__(out)
        self.kb = kb
        self.rows = csv.writer(out, lineterminator="\n")

    def _header(self) -> None:
        if not self.started:
            self.rows.writerow(HEADER)
            self.started = True

    def file(self, result: FileResult) -> None:
        assert result.entry is not None  # every format but text gets the json entry
        self._header()
        for finding in result.entry["findings"]:
            start = finding["range"]["start"]
            rule = finding["rule"]
            self.rows.writerow(
                [
                    result.shown,
                    start["line"] + 1,
                    start["character"] + 1,
                    rule,
                    finding["severity"],
                    finding.get("code") or "",
                    self.kb.rules[rule].summary,
                ]
            )

    def error(self, result: FileResult) -> None:
        self._header()
        self.rows.writerow([result.shown, "", "", "", "error", "", result.error or "unreadable"])

    def end(self, unreadable: int) -> None:
        self._header()  # no notes at all is still a document: its header


@pytest.fixture
def csv_format(monkeypatch: pytest.MonkeyPatch) -> None:
    """The format registered as a built-in one is: its name and factory in FORMATS."""
    monkeypatch.setitem(FORMATS, "csv", CsvEmitter)


def check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["check", *args])
    out, err = capsys.readouterr()
    return code, out, err


def expected_rows(
    capsys: pytest.CaptureFixture[str], kb: KnowledgeBase, *paths: str
) -> tuple[int, list[list[str]]]:
    """What the json format reports for ``paths``, as the CSV rows should show it."""
    code, out, _ = check(capsys, "-j", "1", "--format", "json", *paths)
    rows = [
        [
            entry["path"],
            str(finding["range"]["start"]["line"] + 1),
            str(finding["range"]["start"]["character"] + 1),
            finding["rule"],
            finding["severity"],
            finding.get("code") or "",
            kb.rules[finding["rule"]].summary,
        ]
        for entry in json.loads(out)["files"]
        for finding in entry["findings"]
    ]
    return code, rows


@pytest.mark.usefixtures("csv_format")
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_check_writes_the_added_format_for_the_fixture_notes(
    capsys: pytest.CaptureFixture[str], kb: KnowledgeBase, jobs: str
) -> None:
    """In one process and with worker processes (which need not know the format: they hand
    back each note's json entry, and the emitter runs in the command's process)."""
    json_code, rows = expected_rows(capsys, kb, str(NOTES))
    assert len(rows) > 5  # the fixtures have findings of several rules
    code, out, _ = check(capsys, "-j", jobs, "--format", "csv", str(NOTES))
    table = list(csv.reader(io.StringIO(out)))
    assert table[0] == HEADER
    assert table[1:] == rows
    assert code == json_code == 1  # exit codes do not depend on the format


@pytest.mark.usefixtures("csv_format")
def test_an_unreadable_input_is_a_row_and_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    missing = tmp_path / "missing.txt"
    code, out, err = check(capsys, "-j", "1", "--format", "csv", str(missing))
    assert code == 2 and "no such file" in err
    assert list(csv.reader(io.StringIO(out))) == [
        HEADER,
        [str(missing), "", "", "", "error", "", "no such file or folder"],
    ]


@pytest.mark.usefixtures("csv_format")
def test_the_added_format_is_a_choice_and_made_by_make_emitter(
    capsys: pytest.CaptureFixture[str], kb: KnowledgeBase
) -> None:
    with pytest.raises(SystemExit):
        main(["check", "--help"])
    assert "csv" in capsys.readouterr().out
    assert isinstance(make_emitter("csv", io.StringIO(), kb), CsvEmitter)


def test_a_format_not_in_the_table_is_refused(
    capsys: pytest.CaptureFixture[str], kb: KnowledgeBase
) -> None:
    assert "csv" not in FORMATS  # the fixture's entry is gone with its test
    with pytest.raises(SystemExit) as refused:
        main(["check", "--format", "csv", str(NOTES)])
    assert refused.value.code == 2 and "invalid choice: 'csv'" in capsys.readouterr().err
    with pytest.raises(ValueError, match="unknown format 'csv'"):
        make_emitter("csv", io.StringIO(), kb)
