"""`notelint rules test`: the cases kept in rule files pass or fail as written, failures name
the file and line of the case, patterns the index cannot read get advice, bad rules exit 2."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import regex

from notelint.cli import main
from notelint.core.prefix import why_unindexed
from notelint.kb import KnowledgeBase

SEDATED = "PROCEDURE: Ultrasound-guided liver biopsy under moderate sedation.\nCPT: 47000, 76942\n"

ORG_RULE = '''
[rule.NL950]
name = "sedation-needs-physician"
category = "performer"
check = "policy"
severity = "warning"
summary = "Sedated ultrasound-guided cases need a named physician (our policy)."
message = "{code}: {detail}"
why = "Our payer contract says so."
fix = "Name the physician who supervised the sedation."
example_fires = """PROCEDURE: Ultrasound-guided liver biopsy under moderate sedation.
CPT: 47000, 76942"""
example_passes = """PROCEDURE: Ultrasound-guided liver biopsy.
CPT: 47000, 76942"""

[concept."org.sedation"]
description = "moderate sedation"
patterns = ['\\bmoderate sedation\\b']

[[policy]]
rule = "NL950"
codes = ["76942"]
if_any = ["org.sedation"]
detail = "our payer wants a physician for sedated cases"
source = { document = "ash", line = 77, passage = "organisation policy" }
'''


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _folder(tmp_path: Path, extra: str = "", rule: str = ORG_RULE) -> Path:
    (tmp_path / "org.toml").write_text(rule + textwrap.dedent(extra), encoding="utf-8")
    return tmp_path / "org.toml"


def _line_of(file: Path, needle: str, occurrence: int = 1) -> int:
    """The 1-based line of the ``occurrence``-th line of ``file`` that starts with ``needle``."""
    lines = file.read_text(encoding="utf-8").splitlines()
    found = [n for n, line in enumerate(lines, start=1) if line.startswith(needle)]
    return found[occurrence - 1]


def _summary(out: str) -> tuple[int, int]:
    last = out.splitlines()[-1]
    match = regex.match(r"(\d+) cases, (\d+) failed", last)
    assert match, last
    return int(match[1]), int(match[2])


def test_the_built_in_rules_pass_their_own_examples(
    capsys: pytest.CaptureFixture[str], kb: KnowledgeBase
) -> None:
    code, out, err = run(capsys, "rules", "test")
    runnable = [rid for rid, rule in kb.rules.items() if rule.category != "input"]
    assert (code, err) == (0, "")
    assert _summary(out) == (2 * len(runnable), 0)
    assert "4 input rules' examples not run" in out.splitlines()[-1]
    assert not [line for line in out.splitlines() if ": NL" in line]  # no failing case


def test_an_organisation_case_that_fails_is_named_by_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "sedated.txt").write_text(SEDATED, encoding="utf-8")
    file = _folder(
        tmp_path,
        """
        [[case]]
        rule = "NL950"
        expect = "fires"
        file = "notes/sedated.txt"
        line = 2

        [[case]]
        rule = "NL950"
        expect = "silent"
        variant = "deliberately wrong"
        note = \"\"\"PROCEDURE: Ultrasound-guided liver biopsy under moderate sedation.
        CPT: 47000, 76942\"\"\"
        """,
    )
    code, out, _ = run(capsys, "rules", "test", str(tmp_path))
    assert code == 1
    wrong = _line_of(file, "[[case]]", 2)
    failures = [line for line in out.splitlines() if ": NL950 " in line]
    assert failures == [
        f"{file}:{wrong}: NL950 case: expected NL950 to stay silent; it fired (profile cpt); "
        "findings produced: NL101, NL102, NL103, NL104, NL950"
    ]
    # the two examples and the two cases of this folder, not the built-in rules' examples
    assert _summary(out) == (4, 1)


def test_a_wrong_example_points_at_its_own_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rule = ORG_RULE.replace("Ultrasound-guided liver biopsy under moderate sedation.", "Biopsy.")
    file = _folder(tmp_path, rule=rule)
    code, out, _ = run(capsys, "rules", "test", str(tmp_path))
    assert code == 1
    assert (
        f"{file}:{_line_of(file, 'example_fires')}: NL950 example_fires: expected NL950 to fire; it did not (profile cpt)"
        in out
    )
    assert _summary(out) == (2, 1)


def test_a_case_on_the_wrong_line_or_without_its_file_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "sedated.txt").write_text(SEDATED, encoding="utf-8")
    file = _folder(
        tmp_path,
        """
        [[case]]
        rule = "NL950"
        expect = "fires"
        file = "sedated.txt"
        line = 1

        [[case]]
        rule = "NL950"
        expect = "fires"
        file = "absent.txt"
        """,
    )
    code, out, _ = run(capsys, "rules", "test", str(tmp_path))
    assert code == 1
    assert (
        f"{file}:{_line_of(file, '[[case]]')}: NL950 case: expected NL950 on line 1; "
        "it fired on line 2 (profile cpt)"
    ) in out
    assert (
        f"{file}:{_line_of(file, '[[case]]', 2)}: NL950 case: case file absent.txt: no such file or folder"
        in out
    )
    assert _summary(out) == (4, 2)


def test_a_case_for_a_built_in_rule_runs_in_the_profile_it_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An organisation's policy for a built-in rule (NL601 is ASH's) is tested by its case."""
    policy = """
    [concept."org.sedation"]
    description = "moderate sedation"
    patterns = ['\\bmoderate sedation\\b']

    [[policy]]
    rule = "NL601"
    codes = ["76942"]
    if_any = ["org.sedation"]
    profiles = ["ash"]
    detail = "our payer wants a physician for sedated cases"
    source = { document = "ash", line = 77, passage = "organisation policy" }

    [[case]]
    rule = "NL601"
    expect = "fires"
    profile = "ash"
    code = "76942"
    note = "PROCEDURE: Ultrasound-guided liver biopsy under moderate sedation.\\nCPT: 47000, 76942"
    """
    _folder(tmp_path, rule=textwrap.dedent(policy))
    code, out, _ = run(capsys, "rules", "test", str(tmp_path))
    assert (code, _summary(out)) == (0, (1, 0))
    (tmp_path / "org.toml").write_text(
        textwrap.dedent(policy).replace("moderate sedation.", "local anaesthesia."),
        encoding="utf-8",
    )
    code, out, _ = run(capsys, "rules", "test", str(tmp_path))
    assert code == 1 and "expected NL601 to fire about 76942; it did not (profile ash)" in out


def test_an_unindexable_pattern_gets_advice_naming_file_line_and_concept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = _folder(
        tmp_path,
        """
        [concept."org.any_sedation"]
        description = "sedation of any kind"
        patterns = ['(?:deep )?\\w+ sedation', '\\bsedated\\b']

        [concept."org.dot"]
        description = "anything before anaesthesia"
        patterns = ['.{0,3}anaesthesia']
        """,
    )
    code, out, _ = run(capsys, "rules", "test", str(tmp_path))
    assert code == 0  # advice, not a failure
    warnings = [line for line in out.splitlines() if ": warning: " in line]
    assert len(warnings) == 2, out
    first = _line_of(file, "patterns = ['(?:deep")
    assert warnings[0].startswith(
        f"{file}:{first}: warning: concept 'org.any_sedation' patterns[0] "
        "`(?:deep )?\\w+ sedation` cannot be indexed"
    )
    assert (
        "its first item is optional, and without it a match can start with the character class \\w"
        in warnings[0]
    )
    assert "make the first item required" in warnings[0]
    assert "concept 'org.dot' patterns[0]" in warnings[1]
    assert "a match can start with . (any character)" in warnings[1]
    assert "begin it with literal text" in warnings[1]


@pytest.mark.parametrize(
    ("pattern", "kind", "what", "after_optional"),
    [
        (r"\bmoderate sedation\b", None, "", False),
        (r"(?:left )?knee", None, "", False),
        (r"\b\d+ mL", "class", r"\d", False),
        (r"[a-z]+ing\b", "class", "[a-z]", False),
        (r"(?:|deep )\s+sedation", "class", r"\s", True),
        (r"(?:sedation)?", "empty", "", False),
        (r"échographie", "non_ascii", "échograp", False),  # its first 8 characters
        (r"(?x) sedation", "flags", "", False),
        (r"[[:alpha:]]+", "syntax", "", False),
    ],
)
def test_what_makes_a_pattern_unindexable(
    pattern: str, kind: str | None, what: str, after_optional: bool
) -> None:
    found = why_unindexed(pattern)
    if kind is None:
        assert found is None
    else:
        assert found is not None
        assert (found.kind, found.what, found.after_optional) == (kind, what, after_optional)


def test_a_malformed_rule_file_exits_2_with_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = _folder(tmp_path, '\n[[case]]\nrule = "NL950"\nexpect = "maybe"\nnote = "x"\n')
    code, out, err = run(capsys, "rules", "test", str(tmp_path))
    assert (code, out) == (2, "")
    line = _line_of(file, 'expect = "maybe"')
    assert f"{file}:{line}: case.0.expect: Input should be 'fires' or 'silent'" in err
    (tmp_path / "org.toml").write_text('[rule.NL950\nname = "x"\n', encoding="utf-8")
    code, out, err = run(capsys, "rules", "test", str(tmp_path))
    assert (code, out) == (2, "") and f"{file}:1: invalid TOML" in err


def test_a_case_for_an_unknown_rule_or_with_two_notes_is_a_rules_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = _folder(tmp_path, '\n[[case]]\nrule = "NL951"\nexpect = "fires"\nnote = "x"\n')
    code, _, err = run(capsys, "rules", "test", str(tmp_path))
    assert code == 2
    assert f"{file}:{_line_of(file, '[[case]]')}: case names unknown rule 'NL951'" in err
    _folder(tmp_path, '\n[[case]]\nrule = "NL950"\nexpect = "fires"\nnote = "x"\nfile = "y.txt"\n')
    code, _, err = run(capsys, "rules", "test", str(tmp_path))
    assert code == 2 and "a case needs either note (the text) or file (a note file)" in err


def test_a_pattern_that_can_take_exponential_time_is_refused_with_advice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = _folder(
        tmp_path,
        """
        [concept."org.slow"]
        description = "a nested repeat"
        patterns = ['\\bsed(?:\\w+\\s?)*ation']
        """,
    )
    code, out, err = run(capsys, "rules", "test", str(tmp_path))
    assert (code, out) == (2, "")
    line = _line_of(file, "patterns = ['\\bsed")
    assert f"{file}:{line}: concept.org.slow.patterns.0: " in err
    assert "use an atomic group (?>...)" in err


def test_cases_in_a_rule_folder_do_not_change_what_check_reports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _folder(tmp_path, '\n[[case]]\nrule = "NL950"\nexpect = "silent"\nnote = "x"\n')
    note = tmp_path / "note.txt"
    note.write_text(SEDATED, encoding="utf-8")
    code, out, _ = run(capsys, "check", "--jobs=1", "--rules", str(tmp_path), str(note))
    assert code == 1 and "NL950" in out


def test_a_case_file_is_read_as_check_reads_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Bytes that are not UTF-8 give NL901, so an input rule can be tested by a case file."""
    (tmp_path / "latin1.txt").write_bytes(SEDATED.replace("biopsy", "biopsy \xb5").encode("cp1252"))
    _folder(
        tmp_path,
        """
        [[case]]
        rule = "NL901"
        expect = "fires"
        file = "latin1.txt"

        [[case]]
        rule = "NL950"
        expect = "fires"
        file = "latin1.txt"
        """,
    )
    code, out, _ = run(capsys, "rules", "test", str(tmp_path))
    assert (code, _summary(out)) == (0, (4, 0)), out
    (tmp_path / "latin1.txt").write_text(SEDATED, encoding="utf-8")
    code, out, _ = run(capsys, "rules", "test", str(tmp_path))
    assert code == 1 and "NL901 case: expected NL901 to fire; it did not" in out
