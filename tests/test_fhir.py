"""FHIR R4 input: Bulk Data NDJSON and Bundles of DocumentReference / DiagnosticReport."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from notelint.cli import main
from notelint.inputs import fhir

FHIR = Path(__file__).resolve().parent / "data" / "fhir"
CANARY = "ZZCANARY-PATIENT-JANE-DOE"  # in the sample export's unreadable resources


def check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[dict[str, Any]], str]:
    code = main(["check", "--format", "jsonl", *args])
    out, err = capsys.readouterr()
    return code, [json.loads(line) for line in out.splitlines()], err


def test_document_references_are_linted_per_resource_with_id_and_date(
    capsys: pytest.CaptureFixture[str],
) -> None:
    export = FHIR / "DocumentReference.ndjson"
    code, lines, err = check(capsys, "-j", "1", str(export))
    assert code == 1 and err == ""
    assert [(e["path"], e["id"], e["date"]) for e in lines] == [
        (f"{export}#DocumentReference/us-liver-bx-1", "us-liver-bx-1", "2024-03-05T10:42:00-05:00"),
        (f"{export}#DocumentReference/fluoro-hip-2", "fluoro-hip-2", "2024-03-06T08:15:00-05:00"),
        (f"{export}#DocumentReference/renal-bx-3", "renal-bx-3", "2024-03-07T13:01:00-05:00"),
    ]
    # A PDF listed first is passed over for the same document's text/plain form.
    assert [f["rule"] for f in lines[1]["findings"]] == []
    assert lines[1]["codes"]["suggested"][0]["code"] == "77002"
    assert "NL401" in {f["rule"] for f in lines[0]["findings"]}


def test_diagnostic_reports_honour_the_charset_and_take_their_date(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, lines, _ = check(capsys, "-j", "1", str(FHIR / "DiagnosticReport.ndjson"))
    assert code == 1
    adrenal, knee = lines
    assert adrenal["date"] == "2024-04-02T09:30:00Z"  # effectiveDateTime before issued
    assert knee["date"] == "2024-04-03T16:20:00Z"  # issued when there is no effective time
    # ISO-8859-1 declared and honoured: no "not UTF-8" finding, and columns count the µ as one.
    assert "NL901" not in {f["rule"] for f in adrenal["findings"]}
    assert adrenal["codes"]["suggested"][0]["code"] == "77012"


def test_malformed_lines_and_unusable_resources_are_reported_by_line_and_skipped(
    capsys: pytest.CaptureFixture[str],
) -> None:
    export = FHIR / "export-with-problems.ndjson"
    code, lines, err = check(capsys, "-j", "2", str(export))
    assert code == 2
    assert [e["id"] for e in lines] == ["good-1", "good-10"]
    assert err.splitlines() == [
        f"notelint: {export}:3: not valid JSON (column 126)",
        f"notelint: {export}:4: DocumentReference/scan-only-4: no inline text/plain attachment (application/pdf)",
        f"notelint: {export}:5: DocumentReference/url-only-5: no inline text/plain attachment (text/plain by URL only)",
        f"notelint: {export}:6: DocumentReference/bad-base64-6: attachment 1: invalid base64 data",
        f"notelint: {export}:7: DocumentReference without a valid id",
        f"notelint: {export}:9: not a FHIR resource (no resourceType)",
    ]
    text = main(["check", "-j", "1", str(export)])
    out, err = capsys.readouterr()
    assert text == 2 and CANARY not in out + err


def test_a_bundle_is_read_entry_by_entry(capsys: pytest.CaptureFixture[str]) -> None:
    bundle = FHIR / "bundle.json"
    code, lines, err = check(capsys, "-j", "1", str(bundle))
    assert code == 2  # one entry has no resource
    assert [(e["path"], e["date"]) for e in lines] == [
        (f"{bundle}#DocumentReference/bundle-liver-1", "2024-06-01T10:00:00Z"),
        (f"{bundle}#DiagnosticReport/bundle-renal-3", "2024-06-02"),
    ]
    assert err == f"notelint: {bundle}: entry 2: Bundle entry without a resource\n"


def test_one_job_and_two_jobs_agree_on_fhir(capsys: pytest.CaptureFixture[str]) -> None:
    paths = [str(FHIR)]  # a folder: its .ndjson files are walked, bundle.json is not
    one = check(capsys, "-j", "1", *paths)
    two = check(capsys, "-j", "2", *paths)
    assert one == two
    assert {Path(e["path"].split("#")[0]).name for e in one[1]} == {
        "DiagnosticReport.ndjson",
        "DocumentReference.ndjson",
        "export-with-problems.ndjson",
    }


def _resource(**attachment: Any) -> dict[str, Any]:
    return {
        "resourceType": "DocumentReference",
        "id": "x1",
        "content": [{"attachment": attachment}],
    }


def test_a_single_resource_json_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    note = base64.b64encode(b"PROCEDURE: Knee injection by palpation.\n").decode()
    path = tmp_path / "note.json"
    path.write_text(json.dumps(_resource(contentType="text/plain", data=note)), encoding="utf-8")
    code, lines, _ = check(capsys, str(path))
    assert code == 0 and lines[0]["path"] == f"{path}#DocumentReference/x1"
    assert "date" not in lines[0]


def test_json_that_is_not_fhir_is_still_linted_as_a_note(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "labels.json"
    path.write_text('{"notes": ["CPT: 76942 x2"]}\n', encoding="utf-8")
    code, lines, _ = check(capsys, str(path))
    assert lines[0]["path"] == str(path) and "id" not in lines[0]
    assert code == 1  # NL401


@pytest.mark.parametrize(
    ("attachment", "message"),
    [
        (
            {"contentType": "text/plain; charset=klingon", "data": "eA=="},
            "attachment 1: unknown charset",
        ),
        (
            {"contentType": "text/html", "data": "eA=="},
            "no inline text/plain attachment (text/html)",
        ),
        ({"data": "eA=="}, "no inline text/plain attachment (no contentType)"),
    ],
)
def test_unsupported_attachments(attachment: dict[str, Any], message: str) -> None:
    line = json.dumps(_resource(**attachment)).encode()
    [item] = list(fhir._from_line("e.ndjson", 4, line))
    assert isinstance(item, fhir.FhirProblem)
    assert item.where == "e.ndjson:4" and item.message == f"DocumentReference/x1: {message}"


def test_windows_1252_text_declared_as_utf8_falls_back_with_nl901(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = base64.b64encode("PROCEDURE: biopsy, 5 \xb5g.\n".encode("cp1252")).decode()
    path = tmp_path / "e.ndjson"
    resource = _resource(contentType="text/plain; charset=UTF-8", data=data)
    path.write_text(json.dumps(resource) + "\n", encoding="utf-8")
    _, lines, _ = check(capsys, str(path))
    assert lines[0]["findings"][0]["rule"] == "NL901"


def test_content_type_parsing() -> None:
    assert fhir.parse_content_type('Text/Plain ; charset="ISO-8859-1"') == (
        "text/plain",
        "iso-8859-1",
    )
    assert fhir.parse_content_type("text/plain") == ("text/plain", None)
    assert fhir.parse_content_type(None) == (None, None)


def _document_reference(rid: str, text: str) -> dict[str, Any]:
    data = base64.b64encode(text.encode()).decode()
    attachment = {"contentType": "text/plain", "data": data}
    return {"resourceType": "DocumentReference", "id": rid, "content": [{"attachment": attachment}]}


def test_a_repeated_id_is_named_by_where_it_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    note = "PROCEDURE: Knee injection by palpation.\n"
    resources = [_document_reference(rid, note) for rid in ("a", "b", "a")]
    export = tmp_path / "export.ndjson"
    export.write_text("".join(json.dumps(r) + "\n" for r in resources), encoding="utf-8")
    bundle = tmp_path / "bundle.json"
    entries = [{"resource": r} for r in resources]
    bundle.write_text(json.dumps({"resourceType": "Bundle", "entry": entries}), encoding="utf-8")
    _, lines, _ = check(capsys, "-j", "1", str(export), str(bundle))
    assert [e["path"] for e in lines] == [
        f"{export}#DocumentReference/a",
        f"{export}#DocumentReference/b",
        f"{export}#DocumentReference/a (line 3)",
        f"{bundle}#DocumentReference/a",
        f"{bundle}#DocumentReference/b",
        f"{bundle}#DocumentReference/a (entry 3)",
    ]
    assert [e["id"] for e in lines] == ["a", "b", "a"] * 2  # the id itself is as written
