"""Properties of the core on arbitrary input: never raises, ranges inside, templates never satisfy."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from notelint.core.analysis import analyze
from notelint.core.findings import Fix, Report, Span
from notelint.core.note import SectionVocabulary, parse_note
from notelint.core.positions import LineIndex
from notelint.core.settings import Settings
from notelint.kb import KnowledgeBase, load_knowledge_base

KB = load_knowledge_base()
FRAGMENTS = [
    "PROCEDURE:",
    "INDICATION:",
    "IMPRESSION:\n",
    "# Technique\n",
    "Ultrasound-guided biopsy of the liver.",
    "under fluoroscopy",
    "CT-guided",
    "The needle tip position was confirmed.",
    "No images were retained.",
    "Images saved to PACS.",
    "[***]",
    "{{x}}",
    "___",
    "CPT: 76942-26 x2, 77002-RT-LT, 20611",
    "left knee",
    "right knee",
    "radiofrequency ablation",
    "histotripsy",
    "µ° × “”😀",
    "\r\n",
    "\n\n",
    ": ",
    "-",
    ".",
]
notes = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=20)), max_size=30).map(
    " ".join
)


def _check_spans(report: Report) -> None:
    size = len(report.text)
    for finding in report.findings:
        assert 0 <= finding.span.start <= finding.span.end <= size
        for related in finding.related:
            assert 0 <= related.span.start <= related.span.end <= size
        for fix in finding.fixes:
            for edit in fix.edits:
                assert 0 <= edit.span.start <= edit.span.end <= size


def _apply(text: str, fix: Fix) -> str:
    for edit in sorted(fix.edits, key=lambda e: e.span.start, reverse=True):
        text = text[: edit.span.start] + edit.new_text + text[edit.span.end :]
    return text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(notes, st.sampled_from(["cpt", "ash"]))
def test_arbitrary_notes_never_raise_and_ranges_lie_inside(text: str, profile: str) -> None:
    _check_spans(analyze(text, KB, Settings(profile=profile)))


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    from notelint.inputs.files import from_bytes

    note = from_bytes("x", data)
    if note.text is not None:
        _check_spans(analyze(note.text, KB))


@settings(max_examples=60, deadline=None)
@given(notes)
def test_template_fixes_never_satisfy_the_finding(text: str) -> None:
    report = analyze(text, KB)
    for finding in report.findings:
        for fix in finding.fixes:
            if fix.kind != "template":
                continue
            again = analyze(_apply(text, fix), KB)
            same = [
                f
                for f in again.findings
                if (f.rule, f.code, f.element) == (finding.rule, finding.code, finding.element)
            ]
            assert same, f"inserting the {finding.rule} template made the finding vanish"


def test_template_fix_on_a_real_note_stays_flagged(kb: KnowledgeBase) -> None:
    text = "PROCEDURE: Ultrasound-guided liver biopsy.\nA hypoechoic lesion was seen and localized in segment 6.\n"
    finding = next(f for f in analyze(text, kb).findings if f.rule == "NL102")
    patched = _apply(text, finding.fixes[0])
    assert "Permanent images: [describe images recorded and where archived]" in patched
    assert "NL102" in {f.rule for f in analyze(patched, kb).findings}


CODING = st.lists(
    st.sampled_from(
        [
            "76942",
            "76942-26",
            "77002 x2",
            "77012-RT",
            "76000",
            "0686T",
            "20611",
            "62323",
            "76940-LT",
            "77013-26-TC",
            "47382",
        ]
    ),
    min_size=1,
    max_size=5,
).map(lambda codes: "CPT: " + ", ".join(codes))


@settings(max_examples=80, deadline=None)
@given(notes, CODING, notes)
def test_code_and_modifier_fixes_only_touch_lines_with_codes(
    before: str, coding: str, after: str
) -> None:
    text = f"{before}\n{coding}\n{after}"
    note = parse_note(text, SectionVocabulary(KB.sections))
    index = LineIndex(text)
    code_lines = {index.line_of(c.span.start) for c in note.codes}
    lines = [
        *note.coding_lines,
        *(Span(index.line_starts[n], index.line_end(n)) for n in code_lines),
    ]
    report = analyze(text, KB)
    for finding in report.findings:
        for fix in finding.fixes:
            if not fix.asserts_nothing:
                continue
            for edit in fix.edits:
                assert any(
                    line.start <= edit.span.start <= edit.span.end <= line.end for line in lines
                ), f"{finding.rule} edits outside the coding lines"
            analyze(_apply(text, fix), KB)  # still analysable
