"""The notelint language server: document sync, settings, and the features' wiring."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

from lsprotocol import types
from pygls.capabilities import get_capability
from pygls.exceptions import JsonRpcException, JsonRpcInternalError, JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer

from notelint import __version__
from notelint.core.positions import Encoding
from notelint.lsp import actions, completion, convert, hover, outline
from notelint.lsp.convert import SOURCE
from notelint.lsp.documents import Document, path_of
from notelint.lsp.linting import Analysis, Linter
from notelint.lsp.logs import describe_exception, doc_id, loop_exception_handler
from notelint.lsp.options import parse_options
from notelint.lsp.protocol import NotelintProtocol
from notelint.lsp.pygls_adapter import is_shut_down
from notelint.present.json_format import file_json

log = logging.getLogger(__name__)

REPORT_COMMAND = "notelint.report"
FIX_ALL_KIND = f"{types.CodeActionKind.SourceFixAll.value}.{SOURCE}"
_ENCODINGS: dict[str, Encoding] = {"utf-8": "utf-8", "utf-16": "utf-16", "utf-32": "utf-32"}
_WATCHED = ("**/notelint.toml", "**/pyproject.toml", "**/*.toml")  # config and rule files

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class ClientFeatures:
    """What the client said it supports, read once at initialize."""

    pull: bool = False
    refresh: bool = False
    lens_refresh: bool = False
    configuration: bool = False
    watch_registration: bool = False
    configuration_registration: bool = False
    document_changes: bool = False
    hierarchical_symbols: bool = False
    markdown: bool = False
    diagnostic_version: bool = False

    @classmethod
    def of(cls, caps: types.ClientCapabilities) -> ClientFeatures:
        def has(field: str) -> bool:
            return bool(get_capability(caps, field, False))

        return cls(
            pull=get_capability(caps, "text_document.diagnostic") is not None,
            refresh=has("workspace.diagnostics.refresh_support"),
            lens_refresh=has("workspace.code_lens.refresh_support"),
            configuration=has("workspace.configuration"),
            watch_registration=has("workspace.did_change_watched_files.dynamic_registration"),
            configuration_registration=has(
                "workspace.did_change_configuration.dynamic_registration"
            ),
            document_changes=has("workspace.workspace_edit.document_changes"),
            hierarchical_symbols=has(
                "text_document.document_symbol.hierarchical_document_symbol_support"
            ),
            markdown=types.MarkupKind.Markdown
            in (get_capability(caps, "text_document.hover.content_format") or ()),
            diagnostic_version=has("text_document.publish_diagnostics.version_support"),
        )


class NotelintServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            "notelint",
            __version__,
            protocol_cls=NotelintProtocol,
            converter_factory=convert.server_converter,
        )
        self.documents: dict[str, Document] = {}
        self.client = ClientFeatures()
        self.init_options: object = None
        self.linter = Linter(self._deliver)
        self._shown: set[str] = set()
        self.client_rule_folders = True  # a WebSocket session says otherwise unless allowed

    @property
    def exit_code(self) -> int:
        return 0 if is_shut_down(self.protocol) else 1

    def close(self) -> None:
        self.linter.close()

    def report_server_error(self, error: Exception, source: Any) -> None:
        """pygls would show ``str(error)`` to the user, and it can quote the note."""
        log.warning("server error (%s)", type(error).__name__)
        cast(NotelintProtocol, self.protocol).reject_unparsable(error)

    def document(self, uri: str) -> Document:
        doc = self.documents.get(uri)
        if doc is None:
            raise JsonRpcInvalidParams("document is not open")
        return doc

    def set_options(self, *sources: object) -> None:
        """New editor options (initializationOptions first, then what the editor sent)."""
        options, problems = parse_options(
            self.init_options,
            *sources,
            root=self.linter.root,
            rule_folders=self.client_rule_folders,
        )
        self.show(problems)
        self.linter.reconfigure(options)

    def relint_all(self) -> None:
        """Settings or config files changed: lint every open note again, and say so again."""
        self._shown.clear()
        for doc in self.documents.values():
            self.linter.schedule(doc, 0)
        if self.client.pull and self.client.refresh:
            self.workspace_diagnostic_refresh(None)
        if self.client.lens_refresh:
            self.workspace_code_lens_refresh(None)

    def show(self, problems: list[str] | tuple[str, ...]) -> None:
        """Configuration problems, each once (they name files and lines, never note text)."""
        for problem in problems:
            if problem not in self._shown:
                self._shown.add(problem)
                log.warning("%s", problem)
                self.window_show_message(
                    types.ShowMessageParams(types.MessageType.Warning, problem)
                )

    def _deliver(self, doc: Document, analysis: Analysis) -> None:
        self.show(analysis.problems)
        if self.client.pull:
            return  # the client asks for them
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(
                doc.uri,
                analysis.diagnostics,
                analysis.version if self.client.diagnostic_version else None,
            )
        )


def guarded(method: str, handler: F) -> F:
    """Log a handler's failure safely and answer with a fixed message, not the exception's."""

    def failed(exc: Exception) -> JsonRpcException:
        log.error("%s failed\n%s", method, describe_exception(exc))
        return JsonRpcInternalError(f"notelint: {method} failed ({type(exc).__name__})")

    if asyncio.iscoroutinefunction(handler):

        @functools.wraps(handler)
        async def run_async(*args: Any) -> Any:
            try:
                return await handler(*args)
            except JsonRpcException:
                raise
            except Exception as exc:
                raise failed(exc) from None

        return cast(F, run_async)

    @functools.wraps(handler)
    def run(*args: Any) -> Any:
        try:
            return handler(*args)
        except JsonRpcException:
            raise
        except Exception as exc:
            raise failed(exc) from None

    return cast(F, run)


# --- lifecycle and settings -------------------------------------------------------------


async def initialize(ls: NotelintServer, params: types.InitializeParams) -> None:
    asyncio.get_running_loop().set_exception_handler(loop_exception_handler)
    ls.client = ClientFeatures.of(params.capabilities)
    ls.linter.encoding = _ENCODINGS.get(str(ls.workspace.position_encoding), "utf-16")
    ls.linter.root = _root(params)
    ls.init_options = params.initialization_options
    ls.set_options()
    if not ls.client.configuration:
        ls.linter.ready.set()
    # Load the knowledge base now, so that the first note opened is linted at full speed.
    await asyncio.get_running_loop().run_in_executor(
        ls.linter.pool,
        ls.linter.resolver.resolve,
        None,
        ls.linter.options,
        ls.linter.root,
    )


def _root(params: types.InitializeParams) -> Path | None:
    uri = params.workspace_folders[0].uri if params.workspace_folders else params.root_uri
    if uri:
        return path_of(uri)
    return Path(params.root_path) if params.root_path else None


async def initialized(ls: NotelintServer, params: types.InitializedParams) -> None:
    if ls.client.configuration:
        await _pull_configuration(ls)
        ls.linter.ready.set()
    registrations = []
    if ls.client.watch_registration:
        watchers = [types.FileSystemWatcher(glob_pattern=g) for g in _WATCHED]
        registrations.append(
            types.Registration(
                "notelint-watch",
                types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                types.DidChangeWatchedFilesRegistrationOptions(watchers),
            )
        )
    if ls.client.configuration_registration:
        registrations.append(
            types.Registration("notelint-config", types.WORKSPACE_DID_CHANGE_CONFIGURATION)
        )
    if registrations:
        try:
            await ls.client_register_capability_async(types.RegistrationParams(registrations))
        except Exception as exc:  # a client that refuses still gets config read at each lint
            log.warning("client refused registration (%s)", type(exc).__name__)


async def _pull_configuration(ls: NotelintServer) -> None:
    item = types.ConfigurationItem(section="notelint")
    try:
        result = await ls.workspace_configuration_async(types.ConfigurationParams([item]))
    except Exception as exc:
        log.warning("workspace/configuration failed (%s)", type(exc).__name__)
        return
    ls.set_options(result[0] if result else None)


async def did_change_configuration(
    ls: NotelintServer, params: types.DidChangeConfigurationParams
) -> None:
    if ls.client.configuration:
        await _pull_configuration(ls)
    else:
        ls.set_options(params.settings)
    ls.relint_all()


def did_change_watched_files(ls: NotelintServer, params: types.DidChangeWatchedFilesParams) -> None:
    ls.linter.reconfigure()  # config files are re-read as they change; lint again to show it
    ls.relint_all()


# --- document sync ------------------------------------------------------------------------


def did_open(ls: NotelintServer, params: types.DidOpenTextDocumentParams) -> None:
    item = params.text_document
    doc = Document(item.uri, item.text, item.version, path_of(item.uri))
    if (old := ls.documents.get(item.uri)) is not None:
        ls.linter.cancel(old)
    ls.documents[item.uri] = doc
    ls.linter.schedule(doc, 0)


def did_change(ls: NotelintServer, params: types.DidChangeTextDocumentParams) -> None:
    uri, version = params.text_document.uri, params.text_document.version
    doc = ls.documents.get(uri)
    if doc is None or version < doc.version:
        log.warning(
            "ignored a change to %s: %s",
            doc_id(uri),
            "not open" if doc is None else f"version {version} after {doc.version}",
        )
        return
    for change in params.content_changes:
        doc.apply(change, ls.linter.encoding)
    doc.version = version
    if ls.linter.options.run == "onType":
        ls.linter.schedule(doc, ls.linter.options.debounce)


def did_save(ls: NotelintServer, params: types.DidSaveTextDocumentParams) -> None:
    if (doc := ls.documents.get(params.text_document.uri)) is not None:
        ls.linter.schedule(doc, 0)


def did_close(ls: NotelintServer, params: types.DidCloseTextDocumentParams) -> None:
    doc = ls.documents.pop(params.text_document.uri, None)
    if doc is None:
        return
    ls.linter.cancel(doc)
    if not ls.client.pull:
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(doc.uri, []))
    if not ls.documents:
        ls.linter.forget_notes()


# --- requests -------------------------------------------------------------------------------


async def diagnostic(
    ls: NotelintServer, params: types.DocumentDiagnosticParams
) -> types.DocumentDiagnosticReport:
    analysis = await ls.linter.settled(ls.document(params.text_document.uri))
    if params.previous_result_id == analysis.result_id:
        return types.RelatedUnchangedDocumentDiagnosticReport(result_id=analysis.result_id)
    return types.RelatedFullDocumentDiagnosticReport(
        items=analysis.diagnostics, result_id=analysis.result_id
    )


async def code_action(
    ls: NotelintServer, params: types.CodeActionParams
) -> list[types.CodeAction] | None:
    doc = ls.document(params.text_document.uri)
    context = actions.Context(doc.uri, doc.version, ls.client.document_changes, FIX_ALL_KIND)
    return await actions.code_actions(context, params, lambda: ls.linter.current(doc)) or None


async def hover_at(ls: NotelintServer, params: types.HoverParams) -> types.Hover | None:
    analysis = await ls.linter.current(ls.document(params.text_document.uri))
    return hover.hover(analysis, params.position, ls.client.markdown)


async def complete(
    ls: NotelintServer, params: types.CompletionParams
) -> types.CompletionList | None:
    analysis = await ls.linter.current(ls.document(params.text_document.uri))
    return completion.complete(analysis, params.position)


async def document_symbol(
    ls: NotelintServer, params: types.DocumentSymbolParams
) -> list[types.DocumentSymbol] | list[types.SymbolInformation]:
    doc = ls.document(params.text_document.uri)
    analysis = await ls.linter.current(doc)
    return outline.symbols(analysis, doc.uri, ls.client.hierarchical_symbols)


async def code_lens(ls: NotelintServer, params: types.CodeLensParams) -> list[types.CodeLens]:
    doc = ls.document(params.text_document.uri)
    return [outline.summary_lens(await ls.linter.current(doc), doc.uri, REPORT_COMMAND)]


async def report_command(ls: NotelintServer, uri: str) -> dict[str, Any]:
    """The CLI's JSON for an open note, with the version and a digest of the text analysed."""
    doc = ls.document(uri)
    analysis = await ls.linter.current(doc)
    text = analysis.report.text
    return {
        "version": analysis.version,
        "sha256": hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest(),
        **file_json(str(doc.path or doc.uri), analysis.report),
    }


def build_server() -> NotelintServer:
    server = NotelintServer()
    features: list[tuple[str, Callable[..., Any], Any]] = [
        (types.INITIALIZE, initialize, None),
        (types.INITIALIZED, initialized, None),
        (types.WORKSPACE_DID_CHANGE_CONFIGURATION, did_change_configuration, None),
        (types.WORKSPACE_DID_CHANGE_WATCHED_FILES, did_change_watched_files, None),
        (types.TEXT_DOCUMENT_DID_OPEN, did_open, None),
        (types.TEXT_DOCUMENT_DID_CHANGE, did_change, None),
        (types.TEXT_DOCUMENT_DID_SAVE, did_save, types.SaveOptions(include_text=False)),
        (types.TEXT_DOCUMENT_DID_CLOSE, did_close, None),
        (
            types.TEXT_DOCUMENT_DIAGNOSTIC,
            diagnostic,
            types.DiagnosticOptions(
                identifier=SOURCE, inter_file_dependencies=False, workspace_diagnostics=False
            ),
        ),
        (
            types.TEXT_DOCUMENT_CODE_ACTION,
            code_action,
            types.CodeActionOptions(
                code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL_KIND]
            ),
        ),
        (types.TEXT_DOCUMENT_HOVER, hover_at, None),
        (
            types.TEXT_DOCUMENT_COMPLETION,
            complete,
            types.CompletionOptions(trigger_characters=completion.TRIGGERS),
        ),
        (types.TEXT_DOCUMENT_DOCUMENT_SYMBOL, document_symbol, None),
        (types.TEXT_DOCUMENT_CODE_LENS, code_lens, types.CodeLensOptions(resolve_provider=False)),
    ]
    for method, handler, options in features:
        server.feature(method, options)(guarded(method, handler))
    server.command(REPORT_COMMAND)(guarded(REPORT_COMMAND, report_command))
    return server
