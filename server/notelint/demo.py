"""``notelint demo``: the web editor (editors/web) against a live language server, on loopback.

Two loopback ports: the WebSocket language server (origin-checked, one session per connection)
and a small static server for the built page, which also answers

- ``/config.json``: where the language server listens;
- ``/explain/RULE``: ``notelint explain RULE`` as plain text (the "explain" links);
- ``/glossary.json``: each code's and modifier's description (the side panel's plain words).

Nothing the page sends to these endpoints is note text, and none of them is logged.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import sys
import threading
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from notelint.kb import KnowledgeBase, load_knowledge_base
from notelint.kb.models import Code
from notelint.present.explain import explain_text

HOST = "127.0.0.1"
NOT_BUILT = "point NOTELINT_WEB_DIST at a built page, or run npm ci && npm run build in editors/web"


def dist_folder() -> Path:
    """The built page: $NOTELINT_WEB_DIST, else the one shipped in the package (notelint/web)."""
    configured = os.environ.get("NOTELINT_WEB_DIST")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parent / "web"


def requirement_labels(kb: KnowledgeBase, code: Code) -> dict[str, str]:
    """Each requirement's label keyed by the rule that reports it missing.

    Keyed by rule, not element: one element can carry two requirements (77002's reason for
    guidance is NL104; ASH's "why not ultrasound" is NL111), each with its own wording.
    """
    labels: dict[str, str] = {}
    for requirement in code.requires:
        element = kb.elements[str(requirement.element)]
        labels.setdefault(requirement.rule or element.rule, requirement.label or element.label)
    return labels


def glossary(kb: KnowledgeBase) -> dict[str, Any]:
    return {
        "codes": {
            code_id: {
                "description": code.description,
                "modifiers": list(code.modifiers),
                "requires": requirement_labels(kb, code),
            }
            for code_id, code in sorted(kb.codes.items())
        },
        "elements": {name: element.label for name, element in sorted(kb.elements.items())},
        "modifiers": {name: m.meaning for name, m in sorted(kb.modifiers.items())},
        "rules": {rid: {"name": r.name, "summary": r.summary} for rid, r in kb.rules.items()},
    }


class _Handler(SimpleHTTPRequestHandler):
    """Static files from the built page, plus the three JSON/text endpoints."""

    kb: KnowledgeBase
    ws_url: str = ""

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path == "/config.json":
            self._send(json.dumps({"server": self.ws_url}), "application/json")
        elif path == "/glossary.json":
            self._send(json.dumps(glossary(self.kb)), "application/json")
        elif path.startswith("/explain/"):
            rule = path.removeprefix("/explain/").upper()
            if rule in self.kb.rules:
                self._send(explain_text(self.kb, rule) + "\n", "text/plain; charset=utf-8")
            else:
                self._send("unknown rule\n", "text/plain; charset=utf-8", HTTPStatus.NOT_FOUND)
        else:
            super().do_GET()

    def _send(self, body: str, kind: str, status: HTTPStatus = HTTPStatus.OK) -> None:
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def end_headers(self) -> None:
        ws = self.ws_url.rstrip("/")
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("X-Frame-Options", "SAMEORIGIN")
        self.send_header(
            "Content-Security-Policy",
            f"default-src 'self'; connect-src 'self' {ws}; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; frame-ancestors 'self'",
        )
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: request lines are nobody's business (and the page never sends note text)."""


def start_page_server(
    dist: Path, kb: KnowledgeBase, port: int = 0
) -> tuple[ThreadingHTTPServer, type[_Handler]]:
    """Serve the page in a thread; set the returned class's ``ws_url`` once the server is up."""
    handler = type("Handler", (_Handler,), {"kb": kb})
    httpd = ThreadingHTTPServer((HOST, port), functools.partial(handler, directory=str(dist)))
    threading.Thread(target=httpd.serve_forever, name="notelint-demo-http", daemon=True).start()
    return httpd, handler


def run_demo(args: argparse.Namespace) -> int:
    from notelint.lsp.logs import configure_logging
    from notelint.lsp.websocket import Policy, Sessions

    dist = dist_folder()
    if not (dist / "index.html").is_file():
        print(f"notelint demo: the web editor is not built ({dist}): {NOT_BUILT}", file=sys.stderr)
        return 2
    configure_logging(args.log_level)
    kb = load_knowledge_base()
    try:
        httpd, handler = start_page_server(dist, kb, args.port)
    except OSError as exc:
        print(f"notelint demo: cannot serve the page ({exc.strerror})", file=sys.stderr)
        return 2
    page = f"http://{HOST}:{httpd.server_address[1]}/"

    def ready(host: str, port: int) -> None:
        handler.ws_url = f"ws://{host}:{port}/"
        print(f"notelint demo: open {page}", flush=True)
        print(f"  language server: ws://{host}:{port}/ (pages from loopback only)", flush=True)
        print("  Ctrl-C stops", flush=True)

    try:
        asyncio.run(Sessions(Policy()).serve(HOST, 0, ready))
    except KeyboardInterrupt:
        pass
    finally:
        httpd.shutdown()
    return 0
