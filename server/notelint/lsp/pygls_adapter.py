"""Every private part of pygls the language server relies on, each behind one named hook.

pygls's public API does not cover what the server needs here: forgetting a finished handler's
future, answering a message pygls would drop, reading whether ``shutdown`` was received,
replacing pygls's own document-sync handlers. Each of these touches an underscore name of pygls
(or a convention it does not document), and only this module does so; the rest of
``notelint.lsp`` calls the hooks below. ``tests/lsp/test_pygls_contract.py`` checks every hook
against the installed pygls, by name, so an upgrade that changes one of them fails there rather
than as a leak or a silently dropped message.

All hooks were checked against pygls 2.1.1 (lsprotocol 2025.0.0); pyproject allows
``pygls>=2.1,<3``.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from concurrent.futures import Future
from typing import Any, TypeVar

from pygls.protocol import LanguageServerProtocol, lsp_method

CHECKED_WITH = "2.1.1"  # the pygls version every hook below was read and tested against

F = TypeVar("F", bound=Callable[..., Any])

# The hooks, each with the pygls names it relies on (the contract test checks them all).
HOOKS: dict[str, tuple[str, ...]] = {
    "request_futures": ("JsonRPCProtocol._request_futures",),
    "PyglsProtocol.forget_finished_futures": ("JsonRPCProtocol._execute_handler",),
    "send_data": ("JsonRPCProtocol._send_data",),
    "is_shut_down": ("JsonRPCProtocol._shutdown",),
    "builtin": ("lsp_method", "LanguageServerProtocol._register_builtin_features"),
    "call_feature": ("JsonRPCProtocol._run_generator",),
    "dispatch": ("LanguageServerProtocol.lsp_exit",),
}


def request_futures(protocol: LanguageServerProtocol) -> dict[Any, Future[Any]]:
    """``JsonRPCProtocol._request_futures`` (pygls 2.1.1): the futures of the handlers pygls is
    running, by message id (a uuid for a notification), and of requests sent to the client.

    Why: :class:`PyglsProtocol` takes a finished handler's future out of it (pygls leaks
    notifications' futures), and tests check that nothing is left behind.
    """
    return protocol._request_futures


class PyglsProtocol(LanguageServerProtocol):
    """pygls's protocol with each handler's future forgotten once the handler is done."""

    def _execute_handler(
        self,
        msg_id: Any,
        handler: Any,
        callback: Callable[[Future[Any]], None],
        args: tuple[Any, ...] | None = None,
        kwargs: dict[str, Any] | None = None,
    ) -> None:
        """Overrides ``JsonRPCProtocol._execute_handler(msg_id, handler, callback, args,
        kwargs)`` (pygls 2.1.1), which files a coroutine's, thread's or generator's future under
        ``msg_id`` in ``_request_futures`` and calls ``callback`` with it when it is done.

        Why: only a request's answer takes the future out again (``_send_handler_result``), so a
        notification's (each didChange) stayed for good, about 2 KB per keystroke. The callback
        is wrapped by :meth:`forget_finished_futures`.
        """
        wrapped = self.forget_finished_futures(msg_id, callback)
        super()._execute_handler(msg_id, handler, wrapped, args, kwargs)

    def forget_finished_futures(
        self, msg_id: Any, callback: Callable[[Future[Any]], None]
    ) -> Callable[[Future[Any]], None]:
        """``callback``, preceded by taking the finished future out of
        :func:`request_futures` (only if it is still the one filed under ``msg_id``)."""

        def forget_then(future: Future[Any]) -> None:
            futures = request_futures(self)
            if futures.get(msg_id) is future:
                del futures[msg_id]
            callback(future)

        return forget_then


def send_data(protocol: LanguageServerProtocol, message: Any) -> None:
    """``JsonRPCProtocol._send_data(data)`` (pygls 2.1.1): serialise one message (an lsprotocol
    object) with the protocol's converter and write it to the protocol's writer.

    Why: a rejected message (bad id, bad params, out of order, too large) is answered with a
    ``ResponseErrorMessage`` that pygls itself would never send (it drops some of these, or
    quotes the exception); pygls has no public way to write a message that is not a request,
    notification or a handler's response.
    """
    protocol._send_data(message)


def is_shut_down(protocol: LanguageServerProtocol) -> bool:
    """``JsonRPCProtocol._shutdown`` (pygls 2.1.1): a bool, set by pygls's ``shutdown``
    handler (``LanguageServerProtocol.lsp_shutdown``) after the server's own one.

    Why: requests after shutdown are answered with an error (pygls drops them), and the exit
    status is 0 only after shutdown, as LSP says.
    """
    return bool(protocol._shutdown)


def builtin(method: str) -> Callable[[F], F]:
    """Mark a protocol method as pygls's own handler of ``method`` (pygls 2.1.1:
    ``lsp_method``, collected from ``dir(protocol)`` by
    ``LanguageServerProtocol._register_builtin_features`` into ``fm.builtin_features``, which
    ``_get_handler`` looks in before the server's features).

    Why: overriding pygls's method of the same name (``lsp_text_document__did_open`` and so on)
    replaces its handler: pygls's document-sync handlers keep a second copy of every note in its
    ``Workspace`` and split it into lines again on each keystroke; the server keeps its own.
    """
    return lsp_method(method)


def call_feature(
    protocol: LanguageServerProtocol, method: str, params: object
) -> Generator[Any, Any, None]:
    """From a :func:`builtin` handler, run the server's own handler of ``method`` (if any) the
    way pygls's builtin handlers do (pygls 2.1.1): a generator handler yields ``(handler, args,
    kwargs)`` and ``JsonRPCProtocol._run_generator`` runs that handler (coroutine, thread or
    plain function) before resuming the generator with its result.

    Why: the replaced document-sync handlers still hand each notification to the server's
    ``did_open`` / ``did_change`` / ``did_close``, in order and on the event loop.
    """
    if (handler := protocol.fm.features.get(method)) is not None:
        yield handler, (params,), None


def dispatch(protocol: LanguageServerProtocol, message: Any) -> bool:
    """Hand one message to ``protocol.handle_message``; True when it ended the session.

    pygls 2.1.1's ``exit`` handler (``LanguageServerProtocol.lsp_exit``) closes the writer and
    calls ``sys.exit`` (at once when ``writer.close()`` is not awaitable, or there is no writer),
    so ``SystemExit`` leaves ``handle_message``.

    Why: the server's own transports (stdio, TCP, WebSocket) end the session there, not the
    process.
    """
    try:
        protocol.handle_message(message)
    except SystemExit:
        return True
    return False
