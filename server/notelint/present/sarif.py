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
from notelint.kb import KnowledgeBase
from notelint.present.emit import Emitter
from notelint.present.explain import rule_citations
from notelint.present.results import FileResult

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
            "help": {"text": rule.fix, "markdown": help_markdown(kb, rid)},
            "defaultConfiguration": {"level": LEVEL[rule.severity]},
            "properties": {"category": rule.category, "tags": [rule.category]},
        }
        for rid, rule in sorted(kb.rules.items())
    ]


def help_markdown(kb: KnowledgeBase, rid: str) -> str:
    """The rule's documentation as ``notelint explain`` gives it: what, why, what satisfies it,
    and the source passages. No helpUri: notelint's documentation is the tool itself, and a
    web address for it would be invented."""
    rule = kb.rules[rid]
    lines = [
        f"**{rid} {rule.name}** ({rule.category}, default severity {rule.severity})",
        "",
        rule.summary,
        "",
        f"**Why it matters.** {rule.why}",
        "",
        f"**What satisfies it.** {rule.fix}",
    ]
    cited = rule_citations(kb, rid)
    if cited:
        lines += ["", "**Sources**", ""]
        lines += [f"- `{where}`: {passage}" for where, passage in cited]
    lines += [
        "",
        f"`notelint explain {rid}` prints this with an example that fires and one that passes.",
    ]
    return "\n".join(lines)


def artifact_uri(shown: str, fhir: bool) -> str:
    """A URI reference for a path; a FHIR resource stays a fragment (``export.ndjson#Type/id``)."""
    path, fragment = shown.rsplit("#", 1) if fhir else (shown, None)
    as_path = Path(path)
    # A name that is not UTF-8 arrives with surrogate escapes: its bytes are what to quote.
    raw = as_path.as_posix().encode("utf-8", "surrogateescape")
    uri = as_path.as_uri() if as_path.is_absolute() else quote(raw, safe="/")
    return uri if fragment is None else f"{uri}#{quote(fragment, safe='/')}"


def result_json(finding: dict[str, Any], uri: str, index: int | None) -> dict[str, Any]:
    out: dict[str, Any] = {"ruleId": finding["rule"]}
    if index is not None:
        out["ruleIndex"] = index
    out |= {
        "level": LEVEL[finding["severity"]],
        "message": {"text": finding["message"]},
        "locations": [{"physicalLocation": _location(uri, finding["range"])}],
    }
    if finding["related"]:
        out["relatedLocations"] = [
            {
                "id": n,
                "physicalLocation": _location(uri, r["range"]),
                "message": {"text": r["message"]},
            }
            for n, r in enumerate(finding["related"])
        ]
    if finding["fixes"]:
        out["fixes"] = [fix_json(fix, uri) for fix in finding["fixes"]]
    if finding["code"]:
        out["properties"] = {"code": finding["code"]}
    return out


def fix_json(fix: dict[str, Any], uri: str) -> dict[str, Any]:
    """A fix as SARIF artifact changes; ``asserts_nothing`` marks what --fix would apply."""
    return {
        "description": {"text": fix["title"]},
        "artifactChanges": [
            {
                "artifactLocation": {"uri": uri},
                "replacements": [
                    {
                        "deletedRegion": _region(e["range"]),
                        "insertedContent": {"text": e["new_text"]},
                    }
                    for e in fix["edits"]
                ],
            }
        ],
        "properties": {"kind": fix["kind"], "asserts_nothing": fix["asserts_nothing"]},
    }


def _location(uri: str, range_: dict[str, Any]) -> dict[str, Any]:
    return {"artifactLocation": {"uri": uri}, "region": _region(range_)}


def _region(range_: dict[str, Any]) -> dict[str, int]:
    """A 0-based json range as a 1-based SARIF region (columns in UTF-16 units, as the run says)."""
    start, end = range_["start"], range_["end"]
    return {
        "startLine": start["line"] + 1,
        "startColumn": start["character"] + 1,
        "endLine": end["line"] + 1,
        "endColumn": end["character"] + 1,
    }


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
