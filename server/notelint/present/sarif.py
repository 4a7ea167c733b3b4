"""SARIF 2.1.0: one run whose driver lists every rule of the knowledge base.

Results stream: the log is opened with the tool and its rules, each result is written as its note
is done, and the run is closed with the invocation's outcome. Regions are 1-based lines and
columns; columns count UTF-16 code units (``columnKind``), as the json format's ranges do.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote

from notelint import __version__
from notelint.batch import FileResult
from notelint.kb import KnowledgeBase
from notelint.present.emit import Emitter

SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
LEVEL = {"error": "error", "warning": "warning", "information": "note", "hint": "note"}


def rules_json(kb: KnowledgeBase) -> list[dict[str, Any]]:
    return [
        {
            "id": rid,
            "name": rule.name,
            "shortDescription": {"text": rule.summary},
            "fullDescription": {"text": rule.why},
            "help": {"text": rule.fix},
            "defaultConfiguration": {"level": LEVEL[rule.severity]},
            "properties": {"category": rule.category, "tags": [rule.category]},
        }
        for rid, rule in sorted(kb.rules.items())
    ]


def artifact_uri(shown: str, fhir: bool) -> str:
    """A URI reference for a path; a FHIR resource stays a fragment (``export.ndjson#Type/id``)."""
    path, fragment = shown.rsplit("#", 1) if fhir else (shown, None)
    as_path = Path(path)
    # A name that is not UTF-8 arrives with surrogate escapes: its bytes are what to quote.
    raw = as_path.as_posix().encode("utf-8", "surrogateescape")
    uri = as_path.as_uri() if as_path.is_absolute() else quote(raw, safe="/")
    return uri if fragment is None else f"{uri}#{quote(fragment, safe='/')}"


def result_json(finding: dict[str, Any], uri: str, index: int | None) -> dict[str, Any]:
    start, end = finding["range"]["start"], finding["range"]["end"]
    out: dict[str, Any] = {"ruleId": finding["rule"]}
    if index is not None:
        out["ruleIndex"] = index
    out |= {
        "level": LEVEL[finding["severity"]],
        "message": {"text": finding["message"]},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": uri},
                    "region": {
                        "startLine": start["line"] + 1,
                        "startColumn": start["character"] + 1,
                        "endLine": end["line"] + 1,
                        "endColumn": end["character"] + 1,
                    },
                }
            }
        ],
    }
    if finding["code"]:
        out["properties"] = {"code": finding["code"]}
    return out


class SarifEmitter(Emitter):
    def __init__(self, out: TextIO, kb: KnowledgeBase) -> None:
        super().__init__(out)
        self.rules = rules_json(kb)
        self.index = {rule["id"]: n for n, rule in enumerate(self.rules)}
        self.results = 0

    def _begin(self) -> None:
        if self.started:
            return
        driver = {
            "name": "notelint",
            "version": __version__,
            "semanticVersion": __version__,
            "rules": self.rules,
        }
        head = {"$schema": SCHEMA, "version": "2.1.0"}
        run = {"tool": {"driver": driver}, "columnKind": "utf16CodeUnits"}
        # Written by hand up to the open results array, which then fills as notes are done.
        self.out.write(json.dumps(head, indent=2)[:-2] + ',\n  "runs": [\n    ')
        self.out.write(json.dumps(run)[:-1] + ', "results": [')
        self.started = True

    def file(self, result: FileResult) -> None:
        assert result.entry is not None
        self._begin()
        uri = artifact_uri(result.shown, "id" in result.meta)
        for finding in result.entry["findings"]:
            item = result_json(finding, uri, self.index.get(finding["rule"]))
            self.out.write(("," if self.results else "") + "\n      " + json.dumps(item))
            self.results += 1

    def end(self, unreadable: int) -> None:
        self._begin()
        invocation = {"executionSuccessful": unreadable == 0}
        tail = "\n    " if self.results else ""
        self.out.write(f'{tail}], "invocations": [{json.dumps(invocation)}]}}\n  ]\n}}\n')
