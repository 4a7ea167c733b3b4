"""Profiles say whose rule it is: what only a payer's guideline says applies in that payer's
profile alone; the default profile applies a requirement only where its citation states it
for the code, restates the coding rules (CPT, NCCI) or is marked as notelint's own policy."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import regex

from notelint.kb import KnowledgeBase
from notelint.kb.models import ALL_PROFILES, Citation, Profile

ROOT = Path(__file__).resolve().parents[1]
DEFAULT: Profile = "cpt"


def _applied(kb: KnowledgeBase) -> Iterator[tuple[str, str, Citation, set[Profile]]]:
    """Every citation the rules use: (rule, where, citation, profiles that apply it)."""

    def within(rule_id: str, profiles: list[Profile]) -> set[Profile]:
        return set(profiles) & set(kb.rules[rule_id].profiles)

    for rule_id, rule in kb.rules.items():
        for citation in rule.sources:
            yield rule_id, f"rule {rule_id}", citation, set(rule.profiles)
    for code_id, code in kb.codes.items():
        # A code's own citation backs NL201/NL202/NL204/NL301 on it, in every profile.
        yield "", f"code {code_id}", code.source, set(ALL_PROFILES)
        for req in code.requires:
            rule_id = req.rule or kb.elements[req.element].rule
            where = f"code {code_id} requires {req.element}"
            yield rule_id, where, req.source, within(rule_id, req.profiles)
    for policy in kb.policies:
        where = f"policy {policy.rule} {policy.codes}"
        yield policy.rule, where, policy.source, within(policy.rule, policy.profiles)
    for limit in kb.unit_limits:
        where = f"unit limit {limit.rule}"
        yield limit.rule, where, limit.source, within(limit.rule, limit.profiles)


def _payer(kb: KnowledgeBase, citation: Citation) -> Profile | None:
    """The payer whose guideline alone backs the citation, or None."""
    if citation.restates or citation.own_policy:
        return None
    return kb.sources[citation.document].payer


def test_a_payer_only_requirement_applies_in_that_payer_profile_alone(kb: KnowledgeBase) -> None:
    wrong = [
        f"{where}: cited only to {payer}'s guideline, applied in {sorted(profiles)}"
        for _rule, where, citation, profiles in _applied(kb)
        if (payer := _payer(kb, citation)) and profiles - {payer}
    ]
    assert not wrong, "\n".join(wrong)


def test_a_rule_backed_only_by_a_payer_is_that_payers_rule(kb: KnowledgeBase) -> None:
    backing: dict[str, set[Profile | None]] = {}
    for rule_id, _where, citation, profiles in _applied(kb):
        if rule_id and profiles:
            backing.setdefault(rule_id, set()).add(_payer(kb, citation))
    for rule_id, payers in backing.items():
        if None not in payers:
            assert kb.rules[rule_id].profiles == sorted(payers), rule_id


def test_the_default_profile_applies_the_coding_rules_and_marks_its_own_policy(
    kb: KnowledgeBase,
) -> None:
    """Spot-check the audit: the documentation CPT states for 76942 and the NCCI unit limit
    apply by default; the reason for guidance is the project's own policy there; the
    separate report and why-not-ultrasound are the payer's."""
    by_element = {
        (req.element, tuple(req.profiles)): req.source for req in kb.codes["76942"].requires
    }
    for element in ("interpretation", "permanent_images", "localization"):
        assert by_element[(element, tuple(ALL_PROFILES))].restates, element
    assert by_element[("necessity", (DEFAULT,))].own_policy
    assert by_element[("final_report", ("ash",))].restates is None
    assert all(limit.source.restates for limit in kb.unit_limits if DEFAULT in limit.profiles)
    assert kb.rules["NL111"].profiles == ["ash"]


def _profile_table() -> dict[str, str]:
    """The README's profile table: the profile named in each row, and the whole row."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = regex.findall(r"^(\| `(\w+)`.*\|)\s*$", readme, flags=regex.MULTILINE)
    return {name: row for row, name in rows if name in ALL_PROFILES}


def test_the_readme_says_which_documents_each_profile_follows(kb: KnowledgeBase) -> None:
    table = _profile_table()
    assert set(table) == set(ALL_PROFILES)
    assert "default" in table[DEFAULT]
    payer_rules = [r for r, rule in kb.rules.items() if rule.profiles == ["ash"]]
    assert payer_rules and all(r in table["ash"] for r in payer_rules), table["ash"]
