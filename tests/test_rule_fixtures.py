"""Every rule has fixtures that show it firing and staying silent; this runs them all."""

from __future__ import annotations

import pytest

from fixture_cases import VARIANTS, Case, load_cases
from notelint.core.analysis import analyze
from notelint.core.settings import Settings
from notelint.kb import KnowledgeBase

CASES = load_cases()
INPUT_RULES = {"NL901", "NL902", "NL903", "NL904"}  # exercised by the CLI input tests


def _findings(case: Case, kb: KnowledgeBase) -> list[tuple[str, str | None, int]]:
    profile = case.profile or kb.rules[case.rule].profiles[0]
    text = case.file.read_text(encoding="utf-8")
    report = analyze(text, kb, Settings(profile=profile))
    index = report.line_index()
    return [(f.rule, f.code, index.position(f.span.start).line + 1) for f in report.findings]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_fixture(case: Case, kb: KnowledgeBase) -> None:
    hits = [
        h
        for h in _findings(case, kb)
        if h[0] == case.rule and (case.code is None or h[1] == case.code)
    ]
    if case.expect == "fires":
        assert hits, f"{case.rule} did not fire on {case.file.name}"
        if case.line is not None:
            assert case.line in {h[2] for h in hits}, (
                f"{case.rule} fired on lines {[h[2] for h in hits]}"
            )
    else:
        assert not hits, f"{case.rule} fired on {case.file.name}: {hits}"


def test_cases_are_well_formed(kb: KnowledgeBase) -> None:
    for case in CASES:
        assert case.rule in kb.rules, case.id
        assert case.expect in {"fires", "silent"}, case.id
        assert case.variant in VARIANTS, case.id
        assert case.file.is_file(), case.id


def test_every_rule_fires_and_stays_silent(kb: KnowledgeBase) -> None:
    missing = []
    for rule in sorted(set(kb.rules) - INPUT_RULES):
        kinds = {c.expect for c in CASES if c.rule == rule}
        if kinds != {"fires", "silent"}:
            missing.append(f"{rule}: has {sorted(kinds)}")
    assert not missing, "rules without both fixtures:\n" + "\n".join(missing)


def test_context_variants_are_covered() -> None:
    """Negated, hypothetical, historical and placeholder wording must not satisfy documentation."""
    documentation = [c for c in CASES if c.rule.startswith("NL1") and c.expect == "fires"]
    variants = {c.variant for c in documentation}
    assert {"negated", "hypothetical", "historical", "placeholder", "empty-heading"} <= variants
