from __future__ import annotations

from pathlib import Path

import pytest

from notelint.core.analysis import analyze
from notelint.core.findings import Span
from notelint.core.note import NEGATIVE_VALUE, Note, SectionVocabulary, Sentence, parse_note
from notelint.kb import KnowledgeBase

ROOT = Path(__file__).resolve().parents[1]


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


def _headings_then_sorted(note: Note) -> list[Sentence]:
    """Each heading label as a sentence of its own section, running to its line's end when
    content follows on that line, merged with the sentences by where they start."""
    headings = []
    for number, section in enumerate(note.sections):
        label = section.heading_span
        if label.end <= label.start:
            continue
        line_end = note.text.find("\n", label.end)
        line_end = len(note.text) if line_end < 0 else line_end
        end = line_end if section.content_span.start < line_end else label.end
        negative = bool(NEGATIVE_VALUE.match(note.text[slice(*section.content_span)].strip()))
        # A title (an unknown heading without a colon) is no unfilled field.
        title = section.kind == "other" and ":" not in note.text[label.start : line_end]
        headings.append(
            Sentence(
                Span(label.start, end),
                number,
                is_template=section.empty and not title,
                negative_value=negative,
            )
        )
    return sorted([*note.sentences, *headings], key=lambda s: s.span.start)


def test_headings_read_as_sentences_in_reading_order(kb: KnowledgeBase) -> None:
    notes = [NOTE, "Reason for guidance: N/A\nmore text here.\nFINDINGS\n\nnone\n", ""]
    for folder in (ROOT / "fixtures" / "notes", ROOT.parent / "shared" / "corpus" / "dev"):
        notes += [p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.txt"))]
    for text in notes:
        for variant in (text, text.upper(), text.replace("\n", "\r\n")):
            note = _parse(variant, kb)
            assert note.headed == _headings_then_sorted(note)


@pytest.mark.parametrize(
    ("line", "codes"),
    [
        ("CPT 49083, 76942", [("49083", (), 1), ("76942", (), 1)]),
        ("CPT 49083 76942", [("49083", (), 1), ("76942", (), 1)]),
        ("CPT codes 20610-RT 77002", [("20610", ("RT",), 1), ("77002", (), 1)]),
        ("Procedure: 47000 / 76942", [("47000", (), 1), ("76942", (), 1)]),
        ("CODES:\n- 49083\n- 76942", [("49083", (), 1), ("76942", (), 1)]),
        ("| CPT | Units |\n| 49083 | 1 |\n| 76942 | 2 |", [("49083", (), 1), ("76942", (), 2)]),
        ("CPT: 20610-RT x2, 77002", [("20610", ("RT",), 2), ("77002", (), 1)]),
        ("HCPCS J1030", [("J1030", (), 1)]),
        ("CPT 76942", [("76942", (), 1)]),
        ("We reviewed the 77002 requirements.", []),  # the narrative reports nothing
        ("12345", []),  # one bare number on a line may be anything
        ("Zip: 02139", []),
    ],
)
def test_the_coding_line_as_written(
    line: str, codes: list[tuple[str, tuple[str, ...], int]], kb: KnowledgeBase
) -> None:
    from notelint.core.analysis import analyze

    report = analyze(f"PROCEDURE: Paracentesis under ultrasound guidance.\n{line}\n", kb)
    assert [(c.code, c.modifiers, c.units) for c in report.reported] == codes


def test_a_sentence_wrapped_across_lines_reads_as_one(kb: KnowledgeBase) -> None:
    """A report exported at 80 columns breaks sentences across lines; the patterns read across
    the break, and a break between sentences stays one."""
    flat = (
        "PROCEDURE: US-guided core biopsy of a left thigh intramuscular mass.\n"
        "14g core needle advanced under continuous ultrasound guidance into the solid periphery. "
        "Five cores obtained.\nImages saved to PACS."
    )
    wrapped = flat.replace("continuous ultrasound", "continuous\nultrasound")
    note = _parse(wrapped, kb)
    assert note.flowed == flat and note.text == wrapped
    reports = [analyze(text, kb) for text in (flat, wrapped)]
    assert reports[0].findings == reports[1].findings
    assert "NL103" not in {f.rule for f in reports[1].findings}


def test_a_ticked_box_says_what_was_done_and_an_unticked_one_nothing(kb: KnowledgeBase) -> None:
    text = (
        "US-guided transplant kidney biopsy; 3 passes.\n"
        "[x] real-time needle visualization\n[ ] images saved to PACS\n☐ post-biopsy scan\n"
    )
    note = _parse(text, kb)
    assert [p for p in note.placeholders if text[p.start : p.end] == "[x]"] == []
    negative = [text[s.span.start : s.span.end] for s in note.headed if s.negative_value]
    assert negative == ["[ ] images saved to PACS", "☐ post-biopsy scan"]
    rules = {f.rule for f in analyze(text, kb).findings}
    assert "NL102" in rules and "NL103" not in rules
