"""Reading ``notelint report``'s input: JSON Lines results, one note per line, each shaped like an
entry of the json format's ``files`` list (JSON v1), optionally with ``id``, ``date`` and (from
``--include-excerpts`` runs) an ``excerpt`` per finding.

A record keeps the ``checklists`` the core wrote (what it checked for each assessed code); results
written before the json format had them read with ``checklists=None``, and aggregation infers the
checks from the findings instead. Errors name the input file and line, never the line's content.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import IO, Any

from notelint.kb.models import CODE_PATTERN, RULE_ID_PATTERN

SEVERITIES = ("error", "warning", "information", "hint")
_CODE = re.compile(CODE_PATTERN)
_RULE = re.compile(RULE_ID_PATTERN)
_WORD = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class FindingRecord:
    rule: str
    category: str
    severity: str
    code: str | None
    element: str | None
    message: str = ""
    excerpt: str | None = None


@dataclass(frozen=True)
class ChecklistRecord:
    """One code whose documentation the core checked, as the json format's ``checklists``
    gives it: each required item as (element, rule), and those missing."""

    code: str
    required: tuple[tuple[str, str], ...]
    missing: frozenset[tuple[str, str]]


@dataclass(frozen=True)
class NoteRecord:
    number: int
    path: str
    resource_id: str | None
    month: str | None  # "YYYY-MM" when the note's date is known
    findings: tuple[FindingRecord, ...]
    reported: frozenset[str]
    suggested: frozenset[str]
    # What the core checked; None for results written before the json format had checklists,
    # whose checks are inferred from the findings instead.
    checklists: tuple[ChecklistRecord, ...] | None = None


@dataclass
class ReadResult:
    notes: list[NoteRecord] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # one line each: file:line: reason
    bad_dates: int = 0
    unreadable_files: int = 0


class RecordError(ValueError):
    """A line that is not a usable result object; the message never quotes the line."""


def _word(value: Any, pattern: re.Pattern[str]) -> str | None:
    return value if isinstance(value, str) and pattern.match(value) else None


def _finding(raw: Any) -> FindingRecord:
    if not isinstance(raw, dict) or not isinstance(raw.get("rule"), str):
        raise RecordError("a finding is not an object with a rule")
    severity = raw.get("severity")
    excerpt = raw.get("excerpt")
    message = raw.get("message")
    return FindingRecord(
        rule=_word(raw["rule"], _RULE) or "unknown",
        category=_word(raw.get("category"), _WORD) or "unknown",
        severity=severity if severity in SEVERITIES else "unknown",
        code=_word(raw.get("code"), _CODE),
        element=_word(raw.get("element"), _WORD),
        message=message if isinstance(message, str) else "",
        excerpt=excerpt if isinstance(excerpt, str) else None,
    )


def _codes(raw: Any, key: str) -> frozenset[str]:
    items = raw.get(key, []) if isinstance(raw, dict) else []
    if not isinstance(items, list):
        raise RecordError(f"codes.{key} is not a list")
    return frozenset(
        c for item in items if isinstance(item, dict) for c in [_word(item.get("code"), _CODE)] if c
    )


def _checklists(raw: Any) -> tuple[ChecklistRecord, ...] | None:
    if raw is None:
        return None
    if not isinstance(raw, list):
        raise RecordError("'checklists' is not a list")
    return tuple(_checklist(entry) for entry in raw)


def _checklist(raw: Any) -> ChecklistRecord:
    code = _word(raw.get("code"), _CODE) if isinstance(raw, dict) else None
    items = raw.get("items") if isinstance(raw, dict) else None
    if code is None or not isinstance(items, list):
        raise RecordError("a checklist is not an object with a code and items")
    required: list[tuple[str, str]] = []
    missing: set[tuple[str, str]] = set()
    for item in items:
        element = _word(item.get("element"), _WORD) if isinstance(item, dict) else None
        rule = _word(item.get("rule"), _RULE) if isinstance(item, dict) else None
        if element is None or rule is None or not isinstance(item.get("satisfied"), bool):
            raise RecordError("a checklist item is not an element, a rule and satisfied")
        required.append((element, rule))
        if not item["satisfied"]:
            missing.add((element, rule))
    return ChecklistRecord(code, tuple(required), frozenset(missing))


def parse_month(value: Any) -> str | None:
    """'YYYY-MM' from an ISO 8601 date, datetime or year-month; None when absent or unparseable."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    found = _MONTH.match(text)
    if found and 1 <= int(found.group(2)) <= 12:
        return text
    for parse in (date.fromisoformat, datetime.fromisoformat):
        try:
            parsed = parse(text)
        except ValueError:
            continue
        return f"{parsed.year:04d}-{parsed.month:02d}"
    return None


def parse_record(obj: Any, number: int) -> NoteRecord:
    """One result object to a record; raises RecordError when the shape is wrong."""
    if not isinstance(obj, dict):
        raise RecordError("not a JSON object")
    findings = obj.get("findings")
    if not isinstance(findings, list):
        raise RecordError("'findings' is missing or not a list")
    codes = obj.get("codes", {})
    if not isinstance(codes, dict):
        raise RecordError("'codes' is not an object")
    path, rid = obj.get("path"), obj.get("id")
    return NoteRecord(
        number=number,
        path=path if isinstance(path, str) else "",
        resource_id=str(rid) if isinstance(rid, str | int) and not isinstance(rid, bool) else None,
        month=parse_month(obj.get("date")),
        findings=tuple(_finding(f) for f in findings),
        reported=_codes(codes, "reported"),
        suggested=_codes(codes, "suggested"),
        checklists=_checklists(obj.get("checklists")),
    )


def _decode(raw: bytes) -> Any:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RecordError("not UTF-8") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise RecordError(f"invalid JSON at column {exc.colno}") from None
    except RecursionError:
        raise RecordError("JSON nested too deeply") from None


def read_stream(stream: IO[bytes], name: str, result: ReadResult) -> None:
    """Append every usable line of ``stream`` to ``result``; note each skipped line by number."""
    for line_no, raw in enumerate(stream, start=1):
        if not raw.strip():
            continue
        try:
            obj = _decode(raw)
            note = parse_record(obj, len(result.notes) + 1)
        except RecordError as exc:
            result.errors.append(f"{name}:{line_no}: skipped: {exc}")
            continue
        if obj.get("date") is not None and note.month is None:
            result.bad_dates += 1
        result.notes.append(note)


def read_results(paths: Sequence[str], stdin: IO[bytes] | None = None) -> ReadResult:
    """Read JSON Lines result files ("-" is standard input). Never raises for bad input."""
    result = ReadResult()
    for path in paths:
        if path == "-":
            read_stream(stdin or sys.stdin.buffer, "<stdin>", result)
            continue
        try:
            with open(path, "rb") as stream:
                read_stream(stream, path, result)
        except OSError as exc:
            result.errors.append(f"{path}: cannot read ({exc.strerror or type(exc).__name__})")
            result.unreadable_files += 1
    return result
