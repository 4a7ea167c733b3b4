"""Lint many notes on every core, streaming results in input order with bounded memory.

The parent reads inputs lazily and resolves each file's configuration (configs can differ per
folder); a task carries a path, or a note's bytes (standard input, a FHIR attachment), plus those
settings. At most ``window`` tasks are in flight, and a result is written as soon as every earlier
one is out, so a million notes never need a million results in memory. Workers load the knowledge
base once (the pool initializer) and send back small plain data: the JSON entry or the text lines.
"""

from __future__ import annotations

import contextlib
import difflib
import itertools
import os
import shutil
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, TextIO

from notelint.core import autofix
from notelint.core.analysis import collect_garbage_rarely, sentence_spans
from notelint.core.engine import Engine, Engines
from notelint.core.findings import Report, Severity
from notelint.core.safety import describe_failure, printable
from notelint.inputs import fhir
from notelint.inputs.config import Config
from notelint.inputs.files import (
    DEFAULT_MAX_BYTES,
    NOT_A_FILE,
    NOTE_SUFFIXES,
    NoteInput,
    Skipped,
    discover,
    from_bytes,
    is_special,
    read_note,
    too_large,
)
from notelint.kb import KnowledgeBase, load_knowledge_base
from notelint.present import json_format, text
from notelint.present.results import FileResult

if TYPE_CHECKING:  # the pool's modules load only when a pool runs (not for a few notes)
    import multiprocessing.context
    from concurrent.futures import Future, ProcessPoolExecutor

INPUT_SUFFIXES = NOTE_SUFFIXES | fhir.NDJSON_SUFFIXES
Analyse = Callable[[NoteInput, Engine, Config], Report]  # the engine knows its knowledge base


@dataclass(frozen=True, slots=True)
class Task:
    shown: str
    config: Config
    path: str | None = None  # a file the worker reads
    data: bytes | None = None  # or the note's bytes
    charset: str | None = None  # declared by a FHIR attachment's contentType
    meta: dict[str, str] = field(default_factory=dict)  # FHIR resource id and date
    error: str | None = None  # unreadable before any work: a malformed FHIR line


@dataclass(frozen=True, slots=True)
class Output:
    text: bool  # render text lines; otherwise the JSON entry
    show_codes: bool = True
    excerpts: bool = False  # put each finding's line of note text in the JSON entry (PHI: opt-in)
    fix: str = ""  # "write": apply safe fixes and report what is left; "diff": show them only
    evidence: bool = False  # text: the sentence that satisfied each requirement (PHI: opt-in)
    json_blocks: bool = False  # json: render each entry in the worker (see FileResult.block)


# --- inputs ---------------------------------------------------------------------------------


def tasks_for(
    paths: Iterable[str], config_for: Callable[[str], Config], read_stdin: Callable[[int], bytes]
) -> Iterator[Task]:
    """Tasks in input order, produced lazily: files, standard input, FHIR exports and Bundles."""
    for path in discover(paths, INPUT_SUFFIXES):
        if isinstance(path, Skipped) or (path != "-" and is_special(path)):
            shown = path.path if isinstance(path, Skipped) else path
            reason = path.reason if isinstance(path, Skipped) else NOT_A_FILE
            yield Task(shown, config_for(shown), error=reason)
            continue
        config = config_for(path)
        if path == "-":
            limit = config.max_file_size or DEFAULT_MAX_BYTES
            yield Task("<stdin>", config, data=read_stdin(limit))
        elif fhir.is_ndjson(path):
            yield from _fhir_tasks(fhir.read_ndjson(path), config)
        elif (items := fhir.read_bundle(path)) is not None:
            yield from _fhir_tasks(items, config)
        else:
            yield Task(path, config, path=path)


def _fhir_tasks(items: Iterable[fhir.FhirItem], config: Config) -> Iterator[Task]:
    seen: set[str] = set()  # resources named so far in this file: a repeated id says where
    for item in items:
        if isinstance(item, fhir.FhirProblem):
            yield Task(item.where, config, error=item.message)
            continue
        shown = item.shown
        if shown in seen:
            shown = item.shown_again()
        else:
            seen.add(shown)
        meta = {"id": item.id} | ({"date": item.date} if item.date else {})
        yield Task(shown, config, data=item.data, charset=item.charset, meta=meta)


def count_inputs(paths: Iterable[str]) -> int:
    """How many tasks ``tasks_for`` will make, near enough for a progress bar's ETA."""
    total = 0
    for path in discover(paths, INPUT_SUFFIXES):
        if isinstance(path, str) and fhir.is_ndjson(path):
            total += fhir.count_resources(path)
        else:
            total += 1
    return total


# --- the work -------------------------------------------------------------------------------


class Worker:
    """Reads and analyses one task; holds the knowledge bases, loaded once per process."""

    def __init__(self, rule_dirs: tuple[str, ...], analyse: Analyse, output: Output) -> None:
        self.rule_dirs = rule_dirs
        self.analyse = analyse
        self.output = output
        self.base = load_knowledge_base(rule_dirs)
        self.engines = Engines()  # the memos of this process's analyses, per knowledge base

    def warm_up(self) -> None:
        """Load and compile everything a first note needs, here, before workers are forked."""
        with contextlib.suppress(Exception):  # a defect is reported on the real notes instead
            self.analyse(
                NoteInput("<warm-up>", text=_WARM_UP), self.engines.of(self.base), Config()
            )

    def kb_for(self, config: Config) -> KnowledgeBase:
        if not config.rule_dirs:
            return self.base
        return load_knowledge_base([*self.rule_dirs, *config.rule_dirs])  # cached per folder set

    def __call__(self, task: Task) -> FileResult:
        if task.error is not None:
            return FileResult(task.shown, error=task.error, meta=task.meta)
        note = _read(task)
        if note.error is not None:
            return FileResult(task.shown, error=note.error, meta=task.meta)
        started = time.perf_counter()
        try:
            report = self.analyse(note, self.engines.of(self.kb_for(task.config)), task.config)
            fixed = self._fixed(task, note, report)
        except Exception as exc:  # a defect in notelint must not stop the run or leak the note
            error = f"internal error ({describe_failure(exc)}); please report it"
            return FileResult(task.shown, error=error, meta=task.meta)
        result = self._result(task, fixed.report if fixed else report, started)
        if fixed is None:
            return result
        if self.output.fix == "diff":
            diff = _unified_diff(task.shown, note.text or "", fixed.text)
            return replace(result, lines=diff, fixes_applied=fixed.applied)
        keep = fixed.applied or task.path is None  # standard input is echoed, fixed or not
        return replace(result, fixed_text=fixed.text if keep else None, fixes_applied=fixed.applied)

    def _fixed(self, task: Task, note: NoteInput, report: Report) -> autofix.Fixed | None:
        """--fix and --diff: a note notelint can write back (a file or standard input read as
        UTF-8; not a FHIR resource) with its safe fixes applied."""
        if not self.output.fix or note.text is None or note.issues or "id" in task.meta:
            return None
        engine = self.engines.of(self.kb_for(task.config))

        def analyse(text: str) -> Report:
            return self.analyse(NoteInput(task.shown, text=text), engine, task.config)

        return autofix.fix_note(note.text, analyse, report)

    def _result(self, task: Task, report: Report, started: float) -> FileResult:
        fail_on = task.config.fail_on
        failed = fail_on != "never" and any(
            f.severity >= Severity.parse(fail_on) for f in report.findings
        )
        text_out = self.output.text
        entry = (
            None
            if text_out
            else json_format.file_json(task.shown, report, excerpts=self.output.excerpts)
        )
        engine = self.engines.of(self.kb_for(task.config))
        sentences = (
            sentence_spans(report.text, engine.kb, engine)
            if text_out and self.output.evidence
            else None
        )
        return FileResult(
            task.shown,
            entry=entry,
            block=json_format.file_block(entry) if entry and self.output.json_blocks else None,
            lines=tuple(
                text.file_lines(printable(task.shown), report, self.output.show_codes, sentences)
            )
            if text_out
            else (),
            findings=len(report.findings),
            failed=failed,
            meta=task.meta,
            millis=(time.perf_counter() - started) * 1000,
            profile=task.config.settings.profile,
            config_path=task.config.path,
            rules=tuple(
                (f.rule, any(fix.asserts_nothing for fix in f.fixes)) for f in report.findings
            ),
        )


def _unified_diff(shown: str, before: str, after: str) -> tuple[str, ...]:
    """What --fix would change in one note, as a unified diff (nothing when unchanged)."""
    lines = difflib.unified_diff(before.splitlines(), after.splitlines(), shown, shown, lineterm="")
    return tuple(lines)


def _read(task: Task) -> NoteInput:
    limit = task.config.max_file_size or DEFAULT_MAX_BYTES
    if task.path is not None:
        return read_note(task.path, limit)
    data = task.data or b""
    if len(data) > limit:
        return NoteInput(task.shown, issues=[too_large(limit)])
    if task.charset and task.charset.replace("-", "").replace("_", "") not in ("utf8", "utf8sig"):
        try:
            decoded = data.decode(task.charset)
        except (UnicodeError, LookupError):  # punycode and idna raise the base class
            pass  # mislabelled: fall back to UTF-8 / Windows-1252 with NL901, as for files
        else:
            if "\x00" in decoded[:8192]:  # binary, as inputs.from_bytes judges files
                return NoteInput(task.shown, issues=[("NL904", {})])
            return NoteInput(task.shown, text=decoded)
    return from_bytes(task.shown, data)


_WARM_UP = (
    "PROCEDURE: Ultrasound-guided left liver biopsy under fluoroscopy and CT.\n"
    "Images were saved. Findings: no complication.\nCPT: 47000, 76942-26\n"
)
_worker: Worker | None = None


def _init_worker(rule_dirs: tuple[str, ...], analyse: Analyse, output: Output) -> None:
    global _worker  # noqa: PLW0603 - one Worker per pool process, built by the initializer
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    collect_garbage_rarely()  # a spawned worker does not inherit the parent's setting
    _worker = Worker(rule_dirs, analyse, output)


def _work(chunk: list[Task]) -> list[FileResult]:
    assert _worker is not None, "the pool initializer did not run"
    return [_worker(task) for task in chunk]


# --- ordered, bounded parallelism -------------------------------------------------------------

# Notes per pool task, at most: a task costs the parent a few hundred microseconds whatever it
# carries (pickling, the executor's queues and threads), so a cheap note must not travel alone;
# small enough that no worker idles long at the end of a run.
CHUNK_MAX = 32
# Fewer notes than this are linted in this process: starting a pool would cost more.
POOL_FROM = 8


def default_jobs() -> int:
    """The CPUs this process may use (a container's affinity mask, where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def run_ordered(
    tasks: Iterable[Task],
    worker_args: tuple[tuple[str, ...], Analyse, Output],
    jobs: int,
    window: int | None = None,
    context: str | None = None,
) -> Generator[FileResult, None, None]:
    """Results in the order of ``tasks``, with at most ``window`` tasks read ahead of the output.

    ``jobs == 1``, or only a few tasks, runs in this process: no pool to start for a few notes.
    """
    window = window or jobs * CHUNK_MAX * 2
    items = iter(tasks)
    pool_from = max(2, min(POOL_FROM, window))
    head = list(itertools.islice(items, pool_from)) if jobs > 1 else []
    if jobs <= 1 or len(head) < pool_from:
        worker = Worker(*worker_args)
        for task in itertools.chain(head, items):
            yield worker(task)
        return
    yield from _pooled(itertools.chain(head, items), worker_args, jobs, window, context)


def chunks(tasks: Iterable[Task], jobs: int, window: int) -> Iterator[list[Task]]:
    """Tasks in lists that grow from one to ``CHUNK_MAX`` (so every worker starts at once and
    the first results come soon), never so long that ``window`` holds fewer than two per worker."""
    cap = max(1, min(CHUNK_MAX, window // (2 * jobs)))
    size, chunk = 1, []
    for task in tasks:
        chunk.append(task)
        if len(chunk) >= size:
            yield chunk
            size, chunk = min(cap, size * 2), []
    if chunk:
        yield chunk


def _pooled(
    tasks: Iterator[Task],
    worker_args: tuple[tuple[str, ...], Analyse, Output],
    jobs: int,
    window: int,
    context: str | None,
) -> Iterator[FileResult]:
    from concurrent.futures import ProcessPoolExecutor

    mp_context = _context(context)
    if mp_context.get_start_method() == "fork":
        Worker(*worker_args).warm_up()
    pool = ProcessPoolExecutor(
        min(jobs, max_workers()),
        mp_context=mp_context,
        initializer=_init_worker,
        initargs=worker_args,
    )
    pending: deque[tuple[Future[list[FileResult]], int]] = deque()
    in_flight = 0  # tasks read and not yet yielded
    try:
        for chunk in chunks(tasks, jobs, window):
            pending.append((_submit(pool, chunk), len(chunk)))
            in_flight += len(chunk)
            while in_flight >= window:
                in_flight -= pending[0][1]
                yield from pending.popleft()[0].result()
        while pending:
            yield from pending.popleft()[0].result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


class PoolError(Exception):
    """The worker processes could not be started; the message is for the user."""


def _submit(pool: ProcessPoolExecutor, chunk: list[Task]) -> Future[list[FileResult]]:
    """Workers start as tasks are submitted: past the process or descriptor limits that fails,
    and the half-started pool is stopped at once (waiting for it would wait for ever)."""
    try:
        return pool.submit(_work, chunk)
    except OSError as exc:
        for process in list(getattr(pool, "_processes", {}).values()):
            process.kill()
        pool.shutdown(wait=False, cancel_futures=True)
        reason = exc.strerror or type(exc).__name__
        raise PoolError(f"cannot start the worker processes ({reason}); try fewer --jobs") from None


def max_workers() -> int:
    """As many workers as the descriptor limit leaves room for (each holds a few descriptors in
    this process); past the process limit, starting one fails and :func:`_submit` says so."""
    try:
        import resource
    except ImportError:
        return 61  # Windows' ceiling for a process pool
    files = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if files == resource.RLIM_INFINITY or files < 0:
        return 512
    return max(1, min((files - 32) // 4, 512))


def _context(name: str | None) -> multiprocessing.context.BaseContext:
    import multiprocessing

    # Linux: fork, so workers inherit the parent's warm knowledge base and compiled patterns
    # (a fresh process spends far longer compiling them than analysing a note). Elsewhere fork
    # is unavailable or unsafe, and spawned workers build their own in the initializer.
    if name is None:
        name = "fork" if sys.platform == "linux" else "spawn"
    return multiprocessing.get_context(name)


# --- progress -------------------------------------------------------------------------------


class Progress:
    """A one-line bar on a terminal: done/total, rate and ETA, redrawn at most ten times a second.

    The total is counted in a background thread, started with the first result (once a pool has
    forked its workers), so the first results are not delayed by it.
    """

    def __init__(self, stream: TextIO, paths: Iterable[str] | None = None) -> None:
        self.stream = stream
        self.enabled = paths is not None
        self.total: int | None = None
        self.done = 0
        self.started = time.monotonic()
        self._drawn_at = 0.0
        self._visible = False
        self._paths = list(paths) if paths is not None else None

    def _count(self, paths: list[str]) -> None:
        try:
            self.total = count_inputs(paths)
        except OSError:
            self.total = None

    def advance(self) -> None:
        if self._paths is not None:  # after the first result: the pool has forked its workers
            threading.Thread(target=self._count, args=(self._paths,), daemon=True).start()
            self._paths = None
        self.done += 1
        now = time.monotonic()
        if self.enabled and now - self._drawn_at >= 0.1:
            self._drawn_at = now
            self._draw(now)

    def clear(self) -> None:
        """Erase the bar before anything else is written to the terminal."""
        if self._visible:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._visible = False

    def close(self) -> None:
        self.clear()

    def _draw(self, now: float) -> None:
        self.stream.write("\r\x1b[K" + self.line(now))
        self.stream.flush()
        self._visible = True

    def line(self, now: float) -> str:
        elapsed = max(now - self.started, 1e-6)
        rate = self.done / elapsed
        total = self.total
        if total is None or total < self.done:
            return f"notelint {self.done:,} done  {rate:,.0f}/s  {_clock(elapsed)}"
        width = max(10, min(40, shutil.get_terminal_size((80, 24)).columns - 50))
        filled = width * self.done // max(total, 1)
        eta = (total - self.done) / rate if rate > 0 else 0.0
        return (
            f"notelint [{'#' * filled}{'-' * (width - filled)}] {self.done:,}/{total:,} "
            f"{100 * self.done // max(total, 1)}%  {rate:,.0f}/s  ETA {_clock(eta)}"
        )


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
