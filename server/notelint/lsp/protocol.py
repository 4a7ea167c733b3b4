"""The JSON-RPC layer: every bad or out-of-order request gets an error response, never a crash.

pygls drops some of these silently (a request after shutdown, params that do not parse) or
answers with the exception text, which may quote the note. This subclass answers each with a
fixed message, and leaves document text to the server's own store (pygls would keep a second
copy and re-split it into lines on every keystroke).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Generator
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.protocol import LanguageServerProtocol, lsp_method

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


class NotelintProtocol(LanguageServerProtocol):
    initialized = False

    def _execute_handler(
        self,
        msg_id: Any,
        handler: Any,
        callback: Callable[[Future[Any]], None],
        args: tuple[Any, ...] | None = None,
        kwargs: dict[str, Any] | None = None,
    ) -> None:
        """pygls 2.1 files every handler's future under its id, and only a request's answer
        takes it out again: a notification's (each didChange) stayed for good, a leak of about
        2 KB per keystroke. Each is taken out here once it is done."""

        def forget_then(future: Future[Any]) -> None:
            if self._request_futures.get(msg_id) is future:
                del self._request_futures[msg_id]
            callback(future)

        super()._execute_handler(msg_id, handler, forget_then, args, kwargs)

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
        rejected = self._rejection(message)
        if rejected is None:
            super().handle_message(message)
            return
        log.warning(
            "rejected %s (%d): %s", rejected.method or "a message", rejected.code, rejected.message
        )
        if rejected.id is not None or rejected.method is None:  # a request, or unreadable
            error = types.ResponseError(rejected.code, rejected.message)
            self._send_data(types.ResponseErrorMessage(id=rejected.id, error=error))

    def _rejection(self, message: Any) -> Rejected | None:
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
        if self._shutdown and method != types.EXIT:
            return Rejected(
                ident, method, types.ErrorCodes.InvalidRequest, "server is shutting down"
            )
        return None

    def reject_unparsable(self, exc: Exception) -> None:
        """The transport could not parse a body as JSON: answer as JSON-RPC says, with id null."""
        if isinstance(exc, json.JSONDecodeError | UnicodeDecodeError):  # bytes not UTF-8 too
            self.handle_message(Rejected(None, None, types.ErrorCodes.ParseError, "parse error"))

    @lsp_method(types.INITIALIZE)
    def lsp_initialize(
        self, params: types.InitializeParams
    ) -> Generator[Any, Any, types.InitializeResult]:
        result = yield from super().lsp_initialize(params)
        self.initialized = True
        return result

    # Document text lives in the server's store; these only hand over to its handlers.

    @lsp_method(types.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(
        self, params: types.DidOpenTextDocumentParams
    ) -> Generator[Any, Any, None]:
        yield from self._user_handler(types.TEXT_DOCUMENT_DID_OPEN, params)

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(
        self, params: types.DidChangeTextDocumentParams
    ) -> Generator[Any, Any, None]:
        yield from self._user_handler(types.TEXT_DOCUMENT_DID_CHANGE, params)

    @lsp_method(types.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(
        self, params: types.DidCloseTextDocumentParams
    ) -> Generator[Any, Any, None]:
        yield from self._user_handler(types.TEXT_DOCUMENT_DID_CLOSE, params)

    def _user_handler(self, method: str, params: object) -> Generator[Any, Any, None]:
        if (handler := self.fm.features.get(method)) is not None:
            yield handler, (params,), None
