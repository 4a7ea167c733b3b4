"""The language server: ``notelint server`` over stdio, TCP or WebSocket.

This module stays light (the CLI imports it for every ``notelint server``); pygls loads in
:func:`run`.
"""

from __future__ import annotations

import argparse
import sys

DEFAULT_HOST = "127.0.0.1"


def parse_address(value: str) -> tuple[str, int]:
    """``HOST:PORT``, ``:PORT`` or ``PORT``; the host defaults to loopback, never all interfaces."""
    host, _, port = value.rpartition(":")
    host = host.strip("[]") or DEFAULT_HOST
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"expected HOST:PORT, got {value!r}")
    return host, int(port)


def run(args: argparse.Namespace) -> int:
    """Serve until the client exits; the exit status follows LSP (0 after shutdown, else 1)."""
    from notelint.lsp.logs import configure_logging

    try:
        address = parse_address(args.tcp or args.ws) if (args.tcp or args.ws) else None
    except ValueError as exc:
        print(f"notelint: server: {exc}", file=sys.stderr)
        return 2
    configure_logging(args.log_level)

    from notelint.lsp.server import build_server

    server = build_server()
    try:
        if address and args.tcp:
            server.start_tcp(*address)
        elif address:
            server.start_ws(*address)
        else:
            server.start_io()
    finally:
        server.close()
    return server.exit_code
