"""SARIF carries what the JSON carries: every fix as artifact changes, the evidence as related
locations, and each rule's documentation as help markdown; the log stays valid SARIF 2.1.0
(the schema is vendored in tests/data: no network)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from notelint.cli import main
from notelint.kb import KnowledgeBase
from notelint.present.explain import rule_citations

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text("utf-8"))
SARIF = jsonschema.Draft7Validator(SCHEMA, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
# A laterality modifier fix, a unit fix, documentation templates whose findings point at the
# guidance (related locations), and a non-ASCII character before a column (UTF-16 columns).
NOTE = (
    "PROCEDURE: Ultrasound-guided core biopsy of a left axillary lymph node.\n"
    "Ωmega: the needle was advanced into the node.\n"
    "CPT: 38505-RT, 76942 x2\n"
)


def _outputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Any, Any]:
    (tmp_path / "node.txt").write_text(NOTE, encoding="utf-8")
    logs = []
    for fmt in ("json", "sarif"):
        main(["check", "-j", "1", "--format", fmt, str(tmp_path / "node.txt")])
        logs.append(json.loads(capsys.readouterr().out))
    return logs[0]["files"][0]["findings"], logs[1]


def _region(range_: dict[str, Any]) -> dict[str, int]:
    start, end = range_["start"], range_["end"]
    return {
        "startLine": start["line"] + 1,
        "startColumn": start["character"] + 1,
        "endLine": end["line"] + 1,
        "endColumn": end["character"] + 1,
    }


def test_sarif_results_carry_the_json_fixes_and_related_locations(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    findings, log = _outputs(tmp_path, capsys)
    SARIF.validate(log)
    results = log["runs"][0]["results"]
    assert [r["ruleId"] for r in results] == [f["rule"] for f in findings]
    kinds = set()
    for finding, result in zip(findings, results, strict=True):
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        changes = [
            (
                fix["description"]["text"],
                change["artifactLocation"]["uri"],
                r["deletedRegion"],
                r["insertedContent"]["text"],
            )
            for fix in result.get("fixes", [])
            for change in fix["artifactChanges"]
            for r in change["replacements"]
        ]
        assert changes == [
            (fix["title"], uri, _region(edit["range"]), edit["new_text"])
            for fix in finding["fixes"]
            for edit in fix["edits"]
        ]
        kinds |= {fix["properties"]["kind"] for fix in result.get("fixes", [])}
        related = [
            (loc["physicalLocation"]["region"], loc["message"]["text"])
            for loc in result.get("relatedLocations", [])
        ]
        assert related == [(_region(r["range"]), r["message"]) for r in finding["related"]]
    assert kinds == {"template", "code", "modifier"}
    assert any(r.get("relatedLocations") for r in results)
    fixed = next(r for r in results if r.get("fixes"))
    fixed["fixes"][0]["artifactChanges"][0]["replacements"][0]["deletedRegion"]["startLine"] = 0
    assert len(list(SARIF.iter_errors(log))) == 1  # the schema checks what fixes carry


def test_sarif_rules_carry_their_documentation_as_help_markdown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kb: KnowledgeBase
) -> None:
    _, log = _outputs(tmp_path, capsys)
    rules = {r["id"]: r for r in log["runs"][0]["tool"]["driver"]["rules"]}
    for rid, rule in kb.rules.items():
        markdown = rules[rid]["help"]["markdown"]
        assert rule.why in markdown and rule.fix in markdown
        assert all(
            f"`{where}`: {passage}" in markdown for where, passage in rule_citations(kb, rid)
        )
    assert "guideline-ash-us-fluoro-needle-guidance.txt:91" in rules["NL102"]["help"]["markdown"]
