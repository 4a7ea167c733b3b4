"""The JSON-RPC layer: every bad or out-of-order request gets an error response, never a crash.

pygls drops some of these silently (a request after shutdown, params that do not parse) or
answers with the exception text, which may quote the note. This subclass answers each with a
fixed message, and leaves document text to the server's own store (pygls would keep a second
copy and re-split it into lines on every keystroke). What it needs of pygls's private parts
goes through :mod:`notelint.lsp.pygls_adapter`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException

from notelint.lsp.pygls_adapter import PyglsProtocol, builtin, call_feature, is_shut_down, send_data

log = logging.getLogger(__name__)

SERVER_NOT_INITIALIZED = -32002
_ALWAYS_ALLOWED = {types.INITIALIZE, types.EXIT, types.CANCEL_REQUEST}


@dataclass(frozen=True, slots=True)
class Rejected:
    """A message that could not be read as what it claims to be, still answerable by id."""

    id: int | str | None
    method: str | None
    code: int
    message: str


class NotelintProtocol(PyglsProtocol):
    initialized = False

    def structure_message(self, data: dict[str, Any]) -> Any:
        ident = data.get("id") if "jsonrpc" in data else None  # nested objects pass through
        if isinstance(ident, bool) or not isinstance(ident, int | str | None):
            # JSON-RPC ids are strings, numbers or null: answer as unreadable, with id null.
            return Rejected(None, None, types.ErrorCodes.InvalidRequest, "invalid request id")
        try:
            return super().structure_message(data)
        except JsonRpcException as exc:
            if "id" in data and "method" in data:
                method = str(data["method"])
                return Rejected(data["id"], method, exc.code, f"invalid params for {method}")
            raise

    def handle_message(self, message: Any) -> None:
        """Check the message's shape and order before pygls dispatches it."""
        rejected = self.rejection(message)
        if rejected is None:
            super().handle_message(message)
            return
        log.warning(
            "rejected %s (%d): %s", rejected.method or "a message", rejected.code, rejected.message
        )
        if rejected.id is not None or rejected.method is None:  # a request, or unreadable
            error = types.ResponseError(rejected.code, rejected.message)
            send_data(self, types.ResponseErrorMessage(id=rejected.id, error=error))

    def rejection(self, message: Any) -> Rejected | None:
        if isinstance(message, Rejected):
            return message
        if getattr(message, "jsonrpc", None) != "2.0":  # JSON, but not a JSON-RPC 2.0 message
            ident = message.get("id") if isinstance(message, dict) else getattr(message, "id", None)
            valid_id = ident if isinstance(ident, int | str) else None
            return Rejected(
                valid_id, None, types.ErrorCodes.InvalidRequest, "not a JSON-RPC message"
            )
        method = getattr(message, "method", None)
        ident = getattr(message, "id", None)
        if method is None or ident is None:  # a response or a notification
            if method is not None and not self.initialized and method not in _ALWAYS_ALLOWED:
                return Rejected(None, method, SERVER_NOT_INITIALIZED, "server not initialized")
            return None
        if method == types.INITIALIZE and self.initialized:
            return Rejected(ident, method, types.ErrorCodes.InvalidRequest, "already initialized")
        if not self.initialized and method not in _ALWAYS_ALLOWED:
            return Rejected(ident, method, SERVER_NOT_INITIALIZED, "server not initialized")
        if is_shut_down(self) and method != types.EXIT:
            return Rejected(
                ident, method, types.ErrorCodes.InvalidRequest, "server is shutting down"
            )
        return None

    def reject_unparsable(self, exc: Exception) -> None:
        """The transport could not parse a body as JSON: answer as JSON-RPC says, with id null."""
        if isinstance(exc, json.JSONDecodeError | UnicodeDecodeError):  # bytes not UTF-8 too
            self.handle_message(Rejected(None, None, types.ErrorCodes.ParseError, "parse error"))

    @builtin(types.INITIALIZE)
    def lsp_initialize(
        self, params: types.InitializeParams
    ) -> Generator[Any, Any, types.InitializeResult]:
        result = yield from super().lsp_initialize(params)
        self.initialized = True
        return result

    # Document text lives in the server's store; these only hand over to its handlers.

    @builtin(types.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(
        self, params: types.DidOpenTextDocumentParams
    ) -> Generator[Any, Any, None]:
        yield from call_feature(self, types.TEXT_DOCUMENT_DID_OPEN, params)

    @builtin(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(
        self, params: types.DidChangeTextDocumentParams
    ) -> Generator[Any, Any, None]:
        yield from call_feature(self, types.TEXT_DOCUMENT_DID_CHANGE, params)

    @builtin(types.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(
        self, params: types.DidCloseTextDocumentParams
    ) -> Generator[Any, Any, None]:
        yield from call_feature(self, types.TEXT_DOCUMENT_DID_CLOSE, params)
