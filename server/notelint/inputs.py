"""Read note files safely: size limit, binary detection, UTF-8 with a Windows-1252 fallback.

Errors name the file and the problem, never the content.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

NOTE_SUFFIXES = frozenset({".txt", ".text", ".md", ".markdown", ".note", ".dict"})
DEFAULT_MAX_BYTES = 2 * 1024 * 1024


@dataclass
class NoteInput:
    path: str
    text: str | None = None
    # Input rule ids with message values, for findings the front end adds (NL901, NL903, NL904).
    issues: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    error: str | None = None  # unreadable: the run exits 2


def discover(paths: Iterable[str], suffixes: frozenset[str] = NOTE_SUFFIXES) -> Iterator[str]:
    """Files named directly, and note files found recursively in folders (hidden ones skipped)."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if not name.startswith(".") and Path(name).suffix.lower() in suffixes:
                        yield str(Path(root) / name)
        else:
            yield raw


def decode(data: bytes) -> tuple[str, bool]:
    """Text of ``data`` and whether it fell back to Windows-1252."""
    try:
        return data.decode("utf-8-sig"), False
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), True


def read_note(path: str, max_bytes: int = DEFAULT_MAX_BYTES) -> NoteInput:
    note = NoteInput(path)
    try:
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
    if b"\x00" in data[:8192]:
        note.issues.append(("NL904", {}))
        return note
    note.text, fallback = decode(data)
    if fallback:
        note.issues.append(("NL901", {}))
    return note


Issue = tuple[str, dict[str, str]]


def too_large(max_bytes: int) -> Issue:
    return ("NL903", {"limit": human_size(max_bytes)})


def text_issue(text: str, max_bytes: int) -> Issue | None:
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
