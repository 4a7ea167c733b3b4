"""Describe failures without protected health information.

Exception messages can quote the input (a decode error, a key taken from the note), so what
leaves the process names the exception type and where in notelint it was raised, never the
message or any local value.
"""

from __future__ import annotations

import traceback
from pathlib import Path

from notelint.core.findings import AnalysisError

_PACKAGE = Path(__file__).resolve().parents[1]


def describe_failure(exc: BaseException) -> str:
    """``ValueError at notelint/core/decide.py:120`` — type and innermost notelint frame only.
    A failure the core placed (AnalysisError) is described by its cause."""
    if isinstance(exc, AnalysisError) and exc.__cause__ is not None:
        exc = exc.__cause__
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if Path(f.filename).resolve().is_relative_to(_PACKAGE)]
    where = ours[-1] if ours else (frames[-1] if frames else None)
    if where is None:
        return type(exc).__name__
    name = Path(where.filename).resolve()
    shown = (
        name.relative_to(_PACKAGE.parent)
        if name.is_relative_to(_PACKAGE.parent)
        else Path(name.name)
    )
    return f"{type(exc).__name__} at {shown}:{where.lineno}"


def printable(name: str) -> str:
    """A file name or id as it may be shown on a terminal: control characters (newline, ESC)
    and undecodable bytes become '?', so a name cannot forge lines or move the cursor."""
    return "".join(c if c.isprintable() and not 0xD800 <= ord(c) <= 0xDFFF else "?" for c in name)
