"""LSP over byte streams (stdio, TCP): bounded message framing, and a session per TCP connection.

pygls's own loop reads whatever ``Content-Length`` says into memory at once (a header claiming
100 GB ended the server with MemoryError) and its TCP server shares one language server across
connections (a second client saw the first one's notes). Here a message over the limit is read
past in small pieces and answered with an error; every TCP connection gets its own language
server, as every WebSocket connection does.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Protocol, cast

from lsprotocol import types

from notelint.lsp.protocol import NotelintProtocol, Rejected
from notelint.lsp.pygls_adapter import dispatch
from notelint.lsp.server import NotelintServer, build_server

log = logging.getLogger(__name__)

DEFAULT_MAX_MESSAGE = 64 * 1024 * 1024  # a 2 MiB note is at most about 12 MB as JSON
_CHUNK = 64 * 1024
_MAX_HEADER_LINES = 32


class Reader(Protocol):
    def readline(self) -> Awaitable[bytes]: ...

    def readexactly(self, n: int) -> Awaitable[bytes]: ...


async def serve_messages(
    reader: Reader, server: NotelintServer, max_message: int = DEFAULT_MAX_MESSAGE
) -> bool:
    """Read framed messages and hand each to ``server`` until the stream ends (False) or the
    client says exit (True)."""
    protocol = cast(NotelintProtocol, server.protocol)
    while True:
        length = await _content_length(reader)
        if length is None:
            return False
        if length > max_message:
            log.warning("refused a message of %d bytes (limit %d)", length, max_message)
            if not await _skip(reader, length):
                return False
            protocol.handle_message(
                Rejected(None, None, types.ErrorCodes.InvalidRequest, "message too large")
            )
            continue
        body = await reader.readexactly(length)
        if len(body) < length:
            return False  # the stream ended inside a message
        try:
            message = json.loads(body, object_hook=protocol.structure_message)
        except Exception as exc:  # not JSON, or not JSON-RPC: answered, never quoted
            log.warning("unreadable message (%s)", type(exc).__name__)
            server.report_server_error(exc, Exception)
            continue
        if dispatch(protocol, message):  # exit: the session ends here
            return True


async def _content_length(reader: Reader) -> int | None:
    """The next message's length from its headers; None at the end of the stream."""
    length: int | None = None
    for _ in range(_MAX_HEADER_LINES):
        line = await reader.readline()
        if not line:
            return None
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length" and value.strip().isdigit():
            length = int(value.strip()[:20])
        elif not line.strip() and length is not None:
            return length
    log.warning("a message header without a usable Content-Length; the stream ends here")
    return None


async def _skip(reader: Reader, length: int) -> bool:
    """Read past ``length`` bytes without keeping them; False if the stream ends first."""
    while length > 0:
        step = min(length, _CHUNK)
        if len(await reader.readexactly(step)) < step:
            return False
        length -= step
    return True


class TcpSessions:
    """``notelint server --tcp``: each connection its own language server (documents,
    settings, analyses). The process ends when the last open session says exit, unless told to
    keep running."""

    def __init__(self, keep_running: bool = False, max_message: int = DEFAULT_MAX_MESSAGE) -> None:
        self.keep_running = keep_running
        self.max_message = max_message
        self.open = 0
        self.opened = 0
        self.exit_code = 0
        self.stopped = asyncio.Event()

    async def session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.open += 1
        self.opened += 1
        number = self.opened
        log.info("session %d opened (%d open)", number, self.open)
        server = build_server()
        server.protocol.set_writer(writer)
        said_exit = False
        try:
            said_exit = await serve_messages(reader, server, self.max_message)
        except (ConnectionError, asyncio.IncompleteReadError) as exc:
            log.info("session %d: connection lost (%s)", number, type(exc).__name__)
        finally:
            for doc in server.documents.values():
                server.linter.cancel(doc)
            server.documents.clear()
            server.close()
            self.open -= 1
            log.info("session %d ended", number)
            writer.close()
            if said_exit and not self.keep_running and self.open == 0:
                self.exit_code = server.exit_code
                self.stopped.set()

    async def serve(
        self, host: str, port: int, ready: Callable[[str, int], None] | None = None
    ) -> None:
        listener = await asyncio.start_server(self.session, host, port)
        async with listener:
            if ready is not None:
                ready(host, int(listener.sockets[0].getsockname()[1]))
            await self.stopped.wait()


def run_tcp(host: str, port: int, keep_running: bool = False) -> int:
    sessions = TcpSessions(keep_running)
    return listen(sessions.serve(host, port), host, port, lambda: sessions.exit_code)


def listen(
    serving: Coroutine[Any, Any, None], host: str, port: int, code: Callable[[], int]
) -> int:
    """Run a listening transport until it stops: Ctrl-C is a clean stop (0), a port that cannot
    be bound is exit 2 with one line; otherwise ``code()``, the sessions' own exit status."""
    try:
        asyncio.run(serving)
    except KeyboardInterrupt:
        return 0
    except OSError as exc:
        print(f"notelint: server: cannot listen on {host}:{port} ({exc.strerror})", file=sys.stderr)
        return 2
    return code()


def run_stdio(server: NotelintServer) -> None:
    """Serve one client on standard input and output."""
    from pygls.io_ import StdinAsyncReader, StdoutWriter

    server.protocol.set_writer(StdoutWriter(sys.stdout.buffer))
    reader = StdinAsyncReader(sys.stdin.buffer, server.thread_pool)
    try:
        asyncio.run(serve_messages(reader, server))
    except BrokenPipeError:
        log.error("the client closed the connection")
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.shutdown()  # type: ignore[no-untyped-call]
