"""``notelint report``: a self-contained, offline HTML audit page from JSON Lines results.

The command line only: reading the results, aggregating them and rendering the page live in
:mod:`notelint.present.audit` (``read``, ``aggregate``, ``page``). Errors name the input file
and line, never the line's content; see ``page`` for what the page shows by default.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import Any

from notelint.core.settings import PROFILES
from notelint.kb import KnowledgeBaseError, load_knowledge_base
from notelint.present.audit.aggregate import aggregate
from notelint.present.audit.page import PageOptions, render_page
from notelint.present.audit.read import read_results

EXIT_OK, EXIT_ERROR = 0, 2


def add_parser(subparsers: Any) -> None:
    """Register ``notelint report`` on the CLI's subparsers."""
    report = subparsers.add_parser(
        "report", help="turn JSON Lines results into a self-contained HTML audit page"
    )
    report.add_argument(
        "inputs", nargs="+", metavar="RESULTS.jsonl", help="JSON Lines results (- for stdin)"
    )
    report.add_argument("-o", "--output", required=True, metavar="FILE", help="HTML file to write")
    report.add_argument(
        "--profile",
        choices=PROFILES,
        default="cpt",
        help="requirement profile the results were produced with (default: cpt)",
    )
    report.add_argument("--rules", action="append", default=[], metavar="DIR")
    report.add_argument(
        "--include-paths", action="store_true", help="show file paths and resource ids (may be PHI)"
    )
    report.add_argument(
        "--include-excerpts",
        action="store_true",
        help="show finding messages and note excerpts from the results (PHI)",
    )


def run(args: argparse.Namespace) -> int:
    """Read, aggregate, render, write. Exit 0, or 2 when nothing was readable or writable."""
    result = read_results(args.inputs)
    for error in result.errors:
        print(f"notelint: {error}", file=sys.stderr)
    if result.bad_dates:
        print(
            f"notelint: {result.bad_dates} record{'' if result.bad_dates == 1 else 's'} "
            f"{'has a date that is' if result.bad_dates == 1 else 'have dates that are'} "
            "not ISO 8601; "
            "counted as undated",
            file=sys.stderr,
        )
    if not result.notes:
        print("notelint: report: no readable results; nothing written", file=sys.stderr)
        return EXIT_ERROR
    try:
        kb = load_knowledge_base(args.rules)
    except KnowledgeBaseError as exc:
        for problem in exc.errors:
            print(f"notelint: {problem}", file=sys.stderr)
        return EXIT_ERROR
    options = PageOptions(
        profile=args.profile,
        include_paths=args.include_paths,
        include_excerpts=args.include_excerpts,
        generated=date.today().isoformat(),
        skipped_lines=len(result.errors) - result.unreadable_files,
    )
    page = render_page(aggregate(result.notes, kb, args.profile), kb, options)
    return _write(args.output, page, result.unreadable_files)


def _write(output: str, page: str, unreadable_files: int) -> int:
    try:
        if output == "-":
            sys.stdout.write(page)
        else:
            Path(output).write_text(page, encoding="utf-8")
    except OSError as exc:
        print(
            f"notelint: {output}: cannot write ({exc.strerror or type(exc).__name__})",
            file=sys.stderr,
        )
        return EXIT_ERROR
    return EXIT_ERROR if unreadable_files else EXIT_OK
