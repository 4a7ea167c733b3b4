"""The knowledge base validates, and every error names a file and line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from notelint.core.analysis import analyze
from notelint.core.settings import Settings
from notelint.kb import KnowledgeBase, KnowledgeBaseError, load_knowledge_base


def _errors(tmp_path: Path, body: str) -> list[str]:
    (tmp_path / "org.toml").write_text(textwrap.dedent(body), encoding="utf-8")
    with pytest.raises(KnowledgeBaseError) as caught:
        load_knowledge_base([tmp_path])
    return [str(e) for e in caught.value.errors]


def test_builtin_knowledge_base_is_complete(kb: KnowledgeBase) -> None:
    assert {"76942", "77002", "77012", "76940", "77013", "0686T", "76000", "76496"} <= set(kb.codes)
    for code in kb.codes.values():
        for req in code.requires:
            assert req.source.line >= 1 and req.source.passage
    for rule_id, rule in kb.rules.items():
        assert rule.why and rule.fix and rule.summary, rule_id


def test_invalid_toml_names_line(tmp_path: Path) -> None:
    errors = _errors(tmp_path, '[concept."x.y"]\ndescription = "ok"\npatterns = [\n')
    assert (
        errors and errors[0].startswith(f"{tmp_path / 'org.toml'}:") and "invalid TOML" in errors[0]
    )


def test_bad_pattern_names_line(tmp_path: Path) -> None:
    errors = _errors(
        tmp_path,
        """
        [concept."org.bad"]
        description = "bad"
        patterns = ['(unclosed']
        """,
    )
    assert len(errors) == 1
    assert errors[0].startswith(f"{tmp_path / 'org.toml'}:4: concept.org.bad.patterns.0:")
    assert "invalid regular expression '(unclosed'" in errors[0]


def test_unknown_reference_and_missing_field(tmp_path: Path) -> None:
    errors = _errors(
        tmp_path,
        """
        [[policy]]
        rule = "NL501"
        codes = ["76942"]
        if_any = ["context.nonexistent"]
        detail = "x"
        source = { document = "ash", line = 1, passage = "p" }

        [[unit_limit]]
        rule = "NL401"
        codes = ["76942"]
        source = { document = "ash", line = 1, passage = "p" }
        """,
    )
    joined = "\n".join(errors)
    assert ":9: unit_limit.0.max_units: Field required" in joined  # the [[unit_limit]] header


def test_unknown_concept_reported_after_schema_passes(tmp_path: Path) -> None:
    errors = _errors(
        tmp_path,
        """
        [[policy]]
        rule = "NL501"
        codes = ["76942"]
        if_any = ["context.nonexistent"]
        detail = "x"
        source = { document = "ash", line = 1, passage = "p" }
        """,
    )
    assert errors == [
        f"{tmp_path / 'org.toml'}:2: policy '{len(load_knowledge_base().policies)}' names unknown concept 'context.nonexistent'"
    ]


def test_duplicate_id_points_at_both(tmp_path: Path) -> None:
    errors = _errors(
        tmp_path,
        """
        [concept."guidance.ultrasound"]
        description = "again"
        patterns = ['x']
        """,
    )
    assert (
        len(errors) == 1
        and ":2: duplicate concept 'guidance.ultrasound' (first defined at " in errors[0]
    )
    assert "concepts.toml:" in errors[0]


_FAMILY = """
        [family.test_joint]
        name = "a joint injection again"
        codes = ["20611"]
        actions = ["action.inject"]
        targets = ["target.joint_major"]
        guidance = {{ ultrasound = "{ultrasound}" }}
        citation = {{ authority = "test", passage = "test" }}
        verified = false
        """


def test_a_code_in_two_families_that_disagree_is_an_error(tmp_path: Path) -> None:
    errors = _errors(tmp_path, _FAMILY.format(ultrasound="76942"))
    assert any("20611 is in families 'joint_major' and 'test_joint'" in e for e in errors)


def test_a_family_names_known_concepts_and_guidance_codes(tmp_path: Path) -> None:
    text = _FAMILY.format(ultrasound="76999").replace("action.inject", "action.nothing")
    errors = _errors(tmp_path, text.replace('"20611"', '"20999"'))
    assert any("names unknown concept 'action.nothing'" in e for e in errors)
    assert any("guidance code '76999' for ultrasound" in e for e in errors)


def test_a_family_code_range_must_be_well_formed(tmp_path: Path) -> None:
    errors = _errors(
        tmp_path, _FAMILY.format(ultrasound="included").replace('"20611"', '"0228T-64484"')
    )
    assert any("invalid code range '0228T-64484'" in e for e in errors)


def test_organisation_rules_extend_the_knowledge_base(tmp_path: Path) -> None:
    (tmp_path / "org.toml").write_text(
        textwrap.dedent(
            """
            [concept."org.sedation"]
            description = "moderate sedation"
            patterns = ['\\bmoderate sedation\\b']

            [[policy]]
            rule = "NL601"
            codes = ["76942"]
            if_any = ["org.sedation"]
            profiles = ["ash"]
            detail = "our payer wants a physician for sedated cases"
            source = { document = "ash", line = 77, passage = "organisation policy" }
            """
        ),
        encoding="utf-8",
    )
    kb = load_knowledge_base([tmp_path])
    text = "PROCEDURE: Ultrasound-guided liver biopsy under moderate sedation.\nCPT: 47000, 76942\n"
    rules = {f.rule for f in analyze(text, kb, Settings(profile="ash")).findings}
    assert "NL601" in rules


def test_a_code_pair_listed_twice_is_reported_at_its_line(tmp_path: Path) -> None:
    errors = _errors(
        tmp_path,
        """
        [[code_pair]]
        column1 = "49405"
        column2 = "47000"
        modifier_indicator = "1"
        authority = "again"
        url = "https://example.org"
        passage = "p"
        as_of = "2017"
        """,
    )
    assert errors == [f"{tmp_path / 'org.toml'}:2: code pair 49405/47000 is listed twice"]


def test_a_code_pair_needs_a_modifier_indicator_ncci_uses(tmp_path: Path) -> None:
    errors = _errors(
        tmp_path,
        """
        [[code_pair]]
        column1 = "38505"
        column2 = "76942"
        modifier_indicator = "2"
        authority = "a"
        url = "https://example.org"
        passage = "p"
        as_of = "2025"
        """,
    )
    assert errors == [
        f"{tmp_path / 'org.toml'}:5: code_pair.0.modifier_indicator: Input should be '0', '1' or '9'"
    ]


def test_a_trigger_pattern_that_does_not_compile_names_its_line(tmp_path: Path) -> None:
    errors = _errors(
        tmp_path,
        """
        [[trigger]]
        assertion = "historical"
        patterns = ['\\bon (unclosed']
        """,
    )
    assert errors and errors[0].startswith(f"{tmp_path / 'org.toml'}:2:"), errors
    assert "does not compile" in errors[0]
    assert _errors(tmp_path, '[[trigger]]\nassertion = "historical"\n')  # says nothing


def test_section_heading_words_must_be_a_list_of_words(tmp_path: Path) -> None:
    errors = _errors(
        tmp_path,
        """
        [section.history]
        headings = ["hx"]
        heading_words = "prior"
        """,
    )
    assert errors == [
        f"{tmp_path / 'org.toml'}:4: section.history.heading_words must be a list of words"
    ]


def test_heading_words_make_unlisted_headings_read_as_their_kind() -> None:
    from notelint.core.engine import Engine

    sections = Engine(load_knowledge_base()).sections
    assert sections.kind("Prior marrow (copied forward from 01/2024 note)") == "history"
    assert sections.kind("PROCEDURE HISTORY (copied forward, reviewed today)") == "history"
    assert sections.kind("Findings (preliminary)") == sections.kind("Findings")
    assert sections.kind("Prior to procedure") is None  # a preposition, not the past
