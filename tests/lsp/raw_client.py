"""A bare JSON-RPC client for what pytest-lsp cannot send: malformed and out-of-order messages,
and the TCP and WebSocket transports."""

from __future__ import annotations

import itertools
import json
import queue
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from typing import Any, BinaryIO, Protocol

TIMEOUT = 10.0


class Transport(Protocol):
    def send(self, body: bytes) -> None: ...
    def receive(self) -> bytes | None: ...  # None at end of stream
    def close(self) -> None: ...


class StreamTransport:
    """LSP base protocol framing (Content-Length headers) over a pair of byte streams."""

    def __init__(self, reader: BinaryIO, writer: BinaryIO, on_close: Callable[[], None]) -> None:
        self.reader, self.writer, self.on_close = reader, writer, on_close

    def send(self, body: bytes) -> None:
        self.writer.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.writer.flush()

    def receive(self) -> bytes | None:
        length = 0
        while True:
            line = self.reader.readline()
            if not line:
                return None
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
            elif line in (b"\r\n", b"\n"):
                return self.reader.read(length)

    def close(self) -> None:
        self.on_close()


class WebSocketTransport:
    def __init__(self, url: str) -> None:
        from websockets.sync.client import connect

        self.ws = _retry(lambda: connect(url, max_size=None))

    def send(self, body: bytes) -> None:
        self.ws.send(body.decode("utf-8"))

    def receive(self) -> bytes | None:
        from websockets.exceptions import ConnectionClosed

        try:
            data = self.ws.recv()
        except ConnectionClosed:
            return None
        return data.encode("utf-8") if isinstance(data, str) else data

    def close(self) -> None:
        self.ws.close()


def _retry(connect: Callable[[], Any]) -> Any:
    deadline = time.monotonic() + TIMEOUT
    while True:
        try:
            return connect()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def tcp_transport(host: str, port: int) -> StreamTransport:
    sock = _retry(lambda: socket.create_connection((host, port)))
    stream = sock.makefile("rwb")
    return StreamTransport(stream, stream, lambda: (stream.close(), sock.close()))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RawClient:
    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        self.ids = itertools.count(1)
        self.inbox: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.notifications: list[dict[str, Any]] = []
        self.responses: dict[Any, dict[str, Any]] = {}
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        while (body := self.transport.receive()) is not None:
            self.inbox.put(json.loads(body))
        self.inbox.put(None)

    def send(self, message: dict[str, Any] | bytes) -> None:
        body = message if isinstance(message, bytes) else json.dumps(message).encode("utf-8")
        self.transport.send(body)

    def notify(self, method: str, params: Any) -> None:
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def request(self, method: str, params: Any) -> dict[str, Any]:
        ident = next(self.ids)
        self.send({"jsonrpc": "2.0", "id": ident, "method": method, "params": params})
        return self.response(ident)

    def response(self, ident: Any) -> dict[str, Any]:
        """The response with ``ident``, answering the server's own requests meanwhile."""
        deadline = time.monotonic() + TIMEOUT
        while ident not in self.responses:
            self._pump(deadline)
        return self.responses.pop(ident)

    def notification(
        self, method: str, uri: str | None = None, timeout: float = TIMEOUT
    ) -> dict[str, Any]:
        """The first notification of ``method`` (for ``uri``), waiting for it if need be."""
        deadline = time.monotonic() + timeout
        while True:
            for message in self.notifications:
                params = message.get("params") or {}
                if message["method"] == method and uri in (None, params.get("uri")):
                    self.notifications.remove(message)
                    return message
            self._pump(deadline)

    def _pump(self, deadline: float) -> None:
        """Take one message from the server: file it, or answer it if it is a request."""
        try:
            message = self.inbox.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise TimeoutError("no answer from the server in time") from None
        if message is None:
            raise EOFError("the server closed the connection")
        if "method" not in message:
            self.responses[message.get("id")] = message
        elif "id" in message:
            self.send({"jsonrpc": "2.0", "id": message["id"], "result": None})
        else:
            self.notifications.append(message)

    def initialize(self, options: dict[str, Any] | None = None) -> dict[str, Any]:
        result = self.request(
            "initialize",
            {"processId": None, "capabilities": {}, "initializationOptions": options or {}},
        )
        self.notify("initialized", {})
        return result


class ServerProcess:
    """``notelint server`` (or another command) on stdio, its stderr collected."""

    def __init__(self, command: list[str]) -> None:
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        assert self.process.stdin and self.process.stdout and self.process.stderr
        self.stderr_chunks: list[bytes] = []
        stderr = self.process.stderr
        threading.Thread(
            target=lambda: self.stderr_chunks.extend(iter(lambda: stderr.read(4096), b"")),
            daemon=True,
        ).start()
        self.client = RawClient(
            StreamTransport(self.process.stdout, self.process.stdin, self.process.stdin.close)
        )

    def stop(self) -> tuple[int, str]:
        """Shut down politely (unless already gone), then the exit code and all of stderr."""
        try:
            if self.process.poll() is None:
                self.client.request("shutdown", None)
                self.client.notify("exit", None)
                self.process.wait(TIMEOUT)
        finally:
            if self.process.poll() is None:
                self.process.kill()
            self.process.wait()
        time.sleep(0.05)  # let the stderr reader drain
        return self.process.returncode, b"".join(self.stderr_chunks).decode("utf-8", "replace")
