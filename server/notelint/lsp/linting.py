"""When and where notes are analysed: debounced, off the event loop, stale results dropped.

The event loop only reads messages and schedules work; :func:`analyse` runs in worker threads
on an immutable snapshot of the text. Per document at most one analysis runs at a time, and
the next one takes the newest text, so work for versions typed over is never started.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from lsprotocol import types

from notelint.core.analysis import analyze_input, collect_young_garbage
from notelint.core.engine import Engine, Engines
from notelint.core.findings import AnalysisError, Report, Span
from notelint.core.positions import Encoding, LineIndex
from notelint.core.settings import Settings
from notelint.inputs.files import text_issue
from notelint.kb import KnowledgeBase
from notelint.lsp import convert
from notelint.lsp.documents import Document
from notelint.lsp.logs import describe_exception, doc_id
from notelint.lsp.options import ClientOptions, Resolved, Resolver

log = logging.getLogger(__name__)

_P = ParamSpec("_P")
_T = TypeVar("_T")
_READY_TIMEOUT = 2.0  # seconds to wait for the editor's settings before linting without them
# After a result is delivered: long enough for a client's pull request, woken by the delivery,
# to be answered first.
_IDLE = 0.001


@dataclass(frozen=True, slots=True)
class Job:
    """An immutable snapshot of what to analyse and how."""

    uri: str
    path: Path | None
    text: str
    version: int
    generation: int
    options: ClientOptions
    encoding: Encoding
    root: Path | None
    index: LineIndex | None = None  # of exactly ``text`` in ``encoding``, when the document has one


@dataclass(frozen=True, slots=True)
class Analysis:
    version: int
    generation: int  # of the settings it was analysed with
    report: Report  # empty when the analysis failed
    index: LineIndex
    kb: KnowledgeBase
    settings: Settings
    diagnostics: list[types.Diagnostic]
    problems: tuple[str, ...]

    @property
    def result_id(self) -> str:
        return f"{self.generation}.{self.version}"


def analyse(job: Job, resolver: Resolver, engines: Engines | None = None) -> Analysis:
    """Resolve settings and analyse one snapshot, in a worker thread. A failure of the core is
    logged and becomes a single diagnostic: the server goes on serving."""
    resolved = _resolve(job, resolver)
    index = job.index if job.index is not None else LineIndex(job.text, job.encoding)
    try:
        report = _report(job.text, resolved, engines.of(resolved.kb) if engines else None)
        diagnostics = [convert.diagnostic(f, index, job.uri, job.version) for f in report.findings]
    except Exception as exc:
        _log_failure(job, index, exc)
        report, diagnostics = Report(text=job.text), [convert.failure_diagnostic()]
    if resolved.problems:
        diagnostics.insert(0, convert.config_diagnostic(resolved.problems))
    return Analysis(
        job.version,
        job.generation,
        report,
        index,
        resolved.kb,
        resolved.settings,
        diagnostics,
        resolved.problems,
    )


def _resolve(job: Job, resolver: Resolver) -> Resolved:
    """The note's settings; if they cannot be had at all, the built-in defaults and a problem
    saying so (the note is still linted, and the problem shown on it)."""
    try:
        return resolver.resolve(job.path, job.options, job.root)
    except Exception as exc:
        log.error("settings for %s failed\n%s", doc_id(job.uri), describe_exception(exc))
        fallback = resolver.resolve(None, ClientOptions(), None)
        problem = f"settings could not be read ({type(exc).__name__}); defaults used"
        return replace(fallback, problems=(*fallback.problems, problem))


def _report(text: str, resolved: Resolved, engine: Engine | None) -> Report:
    """The core's report, or the input finding the CLI gives a file it skips."""
    issue = text_issue(text, resolved.max_bytes)
    return analyze_input(text, [issue] if issue else [], resolved.kb, resolved.settings, engine)


def _log_failure(job: Job, index: LineIndex, exc: BaseException) -> None:
    """Say where the core failed (rule, code, line) without a word of the note."""
    rule, code, span = _failure_context(exc)
    where = f" near line {index.position(span.start).line + 1}" if span else ""
    log.error(
        "analysis of %s (version %d, %d characters) failed%s%s%s\n%s",
        doc_id(job.uri),
        job.version,
        len(job.text),
        f" in rule {rule}" if rule else "",
        f" for code {code}" if code else "",
        where,
        describe_exception(exc),
    )


def _failure_context(exc: BaseException) -> tuple[str | None, str | None, Span | None]:
    """The rule id, code and span the core says it was deciding when it failed, if it says."""
    seen: BaseException | None = exc
    while seen is not None and not isinstance(seen, AnalysisError):
        seen = seen.__cause__ or seen.__context__
    if seen is None:
        return None, None, None
    return seen.rule, seen.code, seen.span


class DaemonPool(Executor):
    """Worker threads that do not hold up process exit: an editor that says exit must not wait
    for the analysis of a large note (the standard pool joins its threads at exit)."""

    def __init__(self, workers: int) -> None:
        self._queue: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        self._workers = workers
        for number in range(workers):
            threading.Thread(target=self._work, name=f"notelint-{number}", daemon=True).start()

    def submit(self, fn: Callable[_P, _T], /, *args: _P.args, **kwargs: _P.kwargs) -> Future[_T]:
        future: Future[_T] = Future()

        def call() -> None:
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(fn(*args, **kwargs))
                except BaseException as exc:
                    future.set_exception(exc)

        self._queue.put(call)
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        for _ in range(self._workers):
            self._queue.put(None)

    def _work(self) -> None:
        while (call := self._queue.get()) is not None:
            call()


@dataclass(eq=False)
class Linter:
    """Schedules analyses and hands finished ones to ``deliver`` (which publishes or keeps them)."""

    deliver: Callable[[Document, Analysis], None]
    pool: Executor = field(default_factory=lambda: DaemonPool(2))
    resolver: Resolver = field(default_factory=Resolver)
    options: ClientOptions = field(default_factory=ClientOptions)
    encoding: Encoding = "utf-16"
    root: Path | None = None
    generation: int = 0  # bumped whenever settings change, so cached analyses go stale
    ready: asyncio.Event = field(default_factory=asyncio.Event)  # the editor's settings are in
    # The memos of analysis, an engine per knowledge base: they hold pieces of notes (see
    # forget_notes). Both worker threads share them (see core/engine.py).
    engines: Engines = field(default_factory=Engines)

    def reconfigure(self, options: ClientOptions | None = None) -> None:
        if options is not None:
            self.options = options
        self.generation += 1

    def schedule(self, doc: Document, delay: float) -> None:
        """Lint ``doc`` after ``delay`` seconds unless it changes again first."""
        self.cancel(doc)
        doc.lint.timer = asyncio.ensure_future(self._lint_later(doc, delay))
        doc.lint.timer.add_done_callback(_log_task_failure)

    def cancel(self, doc: Document) -> None:
        if doc.lint.timer is not None:
            doc.lint.timer.cancel()

    async def current(self, doc: Document) -> Analysis:
        """An analysis of the text as it is now (or newer), with the current settings."""
        version, generation = doc.version, self.generation
        while True:
            latest = doc.lint.latest
            if latest and latest.generation >= generation and _covers(latest, doc, version):
                return latest
            task = doc.lint.running
            if task is None or task.done():
                task = doc.lint.running = asyncio.ensure_future(self._analyse(doc))
            await asyncio.shield(task)

    async def settled(self, doc: Document) -> Analysis:
        """What the client should show now: waits out a pending debounce, then its analysis."""
        while doc.lint.timer is not None and not doc.lint.timer.done():
            await asyncio.wait([doc.lint.timer])
        published = doc.lint.published
        if published is None or published.generation != self.generation:
            published = doc.lint.published = await self.current(doc)
        return published

    async def _lint_later(self, doc: Document, delay: float) -> None:
        if delay > 0:
            await asyncio.sleep(delay)
        analysis = await self.current(doc)
        if analysis.version == doc.version and analysis.generation == self.generation:
            doc.lint.published = analysis
            self.deliver(doc, analysis)
            asyncio.get_running_loop().call_later(_IDLE, collect_young_garbage)

    async def _analyse(self, doc: Document) -> Analysis:
        if not self.ready.is_set():
            try:
                await asyncio.wait_for(self.ready.wait(), _READY_TIMEOUT)
            except TimeoutError:
                self.ready.set()
        job = Job(
            doc.uri,
            doc.path,
            doc.text,
            doc.version,
            self.generation,
            self.options,
            self.encoding,
            self.root,
            doc.index(self.encoding),
        )
        loop = asyncio.get_running_loop()
        analysis = await loop.run_in_executor(self.pool, analyse, job, self.resolver, self.engines)
        doc.lint.latest = analysis  # analyses of a document run one after another, newest last
        doc.adopt(analysis.index)  # after an open or a full change, for the next edit to update
        return analysis

    def forget_notes(self) -> None:
        """Drop the pieces of notes kept to speed up analysis; called when the editor has
        closed every note, so none stays in memory longer than the notes are open."""
        self.engines.forget()  # nor an engine of a knowledge base settings have since replaced

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)


def _covers(analysis: Analysis, doc: Document, version: int) -> bool:
    """Whether ``analysis`` is of ``version`` or later; of the same version only if of the same
    text (a client may send a change without raising the version)."""
    if analysis.version != version:
        return analysis.version > version
    return analysis.report.text == doc.text


def _log_task_failure(task: asyncio.Future[Any]) -> None:
    if not task.cancelled() and (exc := task.exception()) is not None:
        log.error("linting task failed\n%s", describe_exception(exc))
