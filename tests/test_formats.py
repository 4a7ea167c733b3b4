"""Output formats: jsonl, SARIF 2.1.0 (schema-validated), JUnit XML, GitHub workflow commands."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from notelint.cli import main
from notelint.kb import KnowledgeBase
from notelint.present import json_format
from notelint.present.emit import JsonEmitter
from notelint.present.github import command, escape_data, escape_property
from notelint.present.jsonl import JsonlEmitter
from notelint.present.results import FileResult

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text("utf-8"))
SARIF = jsonschema.Draft7Validator(SCHEMA, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
FHIR = ROOT / "tests" / "data" / "fhir"
DEFICIENT = (
    "PROCEDURE: Ultrasound-guided liver biopsy.\nThe needle was advanced.\nCPT: 47000, 76942 x2\n"
)
CLEAN = "PROCEDURE: Knee injection by palpation.\nThe patient tolerated it well.\n"


@pytest.fixture
def notes(tmp_path: Path) -> Path:
    (tmp_path / "a.txt").write_text(DEFICIENT, encoding="utf-8")
    (tmp_path / "b.txt").write_text(CLEAN, encoding="utf-8")
    (tmp_path / "c d,%.txt").write_text("Ω " + DEFICIENT, encoding="utf-8")  # escapes, UTF-16
    return tmp_path


def check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["check", "-j", "1", *args])
    out, err = capsys.readouterr()
    return code, out, err


def json_files(capsys: pytest.CaptureFixture[str], *paths: str) -> list[dict[str, Any]]:
    files: list[dict[str, Any]] = json.loads(check(capsys, "--format", "json", *paths)[1])["files"]
    return files


def test_jsonl_is_the_json_entries_one_per_line(
    notes: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = check(capsys, "--format", "jsonl", str(notes))
    assert code == 1
    assert [json.loads(line) for line in out.splitlines()] == json_files(capsys, str(notes))


def test_jsonl_flushes_every_line() -> None:
    class Recorder(io.StringIO):
        def __init__(self) -> None:
            super().__init__()
            self.flushed: list[str] = []

        def flush(self) -> None:
            self.flushed.append(self.getvalue())

    out = Recorder()
    emitter = JsonlEmitter(out)
    for n in range(3):
        emitter.file(FileResult(f"n{n}", entry={"path": f"n{n}", "findings": []}, meta={"id": "x"}))
        assert out.flushed[-1].count("\n") == n + 1
    assert json.loads(out.getvalue().splitlines()[0]) == {"path": "n0", "findings": [], "id": "x"}


@pytest.mark.parametrize("count", [0, 1, 3])
def test_streamed_json_is_byte_for_byte_what_json_dump_writes(count: int) -> None:
    entries = [
        {
            "path": f"n{n}",
            "findings": [{"rule": "NL10" + str(n), "severity": "warning"}],
            "codes": {},
        }
        for n in range(count)
    ]
    out = io.StringIO()
    emitter = JsonEmitter(out)
    for entry in entries:
        emitter.file(FileResult(entry["path"], entry=entry))
    emitter.end(unreadable=1)
    expected = {
        "version": json_format.VERSION,
        "files": entries,
        "summary": {
            "files": count,
            "findings": count,
            "unreadable": 1,
            "by_severity": {"warning": count} if count else {},
            "by_rule": {f"NL10{n}": 1 for n in range(count)},
        },
    }
    assert out.getvalue() == json.dumps(expected, indent=2) + "\n"


def test_sarif_validates_against_the_official_schema(
    notes: Path, capsys: pytest.CaptureFixture[str], kb: KnowledgeBase
) -> None:
    code, out, _ = check(
        capsys, "--format", "sarif", str(notes), str(FHIR / "DocumentReference.ndjson")
    )
    log = json.loads(out)
    SARIF.validate(log)
    assert code == 1 and log["version"] == "2.1.0"
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == sorted(kb.rules)
    nl102 = rules[[r["id"] for r in rules].index("NL102")]
    assert nl102["name"] == "missing-permanent-images"
    assert nl102["shortDescription"]["text"] == kb.rules["NL102"].summary
    assert nl102["fullDescription"]["text"] == kb.rules["NL102"].why
    assert not any("helpUri" in r for r in rules)
    assert run["invocations"] == [{"executionSuccessful": True}]


def test_the_schema_really_checks(notes: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = json.loads(check(capsys, "--format", "sarif", str(notes / "a.txt"))[1])
    log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startColumn"] = 0
    log["runs"][0]["results"][1]["level"] = "warn"
    assert len(list(SARIF.iter_errors(log))) == 2


def test_sarif_results_point_at_the_text_formats_lines_and_columns(
    notes: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results = json.loads(check(capsys, "--format", "sarif", str(notes / "a.txt"))[1])["runs"][0][
        "results"
    ]
    _, text, _ = check(capsys, "--no-codes", str(notes / "a.txt"))
    shown = [
        f"{r['ruleId']} {r['locations'][0]['physicalLocation']['region']['startLine']}:"
        f"{r['locations'][0]['physicalLocation']['region']['startColumn']}"
        for r in results
    ]
    from_text = [
        f"{line.split(' ')[1]} {':'.join(line.split(':')[1:3])}"
        for line in text.splitlines()
        if ": NL" in line  # the closing summary line is no finding
    ]
    assert shown == from_text
    nl401 = next(r for r in results if r["ruleId"] == "NL401")
    assert nl401["level"] == "error" and nl401["message"]["text"].startswith("76942 is reported 2")
    assert nl401["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 3,
        "startColumn": 13,
        "endLine": 3,
        "endColumn": 21,
    }
    assert nl401["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith("/a.txt")


def test_sarif_uri_for_a_fhir_resource_keeps_the_fragment(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = check(capsys, "--format", "sarif", str(FHIR / "DocumentReference.ndjson"))[1]
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in json.loads(out)["runs"][0]["results"]
    }
    assert uris == {
        (FHIR / "DocumentReference.ndjson").as_uri() + "#DocumentReference/us-liver-bx-1"
    }


def test_sarif_with_no_input_and_unreadable_input_is_still_valid(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = check(capsys, "--format", "sarif", str(tmp_path), str(tmp_path / "missing.txt"))
    log = json.loads(out)
    SARIF.validate(log)
    assert code == 2 and log["runs"][0]["results"] == []
    assert log["runs"][0]["invocations"] == [{"executionSuccessful": False}]


def test_junit_one_suite_per_note_one_failure_per_finding(
    notes: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = notes / "missing.txt"
    code, out, _ = check(capsys, "--format", "junit", str(notes), str(missing))
    assert code == 2
    root = ET.fromstring(out)
    assert root.tag == "testsuites"
    suites = {Path(s.get("name", "")).name: s for s in root.findall("testsuite")}
    assert list(suites) == ["a.txt", "b.txt", "c d,%.txt", "missing.txt"]
    findings = {Path(f["path"]).name: f["findings"] for f in json_files(capsys, str(notes))}
    a = suites["a.txt"]
    assert int(a.get("failures", "")) == len(findings["a.txt"]) == len(a.findall("testcase"))
    first = a.findall("testcase")[0]
    failure = first.find("failure")
    assert failure is not None and failure.get("type") == findings["a.txt"][0]["rule"]
    assert failure.get("message") == findings["a.txt"][0]["message"]
    b = suites["b.txt"]  # clean: one passing case
    assert b.get("failures") == "0" and len(b.findall("testcase")) == 1
    assert b.find("testcase/failure") is None
    gone = suites["missing.txt"]
    error = gone.find("testcase/error")
    assert gone.get("errors") == "1" and error is not None
    assert error.get("message") == "no such file or folder"


def test_github_annotations_exact(notes: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = str(notes / "a.txt")
    code, out, _ = check(capsys, "--format", "github", "--select", "NL102,NL4", a)
    assert code == 1
    assert out.splitlines() == [
        f"::warning file={a},line=3,col=13,title=NL102::76942: no permanently recorded images of the site",
        f"::error file={a},line=3,col=13,title=NL401::76942 is reported 2 times; it is one unit per encounter",
    ]
    weird = notes / "c d,%.txt"
    out = check(capsys, "--format", "github", "--select", "NL401", str(weird))[1]
    escaped = str(weird).replace("%", "%25").replace(",", "%2C").replace(":", "%3A")
    assert out == (
        f"::error file={escaped},line=3,col=13,title=NL401::"
        "76942 is reported 2 times; it is one unit per encounter\n"
    )


def test_github_escaping_rules() -> None:
    assert escape_data("50% done\r\nnext: a, b") == "50%25 done%0D%0Anext: a, b"
    assert escape_property("C:\\a,b%\n") == "C%3A\\a%2Cb%25%0A"
    assert command("notice", "x", file="f", line=1) == "::notice file=f,line=1::x"


def test_hints_and_information_are_notices_on_github(
    notes: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (notes / "notelint.toml").write_text('severity = { NL401 = "hint" }\n', encoding="utf-8")
    out = check(capsys, "--format", "github", "--select", "NL401", str(notes / "a.txt"))[1]
    assert out.startswith("::notice file=")


def test_json_checklists_give_positions_and_text_only_with_excerpts(kb: KnowledgeBase) -> None:
    from notelint.core.analysis import analyze

    note = "PROCEDURE: Ultrasound-guided liver biopsy.\nImages were saved to PACS.\nCPT: 47000, 76942\n"
    report = analyze(note, kb)
    plain = json_format.file_json("n.txt", report)
    (checklist,) = [c for c in plain["checklists"] if c["code"] == "76942"]
    items = {item["rule"]: item for item in checklist["items"]}
    assert items["NL102"]["satisfied"] and items["NL102"]["evidence"] == {"line": 1, "character": 0}
    assert not items["NL101"]["satisfied"] and items["NL101"]["evidence"] is None
    assert "PACS" not in json.dumps(plain)
    excerpted = json_format.file_json("n.txt", report, excerpts=True)
    (checklist,) = [c for c in excerpted["checklists"] if c["code"] == "76942"]
    assert {i["rule"]: i.get("excerpt") for i in checklist["items"]}["NL102"] == (
        "Images were saved to PACS."
    )
