"""Report to LSP: diagnostics, ranges, and the fixes a diagnostic carries in ``data``.

Every position goes through the report's :class:`~notelint.core.positions.LineIndex`; fixes are
serialised with the CLI's JSON contract so that both front ends describe a fix the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import cattrs
from lsprotocol import types
from lsprotocol.converters import get_converter
from pygls.protocol import default_converter

from notelint.core.findings import Finding, Severity, Span
from notelint.core.positions import LineIndex
from notelint.present.json_format import fix_json

SOURCE = "notelint"
INTERNAL_ERROR = "internal-error"

_SEVERITY = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.INFORMATION: types.DiagnosticSeverity.Information,
    Severity.HINT: types.DiagnosticSeverity.Hint,
}


@cache
def _fix_reader() -> cattrs.Converter:
    """lsprotocol's converter, for reading fixes back: built at the first code action, not
    before the first diagnostics."""
    return get_converter()


class JsonData(dict[str, Any]):
    """A diagnostic's ``data``, made only of JSON values (dicts, lists, strings, numbers,
    booleans, None): sent as it is, where the converter would copy it value by value."""


def server_converter() -> cattrs.Converter:
    """pygls's converter, with ``data`` of diagnostics left for ``json.dumps`` to write (the
    same JSON; copying the fixes' ranges was most of the cost of publishing a large note's
    diagnostics)."""
    converter: cattrs.Converter = default_converter()  # type: ignore[no-untyped-call]
    converter.register_unstructure_hook(JsonData, _as_is)
    return converter


def _as_is(data: JsonData) -> JsonData:
    return data


def lsp_range(index: LineIndex, span: Span) -> types.Range:
    r = index.range(span.start, span.end)
    return types.Range(
        types.Position(r.start.line, r.start.character),
        types.Position(r.end.line, r.end.character),
    )


def diagnostic(finding: Finding, index: LineIndex, uri: str, version: int) -> types.Diagnostic:
    related = [
        types.DiagnosticRelatedInformation(types.Location(uri, lsp_range(index, r.span)), r.message)
        for r in finding.related
    ]
    return types.Diagnostic(
        range=lsp_range(index, finding.span),
        severity=_SEVERITY[finding.severity],
        code=finding.rule,
        source=SOURCE,
        message=finding.message,
        related_information=related or None,
        data=JsonData(
            version=version,
            fixes=[fix_json(f, index) for f in finding.fixes],
            name=finding.name,
            source={"document": finding.source.document, "line": finding.source.line},
        ),
    )


def failure_diagnostic() -> types.Diagnostic:
    return types.Diagnostic(
        range=types.Range(types.Position(0, 0), types.Position(0, 0)),
        severity=types.DiagnosticSeverity.Error,
        code=INTERNAL_ERROR,
        source=SOURCE,
        message="notelint could not analyse this note (internal error; see the server log)",
    )


CONFIG_ERROR = "config"


def config_diagnostic(problems: Sequence[str]) -> types.Diagnostic:
    """Configuration problems on the note itself: without them a note whose settings could not
    be read would look clean. Problems name a file and line, never note text."""
    more = (
        f" (and {len(problems) - 1} more: see the server's messages)" if len(problems) > 1 else ""
    )
    return types.Diagnostic(
        range=types.Range(types.Position(0, 0), types.Position(0, 0)),
        severity=types.DiagnosticSeverity.Warning,
        code=CONFIG_ERROR,
        source=SOURCE,
        message=f"notelint configuration: {problems[0]}{more}",
    )


@dataclass(frozen=True, slots=True)
class FixData:
    """A fix as a diagnostic carries it: ranges already in the client's encoding."""

    title: str
    kind: str
    asserts_nothing: bool
    edits: tuple[types.TextEdit, ...]


def fixes_of(diag: types.Diagnostic, version: int) -> list[FixData] | None:
    """The fixes in a diagnostic's data, or None when the data is missing, malformed or stale."""
    data: Any = diag.data
    if diag.source != SOURCE or not isinstance(data, dict) or data.get("version") != version:
        return None
    try:
        return [
            FixData(
                str(fix["title"]),
                str(fix["kind"]),
                fix["asserts_nothing"] is True,
                tuple(
                    types.TextEdit(
                        _fix_reader().structure(e["range"], types.Range), str(e["new_text"])
                    )
                    for e in fix["edits"]
                ),
            )
            for fix in data["fixes"]
        ]
    except Exception:  # the client echoes data back: anything malformed is just not a fix
        return None
