"""Modifier suggestions: GC from a resident under a teaching physician, and 59/X modifiers
only on a listed NCCI pair whose codes are both on the claim, never 59 beside an X modifier."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types

from notelint.core.analysis import analyze
from notelint.core.findings import Report
from notelint.core.settings import Settings
from notelint.kb import KnowledgeBase, load_knowledge_base
from notelint.lsp.hover import hover
from notelint.lsp.linting import Analysis

ROOT = Path(__file__).resolve().parents[1]
DISTINCT = {"59", "XE", "XP", "XS", "XU"}

_BIOPSY = (
    "Procedure: US-guided core biopsy, left axillary node (office)\n"
    "The node was localized and the needle tip visualized within it; ultrasound was needed "
    "given proximity to the axillary vein. Images saved to PACS.\n"
)
_DRAIN = (
    "Procedure: CT-guided drainage catheter placement into a right hepatic abscess (office).\n"
    "Under CT guidance an 8 Fr catheter was placed into the abscess. {biopsy}\n"
)
_SEPARATE = "A core biopsy of a separate lesion in the left lobe of the liver was obtained."
_DISTINCT = "A core biopsy of the liver, a distinct and separate service, was obtained."


def _suggested(report: Report, code: str) -> set[str]:
    """Modifiers suggested for ``code``: NL701 on a reported code, or with a suggested code."""
    hinted = {
        f.fixes[0].edits[0].new_text.lstrip("-")
        for f in report.findings
        if f.rule == "NL701" and f.code == code
    }
    listed = {m for s in report.suggested if s.code == code for m in s.modifiers}
    return hinted | listed


@pytest.mark.parametrize(
    ("sentence", "gc"),
    [
        ("The biopsy was performed by the radiology fellow under my direct supervision.", True),
        ("Dr. Lee, the PGY-4 resident, placed the needle. I was present throughout.", True),
        (
            "Dr. Lee, the PGY-4 resident, placed the needle. I was present for the key portions.",
            True,
        ),
        (
            "Performed with the IR resident. The attending was present for the entire procedure.",
            True,
        ),
        ("The resident assisted. The teaching physician was physically present.", True),
        ("No resident was involved. I was present for the entire procedure.", False),
        ("Resident not present. Performed under my supervision.", False),
        ("The fellow was not involved; I was present for the entire procedure.", False),
        ("No resident or fellow participated. I supervised the technologist.", False),
        ("If a resident participated, the attending would be present for the key portions.", False),
        ("The resident performed the biopsy.", False),
        ("The attending was not present. The resident performed the biopsy.", False),
        ("I was present for the entire procedure.", False),
        ("Attestation: I was present for the entire procedure and supervised the resident.", True),
        ("Dr. E (IR fellow) performed the procedure under the direct supervision of Dr. F.", True),
        ("Fellowship-trained radiologist performed the biopsy under ultrasound guidance.", False),
        ("Dr. G, resident, was present but did not participate. I performed the biopsy.", False),
        ("Consent was obtained by the resident. I was present for the entire procedure.", False),
        ("The resident placed the patient prone. I performed the biopsy and was present.", False),
        (
            "Performed by Dr. Lee, PGY-3 radiology resident. I was present for the key portions.",
            True,
        ),
        ("I supervised the IR fellow throughout the procedure.", True),
        ("A resident will be assisting; the attending will be present.", False),
        ("The fellow was present but did not perform any part; I was present throughout.", False),
        ("SOCIAL HISTORY: Nursing home resident.\nI was present for the entire procedure.", False),
    ],
)
def test_gc_needs_a_trainee_taking_part_and_the_teaching_physician_present(
    sentence: str, gc: bool, kb: KnowledgeBase
) -> None:
    report = analyze(f"{_BIOPSY}{sentence}\nCPT: 38505, 76942\n", kb)
    assert ("GC" in _suggested(report, "76942")) is gc


@pytest.mark.parametrize(
    ("biopsy", "coding", "expected"),
    [
        (_SEPARATE, "49405, 47000", {"XS"}),  # a separate site: the specific modifier, not 59
        (_DISTINCT, "49405, 47000", {"XU"}),
        (_SEPARATE, "49405, 47000-XS", set()),  # already there
        (_SEPARATE, "49405, 47000-59", set()),  # never an X modifier beside 59
        (_SEPARATE, "47000, 49405-XU", set()),  # one on either code of the pair suffices
        (_SEPARATE, "47000", set()),  # the pair is not on the claim
        ("A core biopsy of the abscess wall was obtained.", "49405, 47000", set()),
    ],
)
def test_distinct_service_modifiers_need_a_known_pair_on_the_claim(
    biopsy: str, coding: str, expected: set[str], kb: KnowledgeBase
) -> None:
    report = analyze(_DRAIN.format(biopsy=biopsy) + f"CPT: {coding}\n", kb)
    assert {m for c in ("47000", "49405") for m in _suggested(report, c)} & DISTINCT == expected


def test_separate_sites_without_a_known_pair_suggest_no_distinct_modifier(
    kb: KnowledgeBase,
) -> None:
    text = (
        "PROCEDURES: Ultrasound-guided paracentesis. Ultrasound-guided core biopsy of a "
        "separate lesion in liver segment 6, a distinct and separate service.\n"
        "CPT: 49083, 47000, 76942\n"
    )
    report = analyze(text, kb)
    assert not {m for c in ("49083", "47000", "76942") for m in _suggested(report, c)} & DISTINCT


def test_an_organisations_pair_makes_its_column_2_code_take_the_modifier(
    tmp_path: Path, kb: KnowledgeBase
) -> None:
    text = (
        "PROCEDURES: Ultrasound-guided paracentesis. Ultrasound-guided core biopsy of a "
        "separate lesion in liver segment 6.\nCPT: 49083, 47000, 76942\n"
    )
    (tmp_path / "pairs.toml").write_text(
        '[[code_pair]]\ncolumn1 = "49083"\ncolumn2 = "76942"\nmodifier_indicator = "1"\n'
        'authority = "the current NCCI PTP table, as read by the organisation"\n'
        'url = "https://example.org/ncci"\npassage = "49083 76942 1"\nas_of = "this quarter"\n',
        encoding="utf-8",
    )
    assert _suggested(analyze(text, kb), "76942") & DISTINCT == set()
    with_pair = load_knowledge_base([tmp_path])
    assert _suggested(analyze(text, with_pair), "76942") & DISTINCT == {"XS"}
    (tmp_path / "pairs.toml").write_text(
        (tmp_path / "pairs.toml").read_text(encoding="utf-8").replace('= "1"', '= "0"'),
        encoding="utf-8",
    )
    no_modifier = load_knowledge_base([tmp_path])
    assert _suggested(analyze(text, no_modifier), "76942") & DISTINCT == set()


def test_two_pairs_of_one_code_name_its_modifier_once(tmp_path: Path, kb: KnowledgeBase) -> None:
    (tmp_path / "pairs.toml").write_text(
        '[[code_pair]]\ncolumn1 = "49406"\ncolumn2 = "47000"\nmodifier_indicator = "1"\n'
        'authority = "an organisation"\nurl = "https://example.org/ncci"\npassage = "p"\n'
        'as_of = "this quarter"\n',
        encoding="utf-8",
    )
    text = _DRAIN.format(biopsy=_SEPARATE) + "CPT: 49405, 49406, 47000\n"
    report = analyze(text, load_knowledge_base([tmp_path]))
    assert [f.code for f in report.findings if f.rule == "NL701"] == ["47000"]
    assert report.supported_modifiers["47000"] == ("XS",)


def test_every_listed_pair_cites_its_authority_and_names_codes_notelint_recognises(
    kb: KnowledgeBase,
) -> None:
    assert kb.code_pairs, "rules/pairs.toml lists no pair"
    family_codes = {c for f in kb.families.values() for c in f.expanded_codes()}
    for pair in kb.code_pairs:
        assert pair.column1 != pair.column2
        assert pair.url.startswith("https://") and pair.as_of
        assert {pair.column1, pair.column2} <= family_codes | set(kb.codes)


def _fixture_notes() -> list[Path]:
    folders = ("fixtures/notes", "fixtures/coding-realistic", "fixtures/rules/NL701")
    return sorted(p for folder in folders for p in (ROOT / folder).glob("*.txt"))


def test_no_note_gets_59_beside_an_x_modifier_or_one_outside_a_known_pair(
    kb: KnowledgeBase,
) -> None:
    pairs = {(p.column1, p.column2) for p in kb.code_pairs if p.modifier_indicator == "1"}
    for path in _fixture_notes():
        report = analyze(path.read_text(encoding="utf-8"), kb)
        reported = {m.code for m in report.reported}
        for code in reported | {s.code for s in report.suggested}:
            distinct = _suggested(report, code) & DISTINCT
            on_code = {m for r in report.reported if r.code == code for m in r.modifiers}
            assert len(distinct | (on_code & DISTINCT)) <= 1, path.name
            if distinct:
                assert any(c2 == code and c1 in reported for c1, c2 in pairs), path.name


def test_a_written_distinct_modifier_on_a_known_pair_reads_as_supported(kb: KnowledgeBase) -> None:
    text = _DRAIN.format(biopsy=_SEPARATE) + "CPT: 49405, 47000-XS\n"
    report = analyze(text, kb)
    assert report.modifiers_supported("47000") == {"XS"}
    assert "NL701" not in {f.rule for f in report.findings}  # already written: nothing to add
    index = report.line_index()
    analysis = Analysis(1, 1, report, index, kb, Settings(), [], ())
    at = index.position(text.index("-XS") + 1)
    shown = hover(analysis, types.Position(at.line, at.character), markdown=True)
    assert shown is not None and isinstance(shown.contents, types.MarkupContent)
    assert "This note supports -XS on 47000." in shown.contents.value
