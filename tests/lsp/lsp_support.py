"""Shared helpers for the language-server tests: notes, a client that starts ``notelint server``,
positions computed independently of the server's code, and the diagnostics the CLI would give."""

from __future__ import annotations

import asyncio
import sys
import time
import uuid
import weakref
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities

from notelint.core.analysis import analyze
from notelint.core.settings import Settings
from notelint.kb import load_knowledge_base
from notelint.present.json_format import file_json

SERVER = [sys.executable, "-m", "notelint.cli", "server"]
CLIENTS = ["visual-studio-code", "neovim", "emacs"]  # push/UTF-16, pull/UTF-8, push/UTF-32
HERE = Path(__file__).resolve().parent
FIXTURE_NOTES = sorted((HERE.parents[1] / "fixtures" / "notes").glob("*.txt"))
TIMEOUT = 10.0

# Non-ASCII before the findings so that positions differ in every encoding.
UNITS = (
    "PROCEDURE: Ultrasound-guided liver biopsy of a 2×3 cm “lesion” 😀 at 37 °C, 5 µg.\n"
    "The needle was advanced.\n"
    "CPT: 47000, 76942 x2\n"
)
UNREPORTED = (
    "PROCEDURE: Ultrasound-guided liver biopsy of a 2×3 cm “lesion” 😀.\n"
    "The needle was advanced under ultrasound in the hospital outpatient department.\n"
    "CPT: 47000\n"
)
MODIFIER = UNREPORTED.replace("CPT: 47000", "CPT: 47000, 76942")
BUNDLED = (
    "PROCEDURE: Ultrasound-guided arthrocentesis of the left knee.\n"
    "The needle was advanced into the joint under ultrasound; 10 mL of “straw” fluid aspirated.\n"
    "CPT: 20611-LT, 76942\n"
)
OTHER_MODALITY = (
    "PROCEDURE: Ultrasound-guided liver biopsy 😀.\n"
    "The needle was advanced under ultrasound.\n"
    "CPT: 47000, 77002\n"
)
LATERALITY = (
    "PROCEDURE: Ultrasound-guided injection of the left shoulder 😀.\n"
    "The needle was advanced under ultrasound.\n"
    "CPT: 20610-RT\n"
)
PARTLY_DOCUMENTED = (
    "PROCEDURE: Ultrasound-guided liver biopsy of a 2×3 cm “lesion” 😀.\n"
    "The needle was advanced under ultrasound in the hospital outpatient department.\n"
    "Representative images were archived in PACS.\n"
    "CPT: 47000, 76942-26\n"
)

T = TypeVar("T")
NEGOTIATED: weakref.WeakKeyDictionary[LanguageClient, str] = weakref.WeakKeyDictionary()
REGISTERED: weakref.WeakKeyDictionary[LanguageClient, list[types.Registration]] = (
    weakref.WeakKeyDictionary()
)
LENS_REFRESHES: weakref.WeakKeyDictionary[LanguageClient, list[None]] = weakref.WeakKeyDictionary()


def new_uri(name: str = "note") -> str:
    return f"untitled:{name}-{uuid.uuid4().hex[:8]}.txt"


def capabilities(client: str) -> types.ClientCapabilities:
    return client_capabilities(client)


async def start(
    client: LanguageClient,
    caps: types.ClientCapabilities,
    options: dict[str, Any] | None = None,
    root: Path | None = None,
) -> types.InitializeResult:
    registered = REGISTERED.setdefault(client, [])
    lens_refreshes = LENS_REFRESHES.setdefault(client, [])

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register(params: types.RegistrationParams) -> None:
        registered.extend(params.registrations)

    @client.feature(types.WORKSPACE_CODE_LENS_REFRESH)
    def refresh_lenses(params: None) -> None:
        lens_refreshes.append(params)

    result = await client.initialize_session(
        types.InitializeParams(
            capabilities=caps,
            initialization_options={"debounceMs": 0, **(options or {})},
            root_uri=root.as_uri() if root else None,
        )
    )
    NEGOTIATED[client] = str(result.capabilities.position_encoding or "utf-16")
    return result


async def finish(client: LanguageClient) -> None:
    """Shut the server down; kill it if the session never started or did not end in time
    (pytest-lsp's stop() waits for the server process to exit)."""
    try:
        await asyncio.wait_for(client.shutdown_session(), TIMEOUT)
    finally:
        server = client._server
        if server is not None and server.returncode is None:
            server.kill()


# --- positions, computed here without the server's LineIndex --------------------------------


def units(text: str, encoding: str) -> int:
    if encoding == "utf-8":
        return len(text.encode("utf-8"))
    if encoding == "utf-16":
        return len(text.encode("utf-16-le")) // 2
    return len(text)


def position(text: str, offset: int, encoding: str) -> types.Position:
    line = text.count("\n", 0, offset)
    start = text.rfind("\n", 0, offset) + 1
    return types.Position(line, units(text[start:offset], encoding))


def offset_of(text: str, pos: types.Position, encoding: str) -> int:
    start = 0
    for _ in range(pos.line):
        start = text.index("\n", start) + 1
    end = text.find("\n", start)
    end = len(text) if end < 0 else end
    for offset in range(start, end + 1):
        if units(text[start:offset], encoding) >= pos.character:
            return offset
    return end


def span_range(text: str, start: int, end: int, encoding: str) -> types.Range:
    return types.Range(position(text, start, encoding), position(text, end, encoding))


def encoding(client: LanguageClient) -> str:
    """The position encoding the server chose for this client at initialize."""
    return NEGOTIATED[client]


# --- documents --------------------------------------------------------------------------------


def open_note(client: LanguageClient, text: str, uri: str | None = None) -> str:
    uri = uri or new_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "plaintext", 1, text))
    )
    return uri


class Note:
    """The client's copy of a document, edited as an editor would (incremental changes)."""

    def __init__(self, client: LanguageClient, text: str, uri: str | None = None) -> None:
        self.client, self.encoding, self.text, self.version = client, encoding(client), text, 1
        self.uri = open_note(client, text, uri)

    def edit(self, start: int, end: int, new_text: str) -> None:
        change = types.TextDocumentContentChangePartial(
            range=span_range(self.text, start, end, self.encoding), text=new_text
        )
        self.text = self.text[:start] + new_text + self.text[end:]
        self._send([change])

    def apply(self, edit: types.WorkspaceEdit) -> None:
        """Apply a workspace edit to this note, last edit first so earlier ranges stay valid."""
        edits: Sequence[Any]
        if edit.document_changes:
            (change,) = edit.document_changes
            assert isinstance(change, types.TextDocumentEdit)
            assert change.text_document.uri == self.uri
            assert change.text_document.version == self.version
            edits = change.edits
        else:
            assert edit.changes is not None
            edits = edit.changes[self.uri]
        spans = [
            (
                offset_of(self.text, e.range.start, self.encoding),
                offset_of(self.text, e.range.end, self.encoding),
                e.new_text,
            )
            for e in edits
        ]
        changes = []
        for start, end, new_text in sorted(spans, key=lambda s: s[0], reverse=True):
            changes.append(
                types.TextDocumentContentChangePartial(
                    range=span_range(self.text, start, end, self.encoding), text=new_text
                )
            )
            self.text = self.text[:start] + new_text + self.text[end:]
        self._send(changes)

    def _send(self, changes: list[types.TextDocumentContentChangeEvent]) -> None:
        self.version += 1
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                types.VersionedTextDocumentIdentifier(version=self.version, uri=self.uri), changes
            )
        )

    def at(self, needle: str, delta: int = 0) -> types.Position:
        return position(self.text, self.text.index(needle) + delta, self.encoding)


# --- diagnostics ----------------------------------------------------------------------------

Projection = list[tuple[str, str, str, tuple[int, int, int, int]]]
_SEVERITY = {1: "error", 2: "warning", 3: "information", 4: "hint"}


def project(diagnostics: Sequence[types.Diagnostic]) -> Projection:
    def key(r: types.Range) -> tuple[int, int, int, int]:
        return r.start.line, r.start.character, r.end.line, r.end.character

    return sorted(
        (str(d.code), _SEVERITY[int(d.severity or 1)], d.message, key(d.range)) for d in diagnostics
    )


def expected(
    text: str, encoding: str, settings: Settings | None = None, rules: Sequence[str] = ()
) -> Projection:
    """What ``notelint check --format json`` says about ``text``, in the client's encoding."""
    report = analyze(text, load_knowledge_base(rules), settings or Settings())
    out = []
    for f in file_json("-", report)["findings"]:
        r = f["range"]
        start = offset_of(text, types.Position(**r["start"]), "utf-16")
        end = offset_of(text, types.Position(**r["end"]), "utf-16")
        rng = span_range(text, start, end, encoding)
        key = (rng.start.line, rng.start.character, rng.end.line, rng.end.character)
        out.append((f["rule"], f["severity"], f["message"], key))
    return sorted(out)


def pulls(client: LanguageClient) -> bool:
    caps = client.capabilities
    return bool(caps and caps.text_document and caps.text_document.diagnostic)


async def diagnostics(client: LanguageClient, uri: str) -> list[types.Diagnostic]:
    """The diagnostics the client has now: pulled, or the last ones pushed."""
    if pulls(client):
        report = await client.text_document_diagnostic_async(
            types.DocumentDiagnosticParams(types.TextDocumentIdentifier(uri))
        )
        assert isinstance(report, types.RelatedFullDocumentDiagnosticReport)
        return list(report.items)
    return list(client.diagnostics.get(uri, []))


async def settle(
    client: LanguageClient, uri: str, want: Projection, timeout: float = TIMEOUT
) -> list[types.Diagnostic]:
    """Wait until the client's diagnostics for ``uri`` are ``want``; fail showing both if not."""
    deadline = time.monotonic() + timeout
    while True:
        got = await diagnostics(client, uri)
        if project(got) == want or time.monotonic() > deadline:
            assert project(got) == want
            return got
        await asyncio.sleep(0.02)


async def eventually(check: Callable[[], Awaitable[T | None]], timeout: float = TIMEOUT) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (value := await check()) is not None:
            return value
        await asyncio.sleep(0.02)
    raise AssertionError("condition not met in time")
