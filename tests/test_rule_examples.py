"""The examples `notelint explain` prints are real: each fires or passes as documented."""

from __future__ import annotations

import pytest

from notelint.core.analysis import analyze
from notelint.core.settings import Settings
from notelint.kb import KnowledgeBase, load_knowledge_base

RULES = sorted(r for r, rule in load_knowledge_base().rules.items() if rule.category != "input")


@pytest.mark.parametrize("rule_id", RULES)
def test_explain_examples(kb: KnowledgeBase, rule_id: str) -> None:
    rule = kb.rules[rule_id]
    settings = Settings(profile=rule.profiles[-1])
    fired = {f.rule for f in analyze(rule.example_fires, kb, settings).findings}
    passed = {f.rule for f in analyze(rule.example_passes, kb, settings).findings}
    assert rule_id in fired, f"example_fires does not fire {rule_id}: {sorted(fired)}"
    assert rule_id not in passed, f"example_passes fires {rule_id}"
