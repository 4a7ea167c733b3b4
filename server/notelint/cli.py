"""Command line: ``notelint check``, ``notelint rules``, ``notelint explain``.

Exit status: 0 clean, 1 findings at or above --fail-on, 2 usage, configuration or unreadable input.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

from notelint import __version__
from notelint.analysis import analyze
from notelint.config import Config, ConfigError, find_config, load_config
from notelint.decide import make_finding
from notelint.findings import Report, Severity, Span
from notelint.inputs import DEFAULT_MAX_BYTES, NoteInput, discover, from_bytes, read_note
from notelint.kb import KnowledgeBase, KnowledgeBaseError, load_knowledge_base
from notelint.present import json_format, text
from notelint.safety import describe_failure
from notelint.settings import PROFILES, Settings

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
log = logging.getLogger("notelint")


def _split(values: list[str] | None) -> tuple[str, ...] | None:
    if values is None:
        return None
    return tuple(v.strip() for item in values for v in item.split(",") if v.strip())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="notelint", description="Lint procedure notes for image-guidance coding documentation."
    )
    parser.add_argument("--version", action="version", version=f"notelint {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    check = sub.add_parser(
        "check", help="lint note files, folders (recursively) or - for standard input"
    )
    check.add_argument("paths", nargs="+", metavar="PATH")
    check.add_argument("--format", choices=["text", "json"], default="text")
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
        "--log-level",
        choices=["error", "warning", "info", "debug"],
        default="warning",
        help="diagnostics on stderr (file names and counts, never note text)",
    )

    rules = sub.add_parser(
        "rules", help="list the rules, or `rules check DIR...` to validate rule files"
    )
    rules.add_argument("action", nargs="?", choices=["list", "check"], default="list")
    rules.add_argument(
        "dirs", nargs="*", metavar="DIR", help="with check: rule folders to validate"
    )
    rules.add_argument("--format", choices=["text", "json"], default="text")
    rules.add_argument("--rules", action="append", default=[], metavar="DIR")

    evaluate = sub.add_parser("eval", help="score notelint against a labelled corpus (labels.json)")
    evaluate.add_argument("corpus", metavar="CORPUS_DIR")
    evaluate.add_argument("--format", choices=["text", "json"], default="text")
    evaluate.add_argument("--profile", choices=PROFILES, default="cpt")
    evaluate.add_argument("--rules", action="append", default=[], metavar="DIR")

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

    explain = sub.add_parser("explain", help="print a rule's documentation")
    explain.add_argument(
        "rule", metavar="RULE", help="rule id (NL102) or name (missing-permanent-images)"
    )
    explain.add_argument("--rules", action="append", default=[], metavar="DIR")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "check":
            return _check(args)
        if args.command == "server":
            from notelint.lsp import run  # the server's dependencies load only when it runs

            return int(run(args))
        if args.command == "rules" and args.action == "check":
            return _rules_check([*args.rules, *args.dirs])
        kb = load_knowledge_base(args.rules)
        if args.command == "rules":
            return _rules(kb, args.format)
        if args.command == "eval":
            return _eval(kb, args)
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


class _Runner:
    """Resolves configuration per file and analyses each note with the knowledge base it needs."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.base = load_knowledge_base(args.rules)
        self.known = frozenset(self.base.rules)

    def config_for(self, path: str) -> Config:
        if self.args.config:
            config = load_config(Path(self.args.config), self.known)
        else:
            found = find_config(Path.cwd() if path == "-" else Path(path))
            config = load_config(found, self.known) if found else Config()
        settings = config.settings
        select, ignore = _split(self.args.select), _split(self.args.ignore)
        settings = replace(
            settings,
            profile=self.args.profile or settings.profile,
            select=select if select is not None else settings.select,
            ignore=ignore if ignore is not None else settings.ignore,
        )
        return replace(config, settings=settings, fail_on=self.args.fail_on or config.fail_on)

    def kb_for(self, config: Config) -> KnowledgeBase:
        return (
            load_knowledge_base([*self.args.rules, *config.rule_dirs])
            if config.rule_dirs
            else self.base
        )

    def run(self, note: NoteInput, config: Config) -> Report:
        kb = self.kb_for(config)
        report = (
            analyze(note.text or "", kb, config.settings)
            if note.text is not None
            else Report(text="")
        )
        for rule_id, values in note.issues:
            finding = make_finding(kb, config.settings, rule_id, Span(0, 0), values=values)
            if finding:
                report.findings.insert(0, finding)
        return report


def _check(args: argparse.Namespace) -> int:
    logging.basicConfig(
        level=args.log_level.upper(),
        format="notelint %(levelname)s: %(message)s",
        stream=sys.stderr,
    )
    runner = _Runner(args)
    log.debug(
        "knowledge base: %d rules, %d concepts, %d codes",
        len(runner.base.rules),
        len(runner.base.concepts),
        len(runner.base.codes),
    )
    files: list[dict[str, Any]] = []
    worst_exit = EXIT_CLEAN
    unreadable = 0
    out: TextIO = sys.stdout
    for path in discover(args.paths):
        config = runner.config_for(path)
        if path == "-":
            note = from_bytes("-", sys.stdin.buffer.read(config.max_file_size or DEFAULT_MAX_BYTES))
            shown = "<stdin>"
        else:
            note = read_note(path, config.max_file_size or DEFAULT_MAX_BYTES)
            shown = path
        if note.error:
            print(f"notelint: {shown}: {note.error}", file=sys.stderr)
            unreadable += 1
            continue
        started = time.perf_counter()
        try:
            report = runner.run(note, config)
        except Exception as exc:  # a defect in notelint must not stop the run or leak the note
            print(
                f"notelint: {shown}: internal error ({describe_failure(exc)}); please report it",
                file=sys.stderr,
            )
            unreadable += 1
            continue
        log.info(
            "%s: %d finding(s) in %.1f ms (profile %s, config %s)",
            shown,
            len(report.findings),
            (time.perf_counter() - started) * 1000,
            config.settings.profile,
            config.path or "none",
        )
        if args.format == "text":
            for line in text.file_lines(shown, report, show_codes=not args.no_codes):
                print(line, file=out)
        else:
            files.append(json_format.file_json(shown, report))
        if config.fail_on != "never" and any(
            f.severity >= Severity.parse(config.fail_on) for f in report.findings
        ):
            worst_exit = EXIT_FINDINGS
    if args.format == "json":
        json.dump(
            {
                "version": json_format.VERSION,
                "files": files,
                "summary": json_format.summary_json(files, unreadable),
            },
            out,
            indent=2,
        )
        out.write("\n")
    return EXIT_ERROR if unreadable else worst_exit


def _rules(kb: KnowledgeBase, fmt: str) -> int:
    if fmt == "json":
        rows = [
            {
                "rule": rid,
                **rule.model_dump(include={"name", "category", "severity", "summary", "profiles"}),
            }
            for rid, rule in sorted(kb.rules.items())
        ]
        print(json.dumps(rows, indent=2))
        return EXIT_CLEAN
    for rid, rule in sorted(kb.rules.items()):
        profiles = "" if set(rule.profiles) == set(PROFILES) else f" [{','.join(rule.profiles)}]"
        print(f"{rid}  {rule.name:<40} {rule.severity:<11} {rule.summary}{profiles}")
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


def _eval(kb: KnowledgeBase, args: argparse.Namespace) -> int:
    from notelint.evaluate import evaluate_corpus, render_text

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


def _explain(kb: KnowledgeBase, wanted: str) -> int:
    rid = next(
        (r for r, rule in kb.rules.items() if wanted.upper() == r or wanted.lower() == rule.name),
        None,
    )
    if rid is None:
        print(f"notelint: unknown rule {wanted!r} (see `notelint rules`)", file=sys.stderr)
        return EXIT_ERROR
    print(explain_text(kb, rid))
    return EXIT_CLEAN


def explain_text(kb: KnowledgeBase, rid: str) -> str:
    rule = kb.rules[rid]
    lines = [
        f"{rid} {rule.name}",
        f"category: {rule.category}   default severity: {rule.severity}   profiles: {', '.join(rule.profiles)}",
        "",
        rule.summary,
        "",
        "Why it matters",
        f"  {rule.why}",
        "",
        "What satisfies it",
        f"  {rule.fix}",
    ]
    cited = _citations(kb, rid)
    if cited:
        lines += ["", "Source"]
        lines += [f"  {where}: {passage}" for where, passage in cited]
    lines += [
        "",
        "Example that fires",
        _indent(rule.example_fires),
        "",
        "Example that passes",
        _indent(rule.example_passes),
    ]
    return "\n".join(lines)


def _citations(kb: KnowledgeBase, rid: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for citation in kb.rules[rid].sources:
        out.append((f"{kb.sources[citation.document].file}:{citation.line}", citation.passage))
    for code_id, code in kb.codes.items():
        for req in code.requires:
            if (req.rule or kb.elements[req.element].rule) == rid:
                where = f"{kb.sources[req.source.document].file}:{req.source.line}"
                out.append((where, f"({code_id}) {req.source.passage}"))
    for policy in kb.policies:
        if policy.rule == rid:
            out.append(
                (
                    f"{kb.sources[policy.source.document].file}:{policy.source.line}",
                    policy.source.passage,
                )
            )
    for limit in kb.unit_limits:
        if limit.rule == rid:
            out.append(
                (
                    f"{kb.sources[limit.source.document].file}:{limit.source.line}",
                    limit.source.passage,
                )
            )
    return list(dict.fromkeys(out))  # in order, without repeats


def _indent(block: str) -> str:
    return "\n".join(f"  | {line}" for line in block.splitlines()) or "  | (empty)"


if __name__ == "__main__":
    sys.exit(main())
