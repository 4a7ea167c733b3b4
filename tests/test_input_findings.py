"""Input findings (NL901–NL904) are made by the core, the same for files and editor buffers."""

from __future__ import annotations

from notelint.core.analysis import analyze, analyze_input
from notelint.inputs.files import from_bytes, text_issue
from notelint.kb import KnowledgeBase


def test_binary_input_is_not_analysed(kb: KnowledgeBase) -> None:
    note = from_bytes("x.txt", b"CPT: 20610\x00\x01")
    report = analyze_input(note.text, note.issues, kb)
    assert [f.rule for f in report.findings] == ["NL904"]


def test_editor_buffer_gets_the_files_finding(kb: KnowledgeBase) -> None:
    text = "CPT: 20610\x00"
    issue = text_issue(text, 1 << 20)
    assert issue is not None
    report = analyze_input(text, [issue], kb)
    assert report.text == text
    assert [f.rule for f in report.findings] == ["NL904"]


def test_fallback_text_is_analysed_after_its_finding(kb: KnowledgeBase) -> None:
    note = from_bytes("x.txt", "CPT: 20610 caf\u00e9".encode("cp1252"))
    assert note.text is not None
    report = analyze_input(note.text, note.issues, kb)
    plain = analyze(note.text, kb)
    assert [f.rule for f in report.findings] == ["NL901", *(f.rule for f in plain.findings)]
