"""The contract between notelint.lsp.pygls_adapter and the installed pygls.

Each hook of the adapter relies on a private part of pygls (an underscore name, or a convention
pygls does not document). These tests check, against the pygls installed now, that each such
part exists with the shape the hook uses and behaves as the hook relies on; a failure names the
hook, the pygls version installed and the version the hook was checked with. The last test checks
that nothing else under notelint.lsp reaches pygls's private names.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import json
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import Future
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.protocol import JsonRPCProtocol, LanguageServerProtocol

from notelint.lsp import pygls_adapter
from notelint.lsp.protocol import NotelintProtocol
from notelint.lsp.pygls_adapter import (
    CHECKED_WITH,
    HOOKS,
    PyglsProtocol,
    builtin,
    call_feature,
    dispatch,
    is_shut_down,
    request_futures,
    send_data,
)

LSP_PACKAGE = Path(pygls_adapter.__file__).parent
URI = "file:///tmp/contract-note.txt"


def broken(hook: str, what: str) -> str:
    """The message of a failed check: which hook, and which pygls."""
    return (
        f"pygls {version('pygls')} breaks notelint.lsp.pygls_adapter hook {hook!r} "
        f"(checked with pygls {CHECKED_WITH}; relies on {', '.join(HOOKS[hook])}): {what}"
    )


class Capture:
    """A writer keeping what the protocol sends, as JSON."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def write(self, data: bytes) -> None:
        self.sent.append(json.loads(data))

    def close(self) -> None:
        pass


class Session:
    """A bare pygls server with notelint's protocol (or another), and a writer to read."""

    def __init__(self, protocol_cls: type[LanguageServerProtocol] = NotelintProtocol) -> None:
        self.server = LanguageServer("contract", "0", protocol_cls=protocol_cls)
        self.protocol = self.server.protocol
        self.writer = Capture()
        self.protocol.set_writer(self.writer, include_headers=False)

    def send(self, message: dict[str, Any]) -> bool:
        """Hand one message, as the transports read it, to the protocol; True on exit."""
        structured = json.loads(json.dumps(message), object_hook=self.protocol.structure_message)
        return dispatch(self.protocol, structured)

    def request(self, ident: int | str, method: str, params: Any = None) -> None:
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": ident, "method": method}
        if params is not None:
            message["params"] = params
        self.send(message)

    def notify(self, method: str, params: Any = None) -> None:
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = params
        self.send(message)

    def initialize(self) -> None:
        self.request(0, types.INITIALIZE, {"processId": None, "capabilities": {}})
        self.notify(types.INITIALIZED, {})

    def answer(self, ident: int | str) -> dict[str, Any]:
        found = [m for m in self.writer.sent if m.get("id") == ident and "method" not in m]
        assert len(found) == 1, f"expected one answer to {ident!r}, got {self.writer.sent}"
        return found[0]


@pytest.fixture
def session() -> Iterator[Session]:
    made = Session()
    yield made
    made.server.shutdown()  # type: ignore[no-untyped-call]


def run(scenario: Callable[[], Any]) -> None:
    """Run ``scenario`` (a coroutine function) on a fresh event loop."""
    asyncio.run(scenario())


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


def did_open(text: str = "CPT: 76942\n") -> dict[str, Any]:
    item = {"uri": URI, "languageId": "plaintext", "version": 1, "text": text}
    return {"textDocument": item}


def did_change(version_: int) -> dict[str, Any]:
    return {
        "textDocument": {"uri": URI, "version": version_},
        "contentChanges": [{"text": f"edit {version_}\n"}],
    }


def test_every_hook_is_checked_here() -> None:
    checked = {
        "request_futures",
        "PyglsProtocol.forget_finished_futures",
        "send_data",
        "is_shut_down",
        "builtin",
        "call_feature",
        "dispatch",
    }
    assert set(HOOKS) == checked, "a hook was added to or taken from pygls_adapter.HOOKS"


# --- request_futures: JsonRPCProtocol._request_futures ---------------------------------------


def test_request_futures_is_the_dict_pygls_files_futures_in(session: Session) -> None:
    hook = "request_futures"
    assert "_request_futures" in vars(session.protocol), broken(hook, "no such attribute")
    futures = request_futures(session.protocol)
    assert isinstance(futures, dict), broken(hook, f"a {type(futures).__name__}, not a dict")
    assert futures is session.protocol._request_futures, broken(hook, "not the same object")
    assert not futures, broken(hook, "not empty on a new protocol")


def test_a_request_to_the_client_is_filed_and_taken_out_by_its_response(
    session: Session,
) -> None:
    hook = "request_futures"

    async def scenario() -> None:
        session.initialize()
        params = types.ConfigurationParams([types.ConfigurationItem(section="notelint")])
        future = session.protocol.send_request(types.WORKSPACE_CONFIGURATION, params)
        request = session.writer.sent[-1]
        assert request.get("method") == types.WORKSPACE_CONFIGURATION
        assert request_futures(session.protocol).get(request["id"]) is future, broken(
            hook, "a request sent to the client is not filed under its id"
        )
        session.send({"jsonrpc": "2.0", "id": request["id"], "result": [{"run": "onSave"}]})
        assert request["id"] not in request_futures(session.protocol), broken(
            hook, "the response did not take the request's future out"
        )
        assert list(future.result(timeout=1)) == [{"run": "onSave"}]

    run(scenario)


def test_a_running_request_is_filed_under_its_id_and_forgotten_after_the_answer(
    session: Session,
) -> None:
    hook = "request_futures"
    seen: list[bool] = []

    @session.server.feature(types.TEXT_DOCUMENT_HOVER)
    async def hover(ls: LanguageServer, params: types.HoverParams) -> None:
        seen.append(41 in request_futures(ls.protocol))

    async def scenario() -> None:
        session.initialize()
        position = {"line": 0, "character": 0}
        session.request(
            41, types.TEXT_DOCUMENT_HOVER, {"textDocument": {"uri": URI}, "position": position}
        )
        await settle()

    run(scenario)
    assert seen == [True], broken(hook, "a running handler's future is not filed under its id")
    assert session.answer(41) == {"jsonrpc": "2.0", "id": 41, "result": None}
    assert not request_futures(session.protocol), broken(hook, "a future stayed after the answer")


# --- PyglsProtocol.forget_finished_futures: JsonRPCProtocol._execute_handler -----------------


def test_execute_handler_has_the_shape_the_override_uses() -> None:
    hook = "PyglsProtocol.forget_finished_futures"
    original = vars(JsonRPCProtocol).get("_execute_handler")
    assert callable(original), broken(hook, "JsonRPCProtocol._execute_handler is gone")
    names = list(inspect.signature(original).parameters)
    assert names == ["self", "msg_id", "handler", "callback", "args", "kwargs"], broken(
        hook, f"_execute_handler takes {names}"
    )


def test_every_handler_runs_through_the_override_and_leaves_no_future(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    hook = "PyglsProtocol.forget_finished_futures"
    done: list[str] = []
    wrapped: list[Any] = []
    forget = PyglsProtocol.forget_finished_futures

    def counting(
        self: PyglsProtocol, msg_id: Any, callback: Callable[[Future[Any]], None]
    ) -> Callable[[Future[Any]], None]:
        wrapped.append(msg_id)
        return forget(self, msg_id, callback)

    monkeypatch.setattr(PyglsProtocol, "forget_finished_futures", counting)

    @session.server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    async def opened(ls: LanguageServer, params: types.DidOpenTextDocumentParams) -> None:
        done.append("open")  # a coroutine, behind pygls's generator handler

    @session.server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    async def saved(ls: LanguageServer, params: types.DidSaveTextDocumentParams) -> None:
        done.append("save")  # a coroutine notification handler

    @session.server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def changed(ls: LanguageServer, params: types.DidChangeTextDocumentParams) -> None:
        done.append("change")  # a plain function, behind pygls's generator handler

    async def scenario() -> None:
        session.initialize()
        wrapped.clear()
        session.notify(types.TEXT_DOCUMENT_DID_OPEN, did_open())
        session.notify(types.TEXT_DOCUMENT_DID_CHANGE, did_change(2))
        session.notify(types.TEXT_DOCUMENT_DID_SAVE, {"textDocument": {"uri": URI}})
        await settle()

    run(scenario)
    assert sorted(done) == ["change", "open", "save"]
    assert wrapped, broken(hook, "pygls ran handlers without calling _execute_handler")
    left = request_futures(session.protocol)
    assert not left, broken(hook, f"{len(left)} notification futures stayed after their handlers")


def test_a_plain_pygls_protocol_is_what_the_override_fixes() -> None:
    """Without the override, pygls keeps a coroutine notification's future for good; if this
    fails, pygls forgets them itself and the override may go (the tests above still hold)."""

    made = Session(LanguageServerProtocol)

    @made.server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    async def saved(ls: LanguageServer, params: types.DidSaveTextDocumentParams) -> None:
        pass

    async def scenario() -> None:
        made.notify(types.TEXT_DOCUMENT_DID_SAVE, {"textDocument": {"uri": URI}})
        await settle()

    try:
        run(scenario)
    finally:
        made.server.shutdown()  # type: ignore[no-untyped-call]
    assert len(request_futures(made.protocol)) == 1, broken(
        "PyglsProtocol.forget_finished_futures",
        "pygls now forgets notifications' futures itself: the _execute_handler override may go",
    )


# --- send_data: JsonRPCProtocol._send_data ----------------------------------------------------


def test_send_data_writes_one_message_through_the_converter(session: Session) -> None:
    hook = "send_data"
    original = vars(JsonRPCProtocol).get("_send_data")
    assert callable(original), broken(hook, "JsonRPCProtocol._send_data is gone")
    names = list(inspect.signature(original).parameters)
    assert names == ["self", "data"], broken(hook, f"_send_data takes {names}")
    error = types.ResponseError(types.ErrorCodes.InvalidRequest, "invalid request id")
    send_data(session.protocol, types.ResponseErrorMessage(id=7, error=error))
    expected = {
        "jsonrpc": "2.0",
        "id": 7,
        "error": {"code": -32600, "message": "invalid request id"},
    }
    assert session.writer.sent == [expected], broken(hook, f"wrote {session.writer.sent}")


def test_malformed_messages_get_error_responses_not_a_crash(session: Session) -> None:
    hook = "send_data"
    session.initialize()
    session.writer.sent.clear()
    session.request(5, types.TEXT_DOCUMENT_HOVER, {"textDocument": 3})  # params that do not parse
    session.send({"id": 6, "method": types.TEXT_DOCUMENT_HOVER})  # not JSON-RPC 2.0
    session.send({"jsonrpc": "2.0", "id": [1], "method": types.TEXT_DOCUMENT_HOVER})  # bad id
    codes = [(m.get("id"), m.get("error", {}).get("code")) for m in session.writer.sent]
    assert codes == [(5, -32602), (6, -32600), (None, -32600)], broken(hook, f"sent {codes}")
    assert not request_futures(session.protocol)


def test_pygls_answers_unparsable_params_with_a_json_rpc_exception(session: Session) -> None:
    """NotelintProtocol.structure_message turns this exception into an answer by id."""
    from pygls.exceptions import JsonRpcException

    data = {"jsonrpc": "2.0", "id": 5, "method": types.TEXT_DOCUMENT_HOVER, "params": {}}
    with pytest.raises(JsonRpcException):
        LanguageServerProtocol.structure_message(session.protocol, data)


# --- is_shut_down: JsonRPCProtocol._shutdown --------------------------------------------------


def test_shutdown_sets_the_flag_the_hook_reads(session: Session) -> None:
    hook = "is_shut_down"
    flag = vars(session.protocol).get("_shutdown")
    assert flag is False, broken(hook, f"_shutdown is {flag!r} on a new protocol, not False")
    assert is_shut_down(session.protocol) is False
    session.initialize()
    session.request(9, types.SHUTDOWN)
    assert session.answer(9) == {"jsonrpc": "2.0", "id": 9, "result": None}
    assert session.protocol._shutdown is True, broken(hook, "shutdown did not set _shutdown")
    assert is_shut_down(session.protocol) is True
    position = {"line": 0, "character": 0}
    session.request(
        10, types.TEXT_DOCUMENT_HOVER, {"textDocument": {"uri": URI}, "position": position}
    )
    assert session.answer(10)["error"]["message"] == "server is shutting down"


# --- builtin: lsp_method, LanguageServerProtocol._register_builtin_features -------------------

REPLACED = {
    "lsp_initialize": types.INITIALIZE,
    "lsp_text_document__did_open": types.TEXT_DOCUMENT_DID_OPEN,
    "lsp_text_document__did_change": types.TEXT_DOCUMENT_DID_CHANGE,
    "lsp_text_document__did_close": types.TEXT_DOCUMENT_DID_CLOSE,
}


def test_the_overridden_builtin_handlers_exist_with_their_methods() -> None:
    hook = "builtin"
    assert callable(getattr(LanguageServerProtocol, "_register_builtin_features", None)), broken(
        hook, "LanguageServerProtocol._register_builtin_features is gone"
    )
    for name, method in REPLACED.items():
        original = getattr(LanguageServerProtocol, name, None)
        assert original is not None, broken(hook, f"LanguageServerProtocol.{name} is gone")
        assert getattr(original, "method_name", None) == method, broken(
            hook, f"LanguageServerProtocol.{name} no longer handles {method}"
        )
        assert inspect.isgeneratorfunction(original), broken(
            hook, f"LanguageServerProtocol.{name} is not a generator (yield from super() fails)"
        )

    @builtin("contract/method")
    def marked() -> None:
        pass

    assert getattr(marked, "method_name", None) == "contract/method", broken(
        hook, "lsp_method no longer marks a function with method_name"
    )


def test_the_overrides_replace_pygls_handlers_and_keep_no_document_copy(
    session: Session,
) -> None:
    hook = "builtin"
    for name, method in REPLACED.items():
        registered = session.protocol.fm.builtin_features.get(method)
        ours = getattr(NotelintProtocol, name)
        assert getattr(registered, "__func__", None) is ours, broken(
            hook, f"{method} is handled by {registered!r}, not NotelintProtocol.{name}"
        )
    calls: list[str] = []

    @session.server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def opened(ls: LanguageServer, params: types.DidOpenTextDocumentParams) -> None:
        calls.append(params.text_document.text)

    session.initialize()
    session.notify(types.TEXT_DOCUMENT_DID_OPEN, did_open("a note\n"))
    assert calls == ["a note\n"], broken(hook, f"the server's didOpen ran {len(calls)} times")
    assert not session.protocol.workspace.text_documents, broken(
        hook, "pygls's own didOpen ran: its workspace holds a copy of the note"
    )


# --- call_feature: the generator-handler convention (JsonRPCProtocol._run_generator) ---------


def test_call_feature_hands_over_in_order_with_the_params(session: Session) -> None:
    hook = "call_feature"
    assert callable(getattr(JsonRPCProtocol, "_run_generator", None)), broken(
        hook, "JsonRPCProtocol._run_generator is gone"
    )
    seen: list[tuple[str, int]] = []

    @session.server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def opened(ls: LanguageServer, params: types.DidOpenTextDocumentParams) -> None:
        seen.append(("open", params.text_document.version))

    @session.server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def changed(ls: LanguageServer, params: types.DidChangeTextDocumentParams) -> None:
        seen.append(("change", params.text_document.version))

    @session.server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    async def closed(ls: LanguageServer, params: types.DidCloseTextDocumentParams) -> None:
        seen.append(("close", 0))  # a coroutine runs too, on the event loop

    async def scenario() -> None:
        session.initialize()
        # The server's document-sync handlers are plain functions: run at once, in order.
        session.notify(types.TEXT_DOCUMENT_DID_OPEN, did_open())
        for number in (2, 3, 4):
            session.notify(types.TEXT_DOCUMENT_DID_CHANGE, did_change(number))
        session.notify(types.TEXT_DOCUMENT_DID_CLOSE, {"textDocument": {"uri": URI}})
        await settle()

    run(scenario)
    expected = [("open", 1), ("change", 2), ("change", 3), ("change", 4), ("close", 0)]
    assert seen == expected, broken(hook, f"the server's handlers saw {seen}")
    assert not [
        m for m in session.writer.sent if "error" in m or m.get("method") == "window/showMessage"
    ]


def test_call_feature_yields_what_run_generator_expects(session: Session) -> None:
    hook = "call_feature"

    def handler(params: object) -> None:
        pass

    session.server.feature(types.TEXT_DOCUMENT_DID_SAVE)(handler)
    steps: Generator[Any, Any, None] = call_feature(
        session.protocol, types.TEXT_DOCUMENT_DID_SAVE, 1
    )
    step = next(steps)
    assert isinstance(step, tuple) and len(step) == 3, broken(hook, f"yielded {step!r}")
    assert step[0] is session.protocol.fm.features[types.TEXT_DOCUMENT_DID_SAVE]
    assert step[1:] == ((1,), None)
    with pytest.raises(StopIteration):
        steps.send(None)
    assert list(call_feature(session.protocol, "contract/none", 1)) == []


# --- dispatch: pygls's exit ends the session with SystemExit ---------------------------------


def test_exit_ends_the_session_and_other_messages_do_not(session: Session) -> None:
    hook = "dispatch"
    session.initialize()
    assert session.send({"jsonrpc": "2.0", "id": 1, "method": types.SHUTDOWN}) is False
    ended = session.send({"jsonrpc": "2.0", "method": types.EXIT})
    assert ended is True, broken(hook, "exit did not raise SystemExit out of handle_message")


def test_exit_raises_system_exit_with_the_lsp_status(session: Session) -> None:
    hook = "dispatch"
    session.initialize()
    exit_message = json.loads(
        json.dumps({"jsonrpc": "2.0", "method": types.EXIT}),
        object_hook=session.protocol.structure_message,
    )
    with pytest.raises(SystemExit) as raised:
        session.protocol.handle_message(exit_message)
    assert raised.value.code == 1, broken(
        hook, f"exit before shutdown ended with {raised.value.code}"
    )


# --- nothing else reaches pygls's private names -----------------------------------------------


def _pygls_private_names() -> set[str]:
    """The underscore names pygls's server and protocol classes define or set on instances."""
    server = LanguageServer("contract", "0")
    try:
        names: set[str] = set()
        for obj in (server, server.protocol):
            for cls in type(obj).__mro__:
                if cls.__module__.startswith("pygls"):
                    names.update(vars(cls))
            names.update(vars(obj))
    finally:
        server.shutdown()  # type: ignore[no-untyped-call]
    return {n for n in names if n.startswith("_") and not n.startswith("__")}


def test_only_the_adapter_reaches_pygls_private_names() -> None:
    private = _pygls_private_names()
    assert "_request_futures" in private and "_send_data" in private
    found: list[str] = []
    for path in sorted(LSP_PACKAGE.glob("*.py")):
        if path.name == "pygls_adapter.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            name = None
            if isinstance(node, ast.Attribute) and node.attr in private:
                name = node.attr
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name in private:
                name = f"def {node.name}"
            elif (
                isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("pygls")
            ):
                hidden = [
                    a.name for a in node.names if a.name.startswith("_") or a.name == "lsp_method"
                ]
                name = ", ".join(hidden) or None
            if name:
                found.append(f"{path.name}:{getattr(node, 'lineno', '?')}: {name}")
    assert not found, "pygls private names used outside pygls_adapter: " + "; ".join(found)
