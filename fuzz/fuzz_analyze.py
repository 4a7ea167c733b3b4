"""Coverage-guided fuzzing of the input and analysis path with atheris.

    python fuzz/fuzz_analyze.py -runs=50000 fuzz/corpus

Bytes go through the same decoding as files, then through analyze() under both profiles; any
exception, or a range outside the document, is a crash. Seeds: the bundled example notes.
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    from notelint.core.analysis import analyze
    from notelint.core.settings import Settings
    from notelint.inputs.files import from_bytes
    from notelint.kb import load_knowledge_base

KB = load_knowledge_base()
PROFILES = (Settings(profile="cpt"), Settings(profile="ash"))


def test_one_input(data: bytes) -> None:
    note = from_bytes("fuzz", data)
    if note.text is None:
        return
    for settings in PROFILES:
        report = analyze(note.text, KB, settings)
        size = len(note.text)
        for finding in report.findings:
            if not 0 <= finding.span.start <= finding.span.end <= size:
                raise AssertionError(f"{finding.rule} range outside the document")
            for fix in finding.fixes:
                for edit in fix.edits:
                    if not 0 <= edit.span.start <= edit.span.end <= size:
                        raise AssertionError(f"{finding.rule} fix outside the document")


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
