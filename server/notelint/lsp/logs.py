"""Logging that never carries note text (protected health information).

notelint's own messages are written to be safe: document ids, versions, sizes, rule ids and
positions. pygls logs whole message bodies (which hold the note) at info and debug level and
quotes parameters in its error messages, so records from other libraries keep only their
message template, never the interpolated values. Tracebacks keep code frames and exception
types and drop exception messages, which can quote the text being processed.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import sys
import threading
import traceback
from collections.abc import Iterator
from types import TracebackType
from typing import Any

_OWN = "notelint"
_TEMPLATE_LIMIT = 200


def doc_id(uri: str) -> str:
    """A stable short name for a document in logs: file names can carry patient names."""
    return "doc-" + hashlib.sha256(uri.encode("utf-8", "surrogatepass")).hexdigest()[:10]


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def describe_exception(exc: BaseException) -> str:
    """Exception types and code frames, causes first as Python prints them; never the messages."""
    parts = []
    for item in reversed(list(_chain(exc))):
        frames = [
            f"  {f.filename}:{f.lineno} in {f.name}"
            for f in traceback.extract_tb(item.__traceback__)
        ]
        parts.append("\n".join([f"{type(item).__module__}.{type(item).__qualname__}", *frames]))
    return "\n-- during handling of the above, another exception occurred --\n".join(parts)


class SafeFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        own = record.name == _OWN or record.name.startswith(_OWN + ".")
        message = record.getMessage() if own else str(record.msg)[:_TEMPLATE_LIMIT]
        line = f"{self.formatTime(record)} {record.levelname} {record.name}: {message}"
        if record.exc_info and record.exc_info[1] is not None:
            line += "\n" + describe_exception(record.exc_info[1])
        return line


def _unhandled(kind: str, exc: BaseException | None) -> None:
    logging.getLogger(_OWN).error(
        "unhandled exception in %s\n%s", kind, describe_exception(exc) if exc else "(none)"
    )


def _excepthook(
    exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
) -> None:
    _unhandled("main thread", exc)


def _thread_excepthook(args: threading.ExceptHookArgs) -> None:
    _unhandled("a thread", args.exc_value)


def loop_exception_handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """asyncio's default handler prints the failed task's repr, which quotes exception messages."""
    exc = context.get("exception")
    _unhandled(f"the event loop ({context.get('message', 'no message')})", exc)


def configure_logging(level: str) -> None:
    """Log to stderr (stdout may carry the protocol), at ``level``, through the safe formatter."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(SafeFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    sys.excepthook = _excepthook
    threading.excepthook = _thread_excepthook
