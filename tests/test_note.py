from __future__ import annotations

from notelint.kb import KnowledgeBase
from notelint.note import SectionVocabulary, parse_note


def _parse(text: str, kb: KnowledgeBase):  # type: ignore[no-untyped-def]
    return parse_note(text, SectionVocabulary(kb.sections))


NOTE = """# Procedure Note
INDICATION: Right knee effusion.

PROCEDURE PERFORMED
Right knee aspiration under ultrasound guidance. The needle was advanced into the
suprapatellar recess. Dr. Smith supervised.

Images: [***]
Complications: none
CPT: 20611-RT, 76942-26 x2; 77002 (2 units)
"""


def test_sections_from_markdown_colon_and_caps_headings(kb: KnowledgeBase) -> None:
    note = _parse(NOTE, kb)
    kinds = [(s.kind, s.heading) for s in note.sections]
    assert ("indication", "INDICATION") in kinds
    assert ("procedure", "PROCEDURE PERFORMED") in kinds
    assert kinds[0] == ("procedure", "Procedure Note")


def test_soft_wrapped_sentence_is_one_sentence_and_abbreviations_do_not_split(
    kb: KnowledgeBase,
) -> None:
    note = _parse(NOTE, kb)
    texts = [NOTE[s.span.start : s.span.end] for s in note.sentences]
    assert "The needle was advanced into the\nsuprapatellar recess." in texts
    assert "Dr. Smith supervised." in texts


def test_placeholder_field_is_a_template_and_none_is_negative(kb: KnowledgeBase) -> None:
    note = _parse(NOTE, kb)
    by_text = {NOTE[s.span.start : s.span.end]: s for s in note.sentences}
    images = next(s for t, s in by_text.items() if t.startswith("[***]") or t.startswith("Images"))
    assert images.is_template or note.sections[images.section].empty
    assert any(s.negative_value for s in note.sentences) or any(
        NOTE[s.content_span.start : s.content_span.end].strip() == "none" for s in note.sections
    )


def test_code_mentions_with_modifiers_and_units(kb: KnowledgeBase) -> None:
    note = _parse(NOTE, kb)
    mentions = [(c.code, c.modifiers, c.units) for c in note.codes]
    assert mentions == [("20611", ("RT",), 1), ("76942", ("26",), 2), ("77002", (), 2)]
    first = note.codes[1]
    assert NOTE[first.modifier_spans[0].start : first.modifier_spans[0].end] == "26"


def test_five_digit_numbers_outside_coding_lines_are_not_codes(kb: KnowledgeBase) -> None:
    note = _parse("MRN 12345. Accession 76942 noted.\nPROCEDURE: biopsy, CPT 47000.\n", kb)
    assert [c.code for c in note.codes] == ["47000"]


def test_menu_of_choices_is_a_placeholder(kb: KnowledgeBase) -> None:
    text = "5. Complications:\n-> A. Pneumothorax: No / Minimal / Mild / Moderate / Severe\n"
    note = _parse(text, kb)
    assert any(text[p.start : p.end].startswith("No / Minimal") for p in note.placeholders)
