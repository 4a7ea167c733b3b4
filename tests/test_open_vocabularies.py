"""Open vocabularies: an organisation's rule folder adds documentation elements, rules in its
own namespace, procedure families (codes written as ranges) and modalities, with data alone;
what it names is checked against what is declared, with file and line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from notelint.core.analysis import analyze
from notelint.core.findings import Report
from notelint.core.settings import Settings
from notelint.evaluate import guidance_codes
from notelint.kb import KnowledgeBase, KnowledgeBaseError, load_knowledge_base
from notelint.present.families import find_family

ORG = Path(__file__).resolve().parent / "data" / "org-rules"
NOTES = ORG / "notes"


@pytest.fixture(scope="module")
def org_kb() -> KnowledgeBase:
    return load_knowledge_base([ORG])


def _report(kb: KnowledgeBase, name: str, settings: Settings | None = None) -> Report:
    text = (NOTES / name).read_text(encoding="utf-8")
    return analyze(text, kb, settings or Settings())


def _rules(report: Report) -> list[tuple[str, str | None]]:
    return [(f.rule, f.code) for f in report.findings]


def _line(report: Report, rule: str) -> int:
    finding = next(f for f in report.findings if f.rule == rule)
    return report.line_index("utf-32").position(finding.span.start).line + 1


# --- (a) an element and a rule in the organisation's namespace --------------------------------


def test_organisation_element_is_required_where_its_folder_says(org_kb: KnowledgeBase) -> None:
    assert "ACME" in org_kb.namespaces and "time_out" in org_kb.elements
    elements = [req.element for req in org_kb.codes["76942"].requires]
    assert elements[-1] == "time_out"  # after the built-in requirements of 76942
    missing = _report(org_kb, "time-out-missing.txt")
    assert _rules(missing) == [("ACME001", "76942")]
    (finding,) = missing.findings
    assert finding.element == "time_out" and _line(missing, "ACME001") == 5
    assert [fix.kind for fix in finding.fixes] == ["template"]
    checklist = {item.element: item.satisfied for item in missing.checklists["76942"]}
    assert checklist["time_out"] is False and checklist["interpretation"] is True


def test_organisation_element_stays_silent_when_documented(org_kb: KnowledgeBase) -> None:
    documented = _report(org_kb, "time-out-documented.txt")
    assert _rules(documented) == []
    checklist = {item.element: item.satisfied for item in documented.checklists["76942"]}
    assert checklist["time_out"] is True


def test_built_in_rules_alone_do_not_know_the_element(kb: KnowledgeBase) -> None:
    assert "ACME001" not in kb.rules and "time_out" not in kb.elements
    assert _rules(_report(kb, "time-out-missing.txt")) == []


def test_organisation_rules_are_selected_by_default_and_can_be_left_out(
    org_kb: KnowledgeBase,
) -> None:
    assert _rules(_report(org_kb, "time-out-missing.txt", Settings(select=("ACME",))))
    assert not _rules(_report(org_kb, "time-out-missing.txt", Settings(select=("NL",))))
    assert not _rules(_report(org_kb, "time-out-missing.txt", Settings(ignore=("ACME",))))


# --- (b) a procedure family that includes the guidance ----------------------------------------


def test_organisation_family_makes_guidance_not_separately_reportable(
    org_kb: KnowledgeBase, kb: KnowledgeBase
) -> None:
    report = _report(org_kb, "embolization-with-guidance.txt")
    assert ("NL301", "76942") in _rules(report) and _line(report, "NL301") == 4
    assert not report.suggested  # the guidance is part of 37244: nothing to add
    built_in = _report(kb, "embolization-with-guidance.txt")
    assert "NL301" not in {rule for rule, _ in _rules(built_in)}


def test_organisation_family_is_found_by_a_code_inside_its_range(org_kb: KnowledgeBase) -> None:
    family = org_kb.families["acme_embolization"]
    assert family.codes == ["37241-37244"]
    assert family.expanded_codes() == ["37241", "37242", "37243", "37244"]
    assert find_family(org_kb, "37243") == "acme_embolization"
    assert family.citation.authority and family.citation.passage and not family.verified


# --- code ranges ---------------------------------------------------------------------------


def test_built_in_family_range_recognises_each_code(kb: KnowledgeBase) -> None:
    assert find_family(kb, "64493") == "facet_injection"
    text = (
        "PROCEDURE: Right L4-5 facet joint injection under fluoroscopy.\n"
        "The needle tip was positioned in the joint and contrast outlined the capsule; images "
        "were saved.\nCPT: 64493, 77003"
    )
    report = analyze(text, kb)
    assert ("NL301", "77003") in _rules(report)


def test_code_ranges_in_unit_limits_and_policies(tmp_path: Path) -> None:
    (tmp_path / "org.toml").write_text(
        textwrap.dedent(
            """\
            [[unit_limit]]
            rule = "NL401"
            codes = ["76941-76942"]
            max_units = 1
            source = { document = "ash", line = 118, passage = "Only one unit" }

            [[policy]]
            rule = "NL302"
            codes = ["77001-77003"]
            when = "reported"
            with_reported_any = ["37241-37244"]
            detail = "an embolization code already includes its guidance"
            source = { document = "families", line = 1, passage = "x" }
            """
        ),
        encoding="utf-8",
    )
    kb = load_knowledge_base([tmp_path])
    text = (NOTES / "time-out-documented.txt").read_text(encoding="utf-8")
    report = analyze(text.replace("CPT: 47000, 76942", "CPT: 47000, 76942 x2"), kb)
    assert ("NL401", "76942") in _rules(report)
    embolization = analyze("Embolization of a renal artery branch.\nCPT: 37242, 77003", kb)
    assert ("NL302", "77003") in _rules(embolization)
    assert ("NL302", "77002") not in _rules(embolization)
    errors = _errors(
        tmp_path,
        '[[unit_limit]]\nrule = "NL401"\ncodes = ["76942-7694"]\n'
        'max_units = 1\nsource = { document = "ash", line = 1, passage = "x" }\n',
    )
    assert errors == [f"{tmp_path / 'org.toml'}:1: unit limit 1: invalid code range '76942-7694'"]


# --- vocabularies as data -----------------------------------------------------------------


def test_built_in_vocabularies_are_declared(kb: KnowledgeBase) -> None:
    assert kb.guidance_modalities() == ("ultrasound", "fluoroscopy", "ct", "mri")
    assert all(f"guidance.{m}" in kb.concepts for m in kb.guidance_modalities())
    assert set(kb.modalities) == {*kb.guidance_modalities(), "focused_ultrasound"}
    assert {code.kind for code in kb.codes.values()} <= set(kb.code_kinds)
    assert [k for k, spec in kb.code_kinds.items() if spec.primary] == ["ablation"]
    assert list(kb.namespaces) == ["NL"]
    sides = {name: m.side for name, m in kb.modifiers.items() if m.side}
    assert sides == {"50": "bilateral", "LT": "left", "RT": "right"}
    assert guidance_codes(kb) == {
        "76942",
        "77002",
        "77012",
        "76940",
        "77013",
        "0686T",
        "76000",
        "76496",
    }


def test_an_organisation_modality_with_its_guidance_concept_is_accepted(tmp_path: Path) -> None:
    (tmp_path / "org.toml").write_text(
        textwrap.dedent(
            """\
            [modality.optical]
            description = "optical (endoscopic camera) guidance"
            adjective = "optical"

            [concept."guidance.optical"]
            description = "optical guidance"
            patterns = ['\\boptical guidance\\b']

            [code."C9999"]
            needs_family = true
            description = "an optical camera guiding a needle"
            kind = "needle_guidance"
            modality = "optical"
            supported_by = { all = [["guidance.optical"]] }
            source = { document = "families", line = 1, passage = "MR guidance for needle placement is reported apart as 77021 where the primary procedure's family takes guidance apart" }
            """
        ),
        encoding="utf-8",
    )
    kb = load_knowledge_base([tmp_path])
    assert kb.guidance_modalities()[-1] == "optical"
    assert (
        kb.families["facet_injection"]
        .describe_guidance(kb.guidance_modalities())
        .endswith("mri, optical: not known (check)")
    )
    # A note documenting it is read with it: its family does not say how it is coded, so a
    # coder is asked to check, in the modality's own words.
    report = analyze("Percutaneous liver biopsy under optical guidance; two cores obtained.", kb)
    assert [u.modality for u in report.unresolved] == ["optical"]
    assert any(f.rule == "NL206" and "optical" in f.message for f in report.findings)


# --- errors name file, line and the declared choices ---------------------------------------


def _errors(tmp_path: Path, body: str) -> list[str]:
    (tmp_path / "org.toml").write_text(textwrap.dedent(body), encoding="utf-8")
    with pytest.raises(KnowledgeBaseError) as caught:
        load_knowledge_base([tmp_path])
    return [str(e) for e in caught.value.errors]


def test_modality_without_guidance_concept_is_an_error_at_its_line(tmp_path: Path) -> None:
    errors = _errors(
        tmp_path,
        """\
        # an organisation's modality
        [modality.optical]
        description = "optical guidance"
        """,
    )
    assert errors == [
        f"{tmp_path / 'org.toml'}:2: modality 'optical' has no guidance concept: declare "
        '[concept."guidance.optical"] (how a note says the guidance was used), or guidance = false'
    ]


def test_unknown_element_is_an_error_at_its_line_with_the_choices(tmp_path: Path) -> None:
    errors = _errors(
        tmp_path,
        """\
        [[requirement]]
        code = "76942"
        element = "time_out"
        source = { document = "ash", line = 1, passage = "x" }
        """,
    )
    assert len(errors) == 1
    assert errors[0].startswith(
        f"{tmp_path / 'org.toml'}:3: code '76942' names unknown element 'time_out' (declared: "
        "interpretation, permanent_images, "
    )
    assert errors[0].endswith("procedure_description); declare it as [element.time_out]")


def test_unknown_modality_kind_and_family_modality_name_their_lines(tmp_path: Path) -> None:
    errors = _errors(
        tmp_path,
        """\
        [code."99999"]
        description = "a code of an organisation"
        kind = "laser_guidance"
        modality = "optical"
        supported_by = { all = [["guidance.ultrasound"]] }
        source = { document = "ash", line = 1, passage = "x" }

        [family.org_family]
        name = "a family"
        codes = ["99990-99992"]
        actions = ["action.biopsy"]
        guidance = { ultrasound = "included", optical = "99999" }
        primary_needs_images = ["focused_ultrasound"]
        citation = { authority = "an authority", passage = "a passage" }
        verified = false
        """,
    )
    name = tmp_path / "org.toml"
    assert (
        f"{name}:3: code '99999' names unknown kind of code 'laser_guidance' (declared: "
        in (errors[0])
    )
    assert errors[0].endswith("ablation); declare it as [code_kind.laser_guidance]")
    assert errors[1] == (
        f"{name}:4: code '99999' names unknown modality 'optical' (declared: ultrasound, "
        "fluoroscopy, ct, mri, focused_ultrasound); declare it as [modality.optical]"
    )
    assert errors[2] == (
        f"{name}:12: family 'org_family' names unknown guidance modality 'optical' (declared: "
        "ultrasound, fluoroscopy, ct, mri); declare it as [modality.optical]"
    )
    assert errors[3] == (
        f"{name}:13: family 'org_family' names unknown guidance modality 'focused_ultrasound' "
        "(declared: ultrasound, fluoroscopy, ct, mri); declare it as [modality.focused_ultrasound]"
    )


def test_rule_in_an_undeclared_namespace_is_an_error(tmp_path: Path) -> None:
    body = (ORG / "acme.toml").read_text(encoding="utf-8")
    body = body.replace("[namespace.ACME]", "[namespace.ACMEX]")
    errors = _errors(tmp_path, body)
    line = next(n for n, text in enumerate(body.splitlines(), 1) if text == "[rule.ACME001]")
    assert (
        f"{tmp_path / 'org.toml'}:{line}: rule 'ACME001' is in namespace 'ACME', which is not "
        "declared (declared: NL, ACMEX); declare it as [namespace.ACME]" in errors
    )


def test_requirement_for_an_unknown_code_names_its_line(tmp_path: Path) -> None:
    errors = _errors(
        tmp_path,
        """\
        [[requirement]]
        code = "12345"
        element = "necessity"
        source = { document = "ash", line = 1, passage = "x" }
        """,
    )
    assert len(errors) == 1
    assert errors[0].startswith(
        f"{tmp_path / 'org.toml'}:2: requirement names code '12345', which is not in the code "
        "table (declared: 76942, "
    )


def test_the_mri_entries_of_a_family_work(kb: KnowledgeBase) -> None:
    """guidance.mri is declared, so a family's mri primary applies (thoracentesis: 32555)."""
    assert kb.families["thoracentesis"].primary["mri"] == "32555"
    text = (
        "PROCEDURE: MRI-guided thoracentesis, right.\n"
        "TECHNIQUE: Under MR guidance the pleural effusion was localized and the needle was "
        "advanced into it. Images were saved to PACS. 800 mL of fluid was removed.\n"
    )
    assert [s.code for s in analyze(text, kb).suggested] == ["32555"]
