"""A documentation finding sits on the code it concerns; its template fix goes where an author
writes that item: the interpretation under the findings, the reason under the indication, the
images under the technique. A note without such a section gets it where the guidance is."""

from __future__ import annotations

from pathlib import Path

import pytest

from notelint.core.analysis import analyze
from notelint.core.autofix import apply_edits
from notelint.core.findings import Span, TextEdit
from notelint.kb import KnowledgeBase, KnowledgeBaseError, load_knowledge_base

SECTIONED = (
    "INDICATION: Left axillary adenopathy.\n"
    "PROCEDURE: Ultrasound-guided core biopsy of a left axillary lymph node.\n"
    "TECHNIQUE: The needle was advanced into the node under ultrasound.\n"
    "FINDINGS:\n"  # a heading with nothing under it documents nothing
    "COMPLICATIONS: None.\n"
    "CPT: 38505, 76942\n"
)
BARE = (
    "PROCEDURE: Ultrasound-guided core biopsy of a left axillary lymph node.\n"
    "The needle was advanced into the node.\n"
    "CPT: 38505, 76942\n"
)


def _template_edits(text: str, kb: KnowledgeBase) -> dict[str, tuple[int, str]]:
    report = analyze(text, kb)
    code = text.index("76942")
    out = {}
    for finding in report.findings:
        templates = [fix for fix in finding.fixes if fix.kind == "template"]
        if templates:
            assert finding.span.start == code  # the finding is on the code it concerns
            (edit,) = templates[0].edits
            out[finding.rule] = (edit.span.start, edit.new_text)
    return out


def _end_of_line(text: str, starting: str) -> int:
    start = text.index(starting)
    return text.index("\n", start)


@pytest.mark.parametrize(
    ("rule", "section"),
    [("NL101", "FINDINGS:"), ("NL102", "TECHNIQUE:"), ("NL104", "INDICATION:")],
)
def test_a_template_goes_at_the_end_of_the_section_where_the_item_belongs(
    kb: KnowledgeBase, rule: str, section: str
) -> None:
    where, template = _template_edits(SECTIONED, kb)[rule]
    assert where == _end_of_line(SECTIONED, section)
    # A placeholder documents nothing: the finding stays once the template is in.
    with_template = apply_edits(SECTIONED, [TextEdit(Span(where, where), template)])
    assert rule in {f.rule for f in analyze(with_template, kb).findings}


def test_without_a_home_section_templates_go_where_the_guidance_is(kb: KnowledgeBase) -> None:
    edits = _template_edits(BARE, kb)
    assert set(edits) >= {"NL101", "NL102", "NL104"}
    narrative_end = _end_of_line(BARE, "The needle")
    assert {where for where, _ in edits.values()} == {narrative_end}


def test_an_element_naming_an_unknown_section_kind_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "org.toml").write_text(
        '[element.org_item]\nrule = "NL101"\nlabel = "an item"\nevidence = ["doc.interpretation"]\n'
        'template = "Item: [describe]"\nsections = ["findngs"]\n',
        encoding="utf-8",
    )
    with pytest.raises(KnowledgeBaseError) as raised:
        load_knowledge_base([tmp_path])
    assert any("unknown section kind 'findngs'" in str(e) for e in raised.value.errors)
