"""Command line: ``notelint check``, ``notelint rules`` (``check``, ``test``), ``notelint explain``.

Exit status: 0 clean, 1 findings at or above --fail-on, 2 usage, configuration or unreadable input.
"""

from __future__ import annotations

import argparse
import codecs
import json
import logging
import os
import signal
import sys
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import BrokenExecutor  # not .process: no pool module for -j1
from contextlib import closing
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

from notelint import __version__, batch
from notelint.core.analysis import analyze_input, collect_garbage_rarely
from notelint.core.engine import Engine
from notelint.core.findings import Report
from notelint.core.safety import describe_failure, printable
from notelint.core.settings import PROFILES, Settings
from notelint.inputs.config import Config, ConfigError, find_config, load_config
from notelint.inputs.files import NoteInput
from notelint.kb import KnowledgeBase, KnowledgeBaseError, load_knowledge_base
from notelint.present import text
from notelint.present.emit import Emitter, SilentEmitter
from notelint.present.explain import explain_text
from notelint.present.formats import FORMATS, make_emitter
from notelint.present.results import FileResult

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it
EXIT_TERMINATED = 143  # 128 + SIGTERM
log = logging.getLogger("notelint")


def _split(values: list[str] | None) -> tuple[str, ...] | None:
    if values is None:
        return None
    return tuple(v.strip() for item in values for v in item.split(",") if v.strip())


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; given the command about to run, commands that cannot be it are left out when
    registering them costs imports (``report``), which keeps ``check``'s start-up short."""
    parser = argparse.ArgumentParser(
        prog="notelint", description="Lint procedure notes for image-guidance coding documentation."
    )
    parser.add_argument("--version", action="version", version=f"notelint {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    check = sub.add_parser(
        "check", help="lint note files, folders (recursively) or - for standard input"
    )
    check.add_argument("paths", nargs="+", metavar="PATH")
    check.add_argument(
        "--format",
        choices=FORMATS,
        default="text",
        help="text, json (one document), jsonl (one note a line), sarif 2.1.0, junit, github",
    )
    check.add_argument(
        "--jobs",
        "-j",
        type=_jobs,
        default=None,
        metavar="N",
        help="worker processes (default: every CPU); 1 runs in this process",
    )
    check.add_argument(
        "--quiet", "-q", action="store_true", help="no progress bar on a terminal's stderr"
    )
    check.add_argument(
        "--select", action="append", help="rule ids or prefixes to enable (comma-separated)"
    )
    check.add_argument(
        "--ignore", action="append", help="rule ids or prefixes to disable (comma-separated)"
    )
    check.add_argument("--profile", choices=PROFILES, help="requirement profile (default: cpt)")
    check.add_argument(
        "--fail-on",
        choices=["error", "warning", "information", "hint", "never"],
        help="lowest severity that makes the exit status 1 (default: warning)",
    )
    check.add_argument(
        "--rules", action="append", default=[], metavar="DIR", help="extra rule folder (repeatable)"
    )
    check.add_argument(
        "--config", metavar="FILE", help="use this config file instead of searching upward"
    )
    check.add_argument(
        "--no-codes", action="store_true", help="text format: omit the supported-codes line"
    )
    check.add_argument(
        "--include-excerpts",
        action="store_true",
        help="json/jsonl: add each finding's line of note text (contains protected health information)",
    )
    check.add_argument(
        "--log-level",
        choices=["error", "warning", "info", "debug"],
        default="warning",
        help="diagnostics on stderr (file names and counts, never note text)",
    )
    check.add_argument(
        "--no-cache",
        action="store_true",
        help="build the rules afresh instead of loading them from the user cache folder "
        "(also NOTELINT_NO_CACHE=1)",
    )
    _add_fix_and_output_options(check)

    rules = sub.add_parser(
        "rules",
        help="list the rules; `rules check DIR...` validates rule files; `rules test [DIR...]` "
        "runs the cases kept in them",
    )
    rules.add_argument("action", nargs="?", choices=["list", "check", "test"], default="list")
    rules.add_argument(
        "dirs",
        nargs="*",
        metavar="DIR",
        help="with check: rule folders to validate; with test: rule folders whose cases to run "
        "(default: the built-in rules)",
    )
    rules.add_argument("--format", choices=["text", "json"], default="text")
    rules.add_argument("--rules", action="append", default=[], metavar="DIR")

    families = sub.add_parser(
        "families", help="list the procedure families and how each codes its imaging guidance"
    )
    families.add_argument("--format", choices=["text", "json"], default="text")
    families.add_argument("--rules", action="append", default=[], metavar="DIR")

    evaluate = sub.add_parser(
        "eval", help="score notelint against a labelled corpus (labels.json) or phrase banks"
    )
    evaluate.add_argument("corpus", metavar="CORPUS_DIR", nargs="?")
    evaluate.add_argument(
        "--phrases",
        nargs="?",
        const="",
        metavar="DIR",
        help="score the phrase banks (default: the bundled fixtures/phrases) instead of a corpus",
    )
    evaluate.add_argument("--format", choices=["text", "json"], default="text")
    evaluate.add_argument("--profile", choices=PROFILES, default="cpt")
    evaluate.add_argument("--rules", action="append", default=[], metavar="DIR")

    _add_server_parser(sub)
    demo = sub.add_parser("demo", help="the web editor demo: WebSocket server and page on loopback")
    demo.add_argument("--log-level", choices=["error", "warning", "info"], default="warning")
    demo.add_argument("--port", type=int, default=0, help="the page's port (default: a free one)")

    explain = sub.add_parser("explain", help="print a rule's or a procedure family's documentation")
    explain.add_argument(
        "rule",
        metavar="RULE",
        help="rule id (NL102) or name (missing-permanent-images), or a family id or code (47000)",
    )
    explain.add_argument("--rules", action="append", default=[], metavar="DIR")

    if command is None or command == "report":
        from notelint import audit

        audit.add_parser(sub)
    return parser


def _add_server_parser(sub: Any) -> None:
    serve = sub.add_parser("server", help="run the language server (stdio unless --tcp or --ws)")
    where = serve.add_mutually_exclusive_group()
    where.add_argument(
        "--stdio", action="store_true", help="speak LSP over standard input/output (default)"
    )
    where.add_argument("--tcp", metavar="HOST:PORT", help="listen for LSP over TCP")
    where.add_argument(
        "--ws",
        metavar="HOST:PORT",
        help="listen for LSP over WebSocket (binds 127.0.0.1 unless a host is given)",
    )
    serve.add_argument(
        "--log-level", choices=["error", "warning", "info", "debug"], default="warning"
    )
    serve.add_argument(
        "--allow-origin",
        action="append",
        metavar="ORIGIN",
        help="--ws: a web page origin allowed to connect, e.g. https://ehr.example.org or "
        "http://localhost:* (repeatable; default: loopback pages only)",
    )
    serve.add_argument(
        "--token",
        help="--ws: require this bearer token (default: $NOTELINT_TOKEN; prefer the variable)",
    )
    serve.add_argument(
        "--max-message-mb", type=float, default=10, metavar="MB", help="--ws: message size limit"
    )
    serve.add_argument(
        "--allow-client-rules",
        action="store_true",
        help="--ws: let clients name rule folders on this machine in their settings",
    )
    serve.add_argument(
        "--keep-running",
        action="store_true",
        help="--tcp, --ws: keep serving after the last open session says exit (a shared server)",
    )


def _add_fix_and_output_options(check: argparse.ArgumentParser) -> None:
    """What ruff users expect: fixing, a diff, statistics, an output file; and the evidence."""
    fixing = check.add_mutually_exclusive_group()
    fixing.add_argument(
        "--fix",
        action="store_true",
        help="apply code and modifier fixes to the files (never documentation templates), then "
        "report what is left; with - the fixed note goes to stdout and the report to stderr",
    )
    fixing.add_argument(
        "--diff",
        action="store_true",
        help="show the changes --fix would make as a unified diff; write nothing",
    )
    check.add_argument(
        "--statistics",
        action="store_true",
        help="text: a count per rule instead of each finding ([*]: --fix settles some)",
    )
    check.add_argument(
        "--output-file", "-o", metavar="FILE", help="write the output to FILE instead of stdout"
    )
    check.add_argument(
        "--show-evidence",
        action="store_true",
        help="text: also print the sentence that satisfied each requirement (note text: "
        "protected health information)",
    )


_COMMANDS = ("check", "rules", "families", "eval", "server", "demo", "explain")


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    command = words[0] if words and words[0] in _COMMANDS else None
    args = build_parser(command).parse_args(words)
    collect_garbage_rarely()
    try:
        if args.command == "check":
            return _check(args)
        if args.command == "report":
            from notelint import audit

            return audit.run(args)
        if args.command == "server":
            from notelint.lsp import run  # the server's dependencies load only when it runs

            return int(run(args))
        if args.command == "demo":
            from notelint.demo import run_demo

            return run_demo(args)
        if args.command == "rules" and args.action == "check":
            return _rules_check([*args.rules, *args.dirs])
        if args.command == "rules" and args.action == "test":
            return _rules_test([*args.rules, *args.dirs])
        kb = load_knowledge_base(args.rules)
        if args.command == "rules":
            return _rules(kb, args.format)
        if args.command == "eval":
            return _eval(kb, args)
        if args.command == "families":
            return _families(kb, args.format)
        return _explain(kb, args.rule)
    except KnowledgeBaseError as exc:
        for error in exc.errors:
            print(f"notelint: {error}", file=sys.stderr)
        return EXIT_ERROR
    except ConfigError as exc:
        print(f"notelint: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:
        return EXIT_ERROR
    except (Exception, RecursionError, MemoryError) as exc:
        # The last line of defence: one line, no traceback, never the exception's message
        # (it can quote a note); exit 2, which callers do not read as "findings".
        print(f"notelint: internal error ({describe_failure(exc)})", file=sys.stderr)
        return EXIT_ERROR


def _analyse(note: NoteInput, engine: Engine, config: Config) -> Report:
    """One note: the analysis plus the input findings (NL901, NL903, NL904). Runs in a worker,
    whose engine keeps what notes teach the next ones."""
    return analyze_input(note.text, note.issues, engine.kb, config.settings, engine)


class _Configs:
    """Each file's configuration: the nearest config file (looked up once per folder), merged
    with the command line. Resolved in the parent so workers get the settings with the task."""

    def __init__(self, args: argparse.Namespace, known: frozenset[str]) -> None:
        self.args = args
        self.known = known
        self.found: dict[str, Path | None] = {}
        self.merged: dict[Path | None, Config] = {}

    def __call__(self, path: str) -> Config:
        if self.args.config:
            found: Path | None = Path(self.args.config)
        else:
            folder = os.getcwd() if path == "-" else os.path.dirname(os.path.abspath(path))
            if folder not in self.found:
                self.found[folder] = find_config(Path.cwd() if path == "-" else Path(path))
            found = self.found[folder]
        if found not in self.merged:
            self.merged[found] = self._merge(load_config(found, self.known) if found else Config())
        return self.merged[found]

    def _merge(self, config: Config) -> Config:
        settings = config.settings.overridden(
            profile=self.args.profile,
            select=_split(self.args.select),
            ignore=_split(self.args.ignore),
        )
        if config.rule_dirs:  # bad rule files are a usage error, reported before any work
            load_knowledge_base([*self.args.rules, *config.rule_dirs])
        return replace(config, settings=settings, fail_on=self.args.fail_on or config.fail_on)


def _check(args: argparse.Namespace) -> int:
    if args.no_cache:
        from notelint.kb import cache

        cache.disable()
    logging.basicConfig(
        level=args.log_level.upper(),
        format="notelint %(levelname)s: %(message)s",
        stream=sys.stderr,
    )
    base = load_knowledge_base(args.rules)
    log.debug(
        "knowledge base: %d rules, %d concepts, %d codes",
        len(base.rules),
        len(base.concepts),
        len(base.codes),
    )
    if args.output_file is None:
        # --fix on standard input writes the fixed note to stdout, so the report goes to stderr.
        fixing_stdin = args.fix and "-" in args.paths
        return _run_check(args, base, sys.stderr if fixing_stdin else sys.stdout)
    try:
        with open(args.output_file, "w", encoding="utf-8") as out:
            return _run_check(args, base, out)
    except OSError as exc:
        print(
            f"notelint: {printable(args.output_file)}: cannot write ({exc.strerror})",
            file=sys.stderr,
        )
        return EXIT_ERROR


class _Totals:
    """What the closing summary and --statistics count, kept as results stream past."""

    def __init__(self) -> None:
        self.notes = self.flagged = self.fixed = self.changed = self.unreadable = 0
        self.worst_exit = EXIT_CLEAN
        self.by_rule: Counter[str] = Counter()
        self.fixable: Counter[str] = Counter()

    def add(self, result: FileResult) -> None:
        self.notes += 1
        self.flagged += bool(result.rules)
        self.fixed += result.fixes_applied
        self.changed += bool(result.fixes_applied)
        for rule, can_fix in result.rules:
            self.by_rule[rule] += 1
            self.fixable[rule] += can_fix

    def summary(self) -> str:
        return text.summary_line(
            self.by_rule.total(),
            self.flagged,
            self.notes,
            self.fixable.total(),
            self.fixed,
            self.unreadable,
        )


def _run_check(args: argparse.Namespace, base: KnowledgeBase, out: TextIO) -> int:
    quiet_files = args.statistics and not args.diff
    emitter = SilentEmitter(out) if quiet_files else make_emitter(_format(args), out, base)
    show_bar = sys.stderr.isatty() and not args.quiet
    progress = batch.Progress(sys.stderr, args.paths if show_bar else None)
    tasks = batch.tasks_for(args.paths, _Configs(args, frozenset(base.rules)), _read_stdin)
    output = batch.Output(
        text=_format(args) == "text",
        show_codes=not args.no_codes,
        excerpts=args.include_excerpts,
        fix="diff" if args.diff else "write" if args.fix else "",
        evidence=args.show_evidence,
        json_blocks=_format(args) == "json" and not quiet_files,
    )
    jobs = args.jobs or batch.default_jobs()
    totals = _Totals()
    _terminating.clear()
    previous = signal.signal(signal.SIGTERM, _terminate)  # to stop the workers on the way out
    try:
        with closing(
            batch.run_ordered(tasks, (tuple(args.rules), _analyse, output), jobs)
        ) as results:
            for result in results:
                if _terminating:
                    raise _Terminated
                _emit(result, emitter, progress, totals, out, diff=args.diff)
    except (ConfigError, KeyboardInterrupt, KnowledgeBaseError, BrokenExecutor) as stop:
        progress.close()
        if emitter.started:
            emitter.end(totals.unreadable)  # a well-formed document of the files done so far
        if isinstance(stop, ConfigError | KnowledgeBaseError):
            raise
        stopped = "interrupted" if isinstance(stop, KeyboardInterrupt) else _WORKER_DIED
        print(f"notelint: {stopped}", file=sys.stderr)
        if isinstance(stop, KeyboardInterrupt):
            return EXIT_TERMINATED if isinstance(stop, _Terminated) else EXIT_INTERRUPTED
        return EXIT_ERROR
    except batch.PoolError as exc:
        progress.close()
        print(f"notelint: {exc}", file=sys.stderr)
        return EXIT_ERROR
    finally:
        signal.signal(signal.SIGTERM, previous)
    progress.close()
    emitter.end(totals.unreadable)
    _close(args, out, totals, base)
    return EXIT_ERROR if totals.unreadable else totals.worst_exit


_WORKER_DIED = "a worker process stopped unexpectedly"


def _emit(
    result: FileResult,
    emitter: Emitter,
    progress: batch.Progress,
    totals: _Totals,
    out: TextIO,
    *,
    diff: bool,
) -> None:
    progress.advance()
    if result.error is not None or not _write_back(result):
        progress.clear()
        if result.error is not None:
            print(f"notelint: {printable(result.shown)}: {result.error}", file=sys.stderr)
        totals.unreadable += 1
        emitter.error(result)
        return
    _log_result(result, progress)
    if out.isatty():
        progress.clear()
    emitter.file(result)
    totals.add(result)
    failed = result.fixes_applied if diff else result.failed
    totals.worst_exit = EXIT_FINDINGS if failed else totals.worst_exit


class _Terminated(KeyboardInterrupt):
    """SIGTERM, handled as Ctrl-C is: the worker pool is shut down before the process ends."""


_terminating: list[int] = []  # SIGTERM arrived: stop between two notes, never mid-write


def _terminate(signum: int, frame: object) -> None:
    _terminating.append(signum)


def _read_stdin(limit: int) -> bytes:
    """Standard input up to one byte past ``limit``, so that a longer one is known as such
    (NL903, as for a file) instead of being linted cut short."""
    return sys.stdin.buffer.read(limit + 1)


def _format(args: argparse.Namespace) -> str:
    return "text" if args.diff or args.statistics else str(args.format)


def _close(args: argparse.Namespace, out: TextIO, totals: _Totals, kb: KnowledgeBase) -> None:
    """After the last note: --statistics' table, then the text output's one-line summary."""
    if args.diff:
        print(
            f"notelint: --fix would apply {totals.fixed} fix(es) to {totals.changed} note(s)",
            file=sys.stderr,
        )
        return
    if args.statistics:
        names = {rid: rule.name for rid, rule in kb.rules.items()}
        for line in text.statistics_lines(totals.by_rule, names, totals.fixable):
            out.write(line + "\n")
    if _format(args) == "text":
        out.write(totals.summary() + "\n")


def _write_back(result: FileResult) -> bool:
    """--fix: standard input's note to stdout, a file's rewritten in place (keeping a BOM).
    False when the file cannot be written (reported on stderr by name)."""
    if result.fixed_text is None:
        return True
    if result.shown == "<stdin>":
        sys.stdout.write(result.fixed_text)
        sys.stdout.flush()
        return True
    path = Path(result.shown)
    try:
        bom = codecs.BOM_UTF8 if path.read_bytes().startswith(codecs.BOM_UTF8) else b""
        path.write_bytes(bom + result.fixed_text.encode("utf-8"))
    except OSError as exc:
        print(
            f"notelint: {printable(result.shown)}: cannot write the fixed note ({exc.strerror})",
            file=sys.stderr,
        )
        return False
    return True


def _log_result(result: FileResult, progress: batch.Progress) -> None:
    if log.isEnabledFor(logging.INFO):
        progress.clear()
        log.info(
            "%s: %d finding(s) in %.1f ms (profile %s, config %s)",
            result.shown,
            result.findings,
            result.millis,
            result.profile,
            result.config_path or "none",
        )


def _jobs(value: str) -> int:
    jobs = int(value)
    if jobs < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return jobs


def _rules(kb: KnowledgeBase, fmt: str) -> int:
    if fmt == "json":
        rows = [
            {
                "rule": rid,
                "name": rule.name,
                "category": rule.category,
                "severity": rule.severity,
                "summary": rule.summary,
                "profiles": list(rule.profiles),
            }
            for rid, rule in sorted(kb.rules.items())
        ]
        print(json.dumps(rows, indent=2))
        return EXIT_CLEAN
    for rid, rule in sorted(kb.rules.items()):
        profiles = "" if set(rule.profiles) == set(PROFILES) else f" [{','.join(rule.profiles)}]"
        print(f"{rid}  {rule.name:<40} {rule.severity:<11} {rule.summary}{profiles}")
    return EXIT_CLEAN


def _families(kb: KnowledgeBase, fmt: str) -> int:
    from notelint.present.families import families_json, families_text

    if fmt == "json":
        print(json.dumps(families_json(kb), indent=2))
    else:
        print(families_text(kb))
    return EXIT_CLEAN


def _rules_check(dirs: list[str]) -> int:
    if not dirs:
        print("notelint: rules check needs at least one rule folder", file=sys.stderr)
        return EXIT_ERROR
    kb = load_knowledge_base(dirs)  # raises KnowledgeBaseError, reported by main()
    files = sum(1 for d in dirs for _ in Path(d).rglob("*.toml"))
    print(
        f"{files} rule file(s) valid: {len(kb.rules)} rules, {len(kb.concepts)} concepts, {len(kb.policies)} policies in total"
    )
    return EXIT_CLEAN


def _rules_test(dirs: list[str]) -> int:
    """Run the cases kept in rule folders: 0 all pass, 1 some fail, 2 the rules do not load."""
    from notelint.kb import build_knowledge_base
    from notelint.present.rule_tests import rule_test_lines
    from notelint.rulekit import run_rule_tests

    kb = build_knowledge_base(dirs)  # read now: it names where each case is written
    results = run_rule_tests(kb, dirs)
    for line in rule_test_lines(results):
        print(line)
    return EXIT_FINDINGS if results.failed else EXIT_CLEAN


def _eval(kb: KnowledgeBase, args: argparse.Namespace) -> int:
    from notelint.evaluate import evaluate_corpus, render_text

    if args.phrases is not None:
        return _eval_phrases(kb, args.phrases, args.format)
    if args.corpus is None:
        print("notelint: eval needs CORPUS_DIR or --phrases", file=sys.stderr)
        return EXIT_ERROR
    try:
        result, _ = evaluate_corpus(Path(args.corpus), kb, Settings(profile=args.profile))
    except (OSError, ValueError) as exc:
        print(f"notelint: {args.corpus}: {exc}", file=sys.stderr)
        return EXIT_ERROR
    if args.format == "json":
        print(json.dumps(result.as_json(), indent=2))
    else:
        print(render_text(result))
    return EXIT_CLEAN


def _eval_phrases(kb: KnowledgeBase, folder: str, output: str) -> int:
    """Per-concept recall and false accepts on the phrase banks; non-zero below the bar."""
    from notelint import phrases

    where = Path(folder) if folder else phrases.default_phrase_dir()
    try:
        scores = phrases.score_banks(phrases.load_banks(where), kb)
    except (OSError, phrases.BankError) as exc:
        print(f"notelint: {exc}", file=sys.stderr)
        return EXIT_ERROR
    if output == "json":
        print(json.dumps([s.as_json() for s in scores], indent=2))
    else:
        print(phrases.render_text(scores))
    return EXIT_CLEAN if all(s.passes for s in scores) else EXIT_FINDINGS


def _explain(kb: KnowledgeBase, wanted: str) -> int:
    rid = next(
        (r for r, rule in kb.rules.items() if wanted.upper() == r or wanted.lower() == rule.name),
        None,
    )
    if rid is None:
        from notelint.present.families import family_text, find_family

        family_id = find_family(kb, wanted)
        if family_id:
            print(family_text(kb, family_id))
            return EXIT_CLEAN
        print(
            f"notelint: unknown rule or family {wanted!r} (see `notelint rules`, "
            "`notelint families`)",
            file=sys.stderr,
        )
        return EXIT_ERROR
    print(explain_text(kb, rid))
    return EXIT_CLEAN


if __name__ == "__main__":
    sys.exit(main())
