"""One note's result as a batch run hands it to the output formats: plain data, made by the
batch workers and read by the emitters (which therefore need nothing of the batch machinery)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class FileResult:
    shown: str
    entry: dict[str, Any] | None = None  # json_format.file_json, for the structured formats
    block: str | None = None  # json: the entry as the document lists it, rendered by the worker
    lines: tuple[str, ...] = ()  # compiler-style lines, for text
    findings: int = 0
    failed: bool = False  # a finding at or above the file's fail-on severity
    error: str | None = None  # unreadable: the run exits 2
    meta: dict[str, str] = field(default_factory=dict)
    millis: float = 0.0
    profile: str = ""
    config_path: str | None = None
    rules: tuple[tuple[str, bool], ...] = ()  # each finding's rule, and whether --fix settles it
    fixed_text: str | None = None  # --fix: the note to write back (stdin: always)
    fixes_applied: int = 0
