"""Assertion context: what counts as documentation and what does not."""

from __future__ import annotations

import pytest

from notelint.core.analysis import analyze
from notelint.kb import KnowledgeBase

BASE = "PROCEDURE: Ultrasound-guided core biopsy of a left thyroid nodule.\nA hypoechoic nodule was seen and localized in the left lobe.\n"


def _missing(kb: KnowledgeBase, sentence: str) -> set[str]:
    report = analyze(BASE + sentence + "\n", kb)
    return {f.element for f in report.findings if f.category == "documentation" and f.element}


@pytest.mark.parametrize(
    "sentence",
    [
        "Images were saved to PACS.",
        "Representative images were archived.",
        "Permanent images: saved in PACS.",
        "After negative aspiration, images were stored.",
    ],
)
def test_affirmative_images_count(kb: KnowledgeBase, sentence: str) -> None:
    assert "permanent_images" not in _missing(kb, sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "No images were retained.",
        "Images were not saved.",
        "Images will be archived if needed.",
        "Images may be saved later.",
        "Prior images were archived in PACS.",
        "Permanent images: [describe images recorded and where archived]",
        "Permanent images: ___",
        "Permanent images: none",
        "Images saved: {{images}}",
    ],
)
def test_negated_hypothetical_historical_and_placeholders_do_not_count(
    kb: KnowledgeBase, sentence: str
) -> None:
    assert "permanent_images" in _missing(kb, sentence)


def test_negative_finding_is_still_an_interpretation(kb: KnowledgeBase) -> None:
    text = "PROCEDURE: Ultrasound-guided biopsy of a left thyroid nodule.\nThe needle was advanced. No hematoma was seen.\n"
    report = analyze(text, kb)
    assert "interpretation" not in {f.element for f in report.findings}


def test_pseudo_negation_does_not_negate_guidance(kb: KnowledgeBase) -> None:
    text = "PROCEDURE: After negative aspiration, the knee was injected under fluoroscopy without difficulty.\n"
    report = analyze(text, kb)
    assert [s.code for s in report.suggested] == ["77002"]


def test_guidance_mentioned_only_in_history_supports_nothing(kb: KnowledgeBase) -> None:
    text = "HISTORY: Prior CT-guided biopsy of the lung.\nPROCEDURE: Knee injection by palpation.\n"
    assert analyze(text, kb).suggested == []


@pytest.mark.parametrize(
    ("sentence", "saved"),
    [
        # A negation inside an aside governs nothing after the aside ends ...
        ("(Contrast was not given) Images were saved to PACS.", True),
        # ... but one whose scope holds a whole aside still governs past it.
        ("No (representative) images were saved.", False),
    ],
)
def test_a_negation_in_parentheses_ends_with_them(
    kb: KnowledgeBase, sentence: str, saved: bool
) -> None:
    assert ("permanent_images" not in _missing(kb, sentence)) is saved
