"""A failure in the core says what it was deciding (rule, code, span) explicitly, through
AnalysisError, and never carries a word of the note: front ends log it, not frame locals."""

from __future__ import annotations

from typing import Any

import pytest

import notelint.checks.context
import notelint.core.decide
from notelint.core.analysis import analyze
from notelint.core.findings import AnalysisError
from notelint.core.safety import describe_failure
from notelint.kb import KnowledgeBase

CANARY = "ZZCANARY-PATIENT-JANE-DOE"
NOTE = f"PROCEDURE: Ultrasound-guided liver biopsy.\nThe needle was advanced in {CANARY}.\nCPT: 47000, 76942 x2\n"


def _raise(*_: Any, **__: Any) -> None:
    raise ValueError(f"cannot handle {CANARY}")


def test_a_failing_finding_names_rule_code_and_span(
    kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = notelint.checks.context.make_finding

    def failing(kb: Any, settings: Any, rule_id: str, span: Any, **options: Any) -> Any:
        if rule_id == "NL401":
            _raise()
        return real(kb, settings, rule_id, span, **options)

    monkeypatch.setattr(notelint.checks.context, "make_finding", failing)
    with pytest.raises(AnalysisError) as caught:
        analyze(NOTE, kb)
    failure = caught.value
    assert (failure.rule, failure.code) == ("NL401", "76942")
    assert failure.span is not None and NOTE.count("\n", 0, failure.span.start) == 2
    assert isinstance(failure.__cause__, ValueError)
    assert CANARY not in str(failure) + repr(failure)
    assert describe_failure(failure).startswith("ValueError at ")


def test_a_failure_while_judging_a_code_names_the_code(
    kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(notelint.core.decide, "_judge", _raise)
    with pytest.raises(AnalysisError) as caught:
        analyze(NOTE, kb)
    assert caught.value.rule is None and caught.value.code in kb.codes
    assert CANARY not in str(caught.value)
