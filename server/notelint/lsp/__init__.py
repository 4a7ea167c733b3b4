"""The language server: ``notelint server`` over stdio, TCP or WebSocket.

This module stays light (the CLI imports it for every ``notelint server``); pygls loads in
:func:`run`.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from notelint.lsp.websocket import Policy

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
    if address and args.ws:
        return _run_ws(address, args)

    from notelint.lsp.streams import run_stdio, run_tcp

    if address and args.tcp:
        return run_tcp(*address, bool(getattr(args, "keep_running", False)))

    from notelint.lsp.server import build_server

    server = build_server()
    try:
        run_stdio(server)
    finally:
        server.close()
    return server.exit_code


def ws_policy(args: argparse.Namespace) -> Policy:
    """The WebSocket server's policy from ``--allow-origin``, ``--token`` / ``NOTELINT_TOKEN``
    and ``--max-message-mb``; raises ValueError with a message for the user."""
    from notelint.lsp.websocket import DEFAULT_ORIGINS, Policy

    origins = tuple(getattr(args, "allow_origin", None) or ()) or DEFAULT_ORIGINS
    token = getattr(args, "token", None) or os.environ.get("NOTELINT_TOKEN") or None
    megabytes = getattr(args, "max_message_mb", None)
    megabytes = 10 if megabytes is None else megabytes
    if not 0 < megabytes < 1024**2:  # 0 once meant 10 MB in silence
        raise ValueError("--max-message-mb: expected a size in megabytes above 0")
    return Policy(
        origins=origins,
        token=token,
        max_message=int(megabytes * 1024 * 1024),
        client_rule_folders=bool(getattr(args, "allow_client_rules", False)),
    )


def _run_ws(address: tuple[str, int], args: argparse.Namespace) -> int:
    """One language server per connection, behind the origin, token and size checks."""
    from notelint.lsp import websocket

    try:
        policy = ws_policy(args)
    except ValueError as exc:
        print(f"notelint: server: {exc}", file=sys.stderr)
        return 2
    return websocket.run(*address, policy, bool(getattr(args, "keep_running", False)))
