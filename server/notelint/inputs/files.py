"""Read note files safely: size limit, binary detection, UTF-8 with a Windows-1252 fallback.

Errors name the file and the problem, never the content.
"""

from __future__ import annotations

import codecs
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from notelint.core.findings import InputIssue

NOTE_SUFFIXES = frozenset({".txt", ".text", ".md", ".markdown", ".note", ".dict"})
DEFAULT_MAX_BYTES = 2 * 1024 * 1024


@dataclass
class NoteInput:
    path: str
    text: str | None = None
    # Input rule ids with message values (NL901, NL903, NL904): analysis.analyze_input.
    issues: list[InputIssue] = field(default_factory=list)
    error: str | None = None  # unreadable: the run exits 2


@dataclass(frozen=True)
class Skipped:
    """An input that cannot be linted, found before reading: the run reports it and exits 2."""

    path: str
    reason: str


def discover(
    paths: Iterable[str], suffixes: frozenset[str] = NOTE_SUFFIXES
) -> Iterator[str | Skipped]:
    """Files named directly, and note files found recursively in folders (hidden ones skipped).
    A folder that cannot be listed, and a FIFO or device among a folder's notes, come out as
    :class:`Skipped`: nothing is left out in silence."""
    for raw in paths:
        try:
            is_folder = raw != "-" and Path(raw).is_dir()
        except OSError as exc:
            yield Skipped(raw, _cannot("open", exc))
            continue
        if is_folder:
            yield from _walk(raw, suffixes)
        else:
            yield raw


def _walk(top: str, suffixes: frozenset[str]) -> Iterator[str | Skipped]:
    """A folder's notes, in name order, depth first; iterative, so no depth is too deep."""
    pending = [top]
    while pending:
        folder = pending.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as exc:
            yield Skipped(folder, _cannot("list folder", exc))
            continue
        folders = []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                if entry.is_dir():
                    if not entry.is_symlink():  # as os.walk: a linked folder is not entered
                        folders.append(entry.path)
                elif Path(entry.name).suffix.lower() in suffixes:
                    yield entry.path if entry.is_file() else Skipped(entry.path, NOT_A_FILE)
            except OSError as exc:
                yield Skipped(entry.path, _cannot("open", exc))
        pending.extend(reversed(folders))  # files before subfolders, as os.walk gave them


NOT_A_FILE = "not a regular file (a FIFO, socket or device): skipped"


def is_special(path: str) -> bool:
    """Whether ``path`` is a FIFO, socket or device (reading one can wait for ever)."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return False  # reading it reports why
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def _cannot(what: str, exc: OSError) -> str:
    return f"cannot {what} ({exc.strerror or type(exc).__name__})"


def decode(data: bytes) -> tuple[str, bool]:
    """Text of ``data`` and whether it fell back to Windows-1252."""
    try:
        return data.decode("utf-8-sig"), False
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), True


def read_note(path: str, max_bytes: int = DEFAULT_MAX_BYTES) -> NoteInput:
    note = NoteInput(path)
    try:
        if is_special(path):
            note.error = NOT_A_FILE  # opening a FIFO would wait for a writer for ever
            return note
        size = os.path.getsize(path)
        if size > max_bytes:
            note.issues.append(too_large(max_bytes))
            return note
        with open(path, "rb") as handle:
            # As much as the file holds: asking for the limit would allocate it each time.
            data = handle.read(size + 1)
            if len(data) > size:  # it grew since: read on, up to the limit
                data += handle.read(max_bytes + 1 - len(data))
    except FileNotFoundError:
        note.error = "no such file or folder"
        return note
    except IsADirectoryError:
        note.error = "is a folder"
        return note
    except OSError as exc:
        note.error = f"cannot read ({exc.strerror or type(exc).__name__})"
        return note
    return from_bytes(path, data)


def from_bytes(path: str, data: bytes) -> NoteInput:
    note = NoteInput(path)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:  # UTF-16 is full of NUL bytes, but its byte-order mark says what it is
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            text = "\x00"
        if "\x00" not in text[:8192]:
            note.text = text
            return note
    if b"\x00" in data[:8192]:
        note.issues.append(("NL904", {}))
        return note
    note.text, fallback = decode(data)
    if fallback:
        note.issues.append(("NL901", {}))
    return note


def too_large(max_bytes: int) -> InputIssue:
    return ("NL903", {"limit": human_size(max_bytes)})


def text_issue(text: str, max_bytes: int) -> InputIssue | None:
    """Why an editor buffer is skipped as the CLI would skip the same file, or None to lint it."""
    if len(text.encode("utf-8", "surrogatepass")) > max_bytes:
        return too_large(max_bytes)
    if "\x00" in text[:8192]:
        return ("NL904", {})
    return None


def human_size(size: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:g} {unit}" if unit == "bytes" else f"{size:.0f} {unit}"
        size //= 1024
    return f"{size} GB"
