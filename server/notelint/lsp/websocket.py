"""LSP over WebSocket for editors embedded in web pages (an EHR), with a session per connection.

Notes are protected health information, so the WebSocket server is locked down by default:

- it binds loopback unless told otherwise (:func:`notelint.lsp.parse_address`);
- the opening handshake is refused with HTTP 403 unless the page's ``Origin`` is on the
  allow-list (by default only pages served from loopback: ``http://localhost:*``,
  ``http://127.0.0.1:*``, ``http://[::1]:*``). A client that sends no ``Origin`` is not a
  browser (an editor plugin, a script) and is let through: a web page cannot leave it out;
- when a token is configured, the handshake is refused with HTTP 401 unless it carries the
  token, as ``Authorization: Bearer TOKEN``, a ``?token=TOKEN`` query parameter, or (what a
  browser can set) an offered subprotocol ``notelint.bearer.TOKEN`` next to ``notelint``;
- a message larger than the limit (10 MB by default) closes the connection (code 1009);
- every connection gets its own language server (document store, settings, analyses): one
  author never sees another's note, even under the same URI;
- nothing here logs note text, the token or the query string: only origins, sizes and counts.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, cast
from urllib.parse import parse_qs, urlsplit

from pygls.exceptions import JsonRpcException
from websockets.asyncio.server import ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed, ConnectionClosedOK
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

from notelint.core.safety import printable
from notelint.lsp.streams import listen

log = logging.getLogger(__name__)

DEFAULT_ORIGINS = ("http://localhost:*", "http://127.0.0.1:*", "http://[::1]:*")
DEFAULT_MAX_MESSAGE = 10 * 1024 * 1024
DEFAULT_MAX_CONNECTIONS = 64
DEFAULT_MAX_PER_ORIGIN = 16  # one page (or one script) cannot take every slot
DEFAULT_IDLE_TIMEOUT = 15 * 60.0  # seconds without a message before a session is closed
SUBPROTOCOL = Subprotocol("notelint")
TOKEN_SUBPROTOCOL_PREFIX = "notelint.bearer."

_ORIGIN = re.compile(
    r"(?P<scheme>https?)://(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?P<port>:\*|:\d{1,5})?"
)


def origin_pattern(allowed: str) -> re.Pattern[str]:
    """``scheme://host[:port]``, where the port may be ``*`` (any port, or none). Nothing else is
    a wildcard: a pattern is matched against the whole ``Origin`` header."""
    allowed = allowed.strip().rstrip("/")
    match = _ORIGIN.fullmatch(allowed)
    if match is None:
        raise ValueError(
            f"expected an origin like https://ehr.example.org or http://localhost:*, got {allowed!r}"
        )
    base = re.escape(f"{match['scheme']}://{match['host']}".lower())
    port = match["port"]
    if port == ":*":
        return re.compile(base + r"(?::\d{1,5})?")
    return re.compile(base + re.escape(port or ""))


@dataclass(frozen=True)
class Policy:
    """Who may connect and how much they may send."""

    origins: tuple[str, ...] = DEFAULT_ORIGINS
    token: str | None = None
    max_message: int = DEFAULT_MAX_MESSAGE
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    max_per_origin: int = DEFAULT_MAX_PER_ORIGIN
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT
    client_rule_folders: bool = False  # may a client name rule folders on this machine?
    patterns: tuple[re.Pattern[str], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "patterns", tuple(origin_pattern(o) for o in self.origins))
        if self.token is not None and not _token_chars(self.token):
            raise ValueError("the token must be 16 or more letters, digits, '-', '_' or '.'")
        if self.max_message < 1024:
            raise ValueError("the message size limit must be at least 1 KB")

    def origin_allowed(self, origin: str | None) -> bool:
        if origin is None:
            return True  # not a browser: a web page cannot leave Origin out
        origin = origin.lower()
        return any(p.fullmatch(origin) for p in self.patterns)

    def token_presented(self, request: Request) -> bool:
        if self.token is None:
            return True
        return any(hmac.compare_digest(c.encode(), self.token.encode()) for c in _offered(request))


def _token_chars(token: str) -> bool:
    return re.fullmatch(r"[A-Za-z0-9._~-]{16,}", token) is not None


def _offered(request: Request) -> list[str]:
    """Every token the request presents: Authorization header, query string, subprotocols."""
    headers: Headers = request.headers
    found: list[str] = []
    for value in headers.get_all("Authorization"):
        scheme, _, credentials = value.strip().partition(" ")
        if scheme.lower() == "bearer" and credentials.strip():
            found.append(credentials.strip())
    found.extend(parse_qs(urlsplit(request.path).query).get("token", []))
    for value in headers.get_all("Sec-WebSocket-Protocol"):
        for offered in (item.strip() for item in value.split(",")):
            if offered.startswith(TOKEN_SUBPROTOCOL_PREFIX):
                found.append(offered[len(TOKEN_SUBPROTOCOL_PREFIX) :])
    return found


def _select_subprotocol(connection: ServerConnection, offered: Any) -> Subprotocol | None:
    """Answer ``notelint`` when offered (a browser that offers subprotocols needs one chosen);
    never echo a token back unless the client offered nothing else."""
    offered = list(offered)
    if SUBPROTOCOL in offered:
        return SUBPROTOCOL
    return next((Subprotocol(p) for p in offered if p.startswith(TOKEN_SUBPROTOCOL_PREFIX)), None)


class _Gate:
    """The opening handshake: connection count, origin, then token."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.open = 0
        self.by_origin: dict[str | None, int] = {}

    def check(self, connection: ServerConnection, request: Request) -> Response | None:
        origin = request.headers.get("Origin")
        if self.open >= self.policy.max_connections:
            log.warning("refused a connection: %d sessions already open", self.open)
            return connection.respond(HTTPStatus.SERVICE_UNAVAILABLE, "too many connections\n")
        if self.by_origin.get(_origin_key(origin), 0) >= self.policy.max_per_origin:
            log.warning("refused a connection: origin %s has its limit open", _printable(origin))
            return connection.respond(
                HTTPStatus.TOO_MANY_REQUESTS, "too many connections from this origin\n"
            )
        if not self.policy.origin_allowed(origin):
            log.warning("refused a connection from origin %s (403)", _printable(origin))
            return connection.respond(HTTPStatus.FORBIDDEN, "origin not allowed\n")
        if not self.policy.token_presented(request):
            log.warning("refused a connection without a valid token (401)")
            response = connection.respond(HTTPStatus.UNAUTHORIZED, "token required\n")
            response.headers["WWW-Authenticate"] = 'Bearer realm="notelint"'
            return response
        return None


def _origin_key(origin: str | None) -> str | None:
    return origin.lower() if origin is not None else None


def _printable(origin: str | None) -> str:
    if origin is None:
        return "(none)"
    return printable(origin[:120])


class _Writer:
    """pygls's writer interface over one connection: text frames, dropped once closed."""

    def __init__(self, connection: ServerConnection) -> None:
        self.connection = connection
        self.closed = False
        self.pending: set[asyncio.Task[None]] = set()

    def write(self, data: bytes) -> None:
        if self.closed:
            return
        task = asyncio.ensure_future(self._send(data.decode("utf-8")))
        self.pending.add(task)
        task.add_done_callback(self.pending.discard)

    async def _send(self, text: str) -> None:
        try:
            await self.connection.send(text)
        except ConnectionClosed:
            self.closed = True

    def close(self) -> None:
        self.closed = True


class Sessions:
    """The WebSocket server: hands each accepted connection its own language server."""

    def __init__(self, policy: Policy, stop_on_exit: bool = False) -> None:
        self.policy = policy
        self.gate = _Gate(policy)
        self.opened = 0
        # LSP's exit ends the process for a server an editor launched for itself; here only
        # when the last open session says it, so one author never ends another's session.
        self.stop_on_exit = stop_on_exit
        self.stopped = asyncio.Event()
        self.exit_code = 0

    async def session(self, connection: ServerConnection) -> None:
        from notelint.lsp.protocol import NotelintProtocol
        from notelint.lsp.pygls_adapter import dispatch
        from notelint.lsp.server import build_server

        origin = (
            _origin_key(connection.request.headers.get("Origin")) if connection.request else None
        )
        self.gate.open += 1
        self.gate.by_origin[origin] = self.gate.by_origin.get(origin, 0) + 1
        self.opened += 1
        number = self.opened
        log.info("session %d opened (%d open)", number, self.gate.open)
        server = build_server()
        server.client_rule_folders = self.policy.client_rule_folders
        protocol = cast(NotelintProtocol, server.protocol)
        writer = _Writer(connection)
        protocol.set_writer(writer, include_headers=False)
        reason = "client closed the connection"
        try:
            async for data in _messages(connection, self.policy.idle_timeout):
                try:
                    message = json.loads(data, object_hook=protocol.structure_message)
                except Exception as exc:  # not JSON, or not JSON-RPC: answered, never quoted
                    log.warning("session %d: unreadable message (%s)", number, type(exc).__name__)
                    server.report_server_error(exc, JsonRpcException)
                    continue
                if getattr(message, "method", None) == "exit":
                    reason = "client said exit"
                    if self.stop_on_exit and self.gate.open == 1:
                        self.exit_code = server.exit_code
                        self.stopped.set()
                    break
                if dispatch(protocol, message):  # pygls's exit: end this session, not the process
                    break
        except ConnectionClosed as exc:
            code = exc.rcvd.code if exc.rcvd else exc.sent.code if exc.sent else None
            reason = f"connection closed (code {code})"
        except TimeoutError:
            reason = f"idle for {self.policy.idle_timeout:g} s"
            await connection.close(1001, "idle")
        finally:
            self.gate.by_origin[origin] -= 1
            if not self.gate.by_origin[origin]:
                del self.gate.by_origin[origin]
            writer.close()
            for doc in server.documents.values():
                server.linter.cancel(doc)
            server.documents.clear()
            server.close()
            self.gate.open -= 1
            log.info("session %d ended: %s", number, reason)
            await connection.close()

    async def serve(
        self,
        host: str,
        port: int,
        ready: Callable[[str, int], None] | None = None,
        stop: asyncio.Event | None = None,
    ) -> None:
        """Serve until ``stop`` is set (or forever); ``ready`` gets the bound host and port."""
        async with serve(
            self.session,
            host,
            port,
            process_request=self.gate.check,
            select_subprotocol=_select_subprotocol,
            max_size=self.policy.max_message,
            server_header=None,
        ) as server:
            bound = server.sockets[0].getsockname()
            if ready is not None:
                ready(host, int(bound[1]))
            waits = [asyncio.ensure_future(self.stopped.wait())]
            if stop is not None:
                waits.append(asyncio.ensure_future(stop.wait()))
            try:
                await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiting in waits:
                    waiting.cancel()


async def _messages(connection: ServerConnection, idle: float) -> AsyncIterator[str | bytes]:
    """The connection's messages; TimeoutError when none comes for ``idle`` seconds."""
    while True:
        try:
            yield await asyncio.wait_for(connection.recv(), idle)
        except ConnectionClosedOK:
            return


def describe(policy: Policy, host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    token = "a token is required" if policy.token else "no token"
    return (
        f"notelint: LSP over WebSocket at ws://{shown}:{port}/ "
        f"(pages from {', '.join(policy.origins)}; {token})"
    )


def run(host: str, port: int, policy: Policy, keep_running: bool = False) -> int:
    """``notelint server --ws``: serve until interrupted or, unless ``keep_running``, until the
    last open session says exit (status 0 after shutdown, else 1, as LSP says)."""

    def ready(bound_host: str, bound_port: int) -> None:
        print(describe(policy, bound_host, bound_port), file=sys.stderr, flush=True)

    sessions = Sessions(policy, stop_on_exit=not keep_running)
    return listen(sessions.serve(host, port, ready), host, port, lambda: sessions.exit_code)
