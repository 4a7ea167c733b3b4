"""``notelint rules test`` as text: a line per failing case and per pattern advised on, then
the summary. Names rule ids, never a case's note."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the kit's results, as ``notelint rules test`` hands them over
    from notelint.rulekit import CaseResult, KitResults, PatternAdvice


def rule_test_lines(results: KitResults) -> list[str]:
    lines = [_advice_line(advice) for advice in results.advice]
    lines += [_failure_line(case) for case in results.failed]
    summary = f"{len(results.cases)} cases, {len(results.failed)} failed"
    if results.skipped:
        summary += (
            f" ({len(results.skipped)} input rules' examples not run: they describe files, "
            "not note text)"
        )
    return [*lines, summary]


def _failure_line(case: CaseResult) -> str:
    line = f"{case.file}:{case.line}: {case.rule} {case.label}: {case.problem}"
    if case.profile:
        line += f" (profile {case.profile})"
    if case.produced is not None:
        line += f"; findings produced: {', '.join(case.produced) or 'none'}"
    return line


def _advice_line(advice: PatternAdvice) -> str:
    return (
        f"{advice.file}:{advice.line}: warning: concept {advice.concept!r} {advice.where}"
        f" `{advice.pattern}` cannot be indexed, so every note is searched for it in full:"
        f" {advice.reason}. To fix: {advice.fix}."
    )
