"""`notelint check --fix`, `--diff`, `--statistics`, `--output-file`, `--show-evidence` and the
closing summary line: what ruff users expect, fitted to notes (fixes edit codes and modifiers
only, and evidence is note text, so it is printed only when asked for)."""

from __future__ import annotations

import codecs
import io
import json
from pathlib import Path

import pytest

from notelint.cli import main
from notelint.core.autofix import apply_edits, clash, fix_note, safe_fixes
from notelint.core.findings import Span, TextEdit

# Three safe fixes: a contradicting side modifier, a bundled guidance code, two units of a
# one-unit code; and documentation gaps, whose template fixes --fix must never apply.
KNEE = (
    "PROCEDURE: Ultrasound-guided injection of the left knee joint.\n"
    "Images were saved to PACS. Interpretation: needle tip in the joint.\n"
    "CPT: 20611-RT, 76942\n"
)
KNEE_FIXED = KNEE.replace("20611-RT, 76942", "20611-LT")
NODE = (
    "INDICATION: Left axillary adenopathy.\n"
    "PROCEDURE: Ultrasound-guided core biopsy of a left axillary lymph node.\n"
    "The needle was advanced into the node under real-time ultrasound. No images were retained.\n"
    "CPT: 38505, 76942 x2\n"
)
CLEAN = "PROCEDURE: Knee injection by palpation.\nThe patient tolerated it well.\n"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["check", "--jobs", "1", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def notes(tmp_path: Path) -> Path:
    for name, text in {"knee.txt": KNEE, "node.txt": NODE, "clean.txt": CLEAN}.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_fix_rewrites_codes_and_modifiers_and_never_inserts_templates(
    notes: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "--fix", str(notes / "knee.txt"), str(notes / "node.txt"))
    assert (notes / "knee.txt").read_text(encoding="utf-8") == KNEE_FIXED
    node = (notes / "node.txt").read_text(encoding="utf-8")
    assert node == NODE.replace("76942 x2", "76942")  # no placeholder added for the gaps
    assert "NL401" not in out and "NL702" not in out and "NL301" not in out
    assert f"{notes / 'node.txt'}:4:13: NL102 " in out  # what is left is still reported
    assert out.splitlines()[-1] == "Found 3 findings in 1 of 2 notes; 3 fixed."
    assert code == 1


def test_fix_keeps_a_byte_order_mark_and_windows_line_endings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    note = tmp_path / "crlf.txt"
    note.write_bytes(codecs.BOM_UTF8 + KNEE.replace("\n", "\r\n").encode("utf-8"))
    run(capsys, "--fix", str(note))
    assert note.read_bytes() == codecs.BOM_UTF8 + KNEE_FIXED.replace("\n", "\r\n").encode()


def test_diff_shows_what_fix_would_change_and_writes_nothing(
    notes: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = str(notes / "knee.txt")
    code, out, err = run(capsys, "--diff", target, str(notes / "clean.txt"))
    assert out.splitlines() == [
        f"--- {target}",
        f"+++ {target}",
        "@@ -1,3 +1,3 @@",
        *(f" {line}" for line in KNEE.splitlines()[:2]),
        "-CPT: 20611-RT, 76942",
        "+CPT: 20611-LT",
    ]
    assert (notes / "knee.txt").read_text(encoding="utf-8") == KNEE
    assert code == 1 and "2 fix(es) to 1 note(s)" in err
    code, out, _ = run(capsys, "--diff", str(notes / "clean.txt"))
    assert (code, out) == (0, "")


def test_fix_on_standard_input_prints_the_note_and_reports_on_stderr(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    stdin = io.TextIOWrapper(io.BytesIO(KNEE.encode("utf-8")))
    monkeypatch.setattr("sys.stdin", stdin)
    code, out, err = run(capsys, "--fix", "-")
    assert out == KNEE_FIXED
    assert err.splitlines()[-1] == "No findings in 1 note; 2 fixed."
    assert "knee" not in err  # the report on stderr carries no note text
    assert code == 0


def test_statistics_count_each_rule_and_mark_the_fixable(
    notes: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, as_json, _ = run(capsys, "--format", "json", str(notes))
    by_rule = json.loads(as_json)["summary"]["by_rule"]
    _, out, _ = run(capsys, "--statistics", str(notes))
    rows = [line.split() for line in out.splitlines()[:-1]]
    assert {row[1]: int(row[0]) for row in rows} == by_rule
    assert {row[1] for row in rows if row[2] == "[*]"} == {"NL301", "NL401", "NL702"}
    assert [int(row[0]) for row in rows] == sorted((int(row[0]) for row in rows), reverse=True)


def test_the_summary_line_counts_what_the_json_summary_counts(
    notes: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, as_json, _ = run(capsys, "--format", "json", str(notes))
    files = json.loads(as_json)["files"]
    findings = sum(len(f["findings"]) for f in files)
    flagged = sum(1 for f in files if f["findings"])
    fixable = sum(
        1 for f in files for x in f["findings"] if any(fx["asserts_nothing"] for fx in x["fixes"])
    )
    _, out, _ = run(capsys, str(notes))
    assert out.splitlines()[-1] == (
        f"Found {findings} findings in {flagged} of 3 notes; "
        f"{fixable} fixable with --fix (code and modifier edits)."
    )


def test_output_file_receives_what_stdout_would(
    notes: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, shown, _ = run(capsys, "--format", "sarif", str(notes))
    target = tmp_path / "out" / "result.sarif"
    target.parent.mkdir()
    code, out, _ = run(capsys, "--format", "sarif", "-o", str(target), str(notes))
    assert out == "" and code == 1
    assert target.read_text(encoding="utf-8") == shown
    code, _, err = run(capsys, "-o", str(tmp_path / "missing" / "x.txt"), str(notes))
    assert code == 2 and "cannot write" in err


def test_show_evidence_prints_the_sentence_that_satisfied_each_requirement(
    notes: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = str(notes / "node.txt")
    _, plain, _ = run(capsys, target)
    assert ": evidence " not in plain  # note text only when asked for
    _, out, _ = run(capsys, "--show-evidence", target)
    evidence = [line for line in out.splitlines() if ": evidence " in line]
    assert evidence == [
        f"{target}:3:1: evidence 76942 a description of how the target was localized: "
        '"The needle was advanced into the node under real-time ultrasound."'
    ]


def test_edits_apply_in_place_order_and_clashes_are_detected() -> None:
    edits = [TextEdit(Span(6, 8), "LT"), TextEdit(Span(0, 0), "CPT: ")]
    assert apply_edits("20611-RT, 76942", edits) == "CPT: 20611-LT, 76942"
    assert clash(Span(1, 3), Span(2, 4)) and clash(Span(5, 5), Span(5, 7))
    assert not clash(Span(1, 3), Span(3, 4))


def test_fix_note_settles_in_rounds_and_reports_the_final_text() -> None:
    from notelint.core.analysis import analyze
    from notelint.kb import load_knowledge_base

    kb = load_knowledge_base()
    fixed = fix_note(KNEE, lambda text: analyze(text, kb))
    assert (fixed.text, fixed.applied) == (KNEE_FIXED, 2)
    assert fixed.report.text == KNEE_FIXED and safe_fixes(fixed.report) == []
