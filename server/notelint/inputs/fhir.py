"""FHIR R4 input: Bulk Data NDJSON exports and Bundles of DocumentReference and DiagnosticReport.

Each resource's first inline ``text/plain`` attachment is one note, shown as
``export.ndjson#DocumentReference/abc``. Problems (a malformed line, a resource without an id, a PDF
or URL-only attachment) are reported with the file and line or entry number, never with content:
the message names the JSON structure, not values taken from it.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from notelint.core.safety import printable

NDJSON_SUFFIXES = frozenset({".ndjson"})
SUPPORTED = ("DocumentReference", "DiagnosticReport")
_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")  # FHIR R4 id datatype
_SNIFF_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class FhirNote:
    """One attachment to lint: its decoded bytes and what identifies the resource."""

    file: str
    resource: str  # "DocumentReference/abc"
    id: str
    data: bytes
    charset: str | None
    date: str | None
    where: str = ""  # "file:line" or "file: entry N", to tell apart two resources of one id

    @property
    def shown(self) -> str:
        return f"{self.file}#{self.resource}"

    def shown_again(self) -> str:
        """The name of a second resource with the same id in the same file: where it is."""
        position = self.where.removeprefix(self.file).lstrip(":").strip()
        return f"{self.shown} ({'line ' if position.isdigit() else ''}{position})"


@dataclass(frozen=True, slots=True)
class FhirProblem:
    """A line, entry or resource that cannot be linted; ``where`` is ``file:line`` or similar."""

    where: str
    message: str


FhirItem = FhirNote | FhirProblem


def is_ndjson(path: str) -> bool:
    return Path(path).suffix.lower() in NDJSON_SUFFIXES


def read_ndjson(path: str) -> Iterator[FhirItem]:
    """Resources one per line, read lazily: memory stays at one line however large the export."""
    try:
        handle = open(path, "rb")  # noqa: SIM115 - the generator closes it below
    except OSError as exc:
        yield FhirProblem(path, _os_error(exc))
        return
    with handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                yield from _from_line(path, number, line)


def read_bundle(path: str) -> Iterator[FhirItem] | None:
    """The notes in a FHIR JSON file (a Bundle or a single resource); None if it is not FHIR."""
    if Path(path).suffix.lower() != ".json":
        return None
    try:
        with open(path, "rb") as handle:
            if b'"resourceType"' not in handle.read(_SNIFF_BYTES):
                return None  # cheap test first: other JSON files are linted as text, as before
            handle.seek(0)
            data = handle.read()
    except OSError:
        return None  # reading it as a note reports the error
    return _from_document(path, data)


def _from_document(path: str, data: bytes) -> Iterator[FhirItem]:
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        where = f"{path}:{exc.lineno}" if isinstance(exc, json.JSONDecodeError) else path
        yield FhirProblem(where, "not valid JSON")
        return
    except (RecursionError, ValueError) as exc:
        yield FhirProblem(path, _unreadable_json(exc))
        return
    if not isinstance(document, dict) or document.get("resourceType") != "Bundle":
        yield from _from_resource(path, path, document)
        return
    entries = document.get("entry", [])
    if not isinstance(entries, list):
        yield FhirProblem(path, "Bundle.entry is not a list")
        return
    for number, entry in enumerate(entries, start=1):
        where = f"{path}: entry {number}"
        if not isinstance(entry, dict) or "resource" not in entry:
            yield FhirProblem(where, "Bundle entry without a resource")
            continue
        yield from _from_resource(path, where, entry["resource"], skip_others=True)


def _from_line(path: str, number: int, line: bytes) -> Iterator[FhirItem]:
    where = f"{path}:{number}"
    try:
        resource = json.loads(line)
    except json.JSONDecodeError as exc:
        # The decoder's message can quote the input (an invalid escape): give the column only.
        yield FhirProblem(where, f"not valid JSON (column {exc.colno})")
        return
    except UnicodeDecodeError:
        yield FhirProblem(where, "not valid UTF-8")
        return
    except (RecursionError, ValueError) as exc:
        yield FhirProblem(where, _unreadable_json(exc))
        return
    yield from _from_resource(path, where, resource, skip_others=True)


def _unreadable_json(exc: Exception) -> str:
    """JSON the decoder gives up on: nested too deep for it, or a number too long to convert."""
    if isinstance(exc, RecursionError):
        return "JSON nested too deeply to read"
    return "JSON with a number too long to read"


def _from_resource(
    path: str, where: str, resource: Any, skip_others: bool = False
) -> Iterator[FhirItem]:
    kind = resource.get("resourceType") if isinstance(resource, dict) else None
    if not isinstance(kind, str):
        yield FhirProblem(where, "not a FHIR resource (no resourceType)")
        return
    if kind not in SUPPORTED:
        # A Bulk Data export holds Patient, Encounter… beside the documents: nothing to lint there.
        if not skip_others:
            yield FhirProblem(
                where, f"{printable(kind[:80])} is not a DocumentReference or DiagnosticReport"
            )
        return
    rid = resource.get("id")
    if not isinstance(rid, str) or not _ID.fullmatch(rid):
        yield FhirProblem(where, f"{kind} without a valid id")
        return
    attachments = _attachments(resource, kind)
    if attachments is None:
        yield FhirProblem(where, f"{kind}/{rid}: malformed {_FIELD[kind]}")
        return
    yield _pick(path, where, f"{kind}/{rid}", rid, attachments, _date(resource, kind))


_FIELD = {"DocumentReference": "content", "DiagnosticReport": "presentedForm"}


def _attachments(resource: dict[str, Any], kind: str) -> list[dict[str, Any]] | None:
    items = resource.get(_FIELD[kind], [])
    if not isinstance(items, list):
        return None
    if kind == "DocumentReference":  # content[].attachment
        items = [c.get("attachment") if isinstance(c, dict) else None for c in items]
    if not all(isinstance(a, dict) for a in items):
        return None
    return items


def _date(resource: dict[str, Any], kind: str) -> str | None:
    keys = ("date",) if kind == "DocumentReference" else ("effectiveDateTime", "issued")
    for key in keys:
        value = resource.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def _pick(
    path: str,
    where: str,
    resource: str,
    rid: str,
    attachments: list[dict[str, Any]],
    date: str | None,
) -> FhirItem:
    """The first inline text/plain attachment (content[] holds one document in several formats)."""
    seen: list[str] = []
    for number, attachment in enumerate(attachments, start=1):
        media, charset = parse_content_type(attachment.get("contentType"))
        data = attachment.get("data")
        if media != "text/plain":
            seen.append(printable(media[:80]) if media else "no contentType")
        elif not isinstance(data, str):
            seen.append(
                "text/plain by URL only" if "url" in attachment else "text/plain without data"
            )
        elif charset is not None and not _known_charset(charset):
            return FhirProblem(where, f"{resource}: attachment {number}: unknown charset")
        else:
            decoded = _base64(data)
            if decoded is None:
                return FhirProblem(where, f"{resource}: attachment {number}: invalid base64 data")
            return FhirNote(path, resource, rid, decoded, charset, date, where)
    found = ", ".join(dict.fromkeys(seen)) or "no attachment"
    return FhirProblem(where, f"{resource}: no inline text/plain attachment ({found})")


def parse_content_type(value: object) -> tuple[str | None, str | None]:
    """``text/plain; charset=ISO-8859-1`` -> ("text/plain", "iso-8859-1")."""
    if not isinstance(value, str) or not value.strip():
        return None, None
    media, *params = value.split(";")
    charset = None
    for param in params:
        key, _, raw = param.partition("=")
        if key.strip().lower() == "charset":
            charset = raw.strip().strip('"').lower() or None
    return media.strip().lower(), charset


def _known_charset(charset: str) -> bool:
    try:
        return codecs.lookup(charset)._is_text_encoding
    except LookupError:
        return False


def _base64(data: str) -> bytes | None:
    try:
        return base64.b64decode("".join(data.split()), validate=True)
    except (binascii.Error, ValueError):
        return None


def _os_error(exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return "no such file or folder"
    return f"cannot read ({exc.strerror or type(exc).__name__})"


def count_resources(path: str) -> int:
    """Lines in an NDJSON file, for a progress estimate (read in blocks, not parsed)."""
    lines = 0
    try:
        with open(path, "rb") as handle:
            while block := handle.read(1 << 20):
                lines += block.count(b"\n")
    except OSError:
        return 1
    return max(lines, 1)
