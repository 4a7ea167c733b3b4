"""A user's rule file cannot bring a pattern whose matching time explodes on a hostile note."""

from __future__ import annotations

from pathlib import Path

import pytest

from notelint.cli import main
from notelint.kb.safe_regex import backtracking_risk

CATASTROPHIC = [r"(?:a|a)+$", r"(a+)+$", r"(\w+\s?)*$", r"(x+x+)+y", r"((a+))+", r"(?:\d+,?)+$"]
SAFE = [
    r"\b(?:left|right)+",
    r"(?:\w|-)+x",
    r"(?:\w+\s)+x",
    r"(?>a+)+",
    r"(?:a+)++",
    r"\w+(?:[^\w.\n]+\w+){3,}",
    r"[^.\n]{0,40}?\bcontrast\b",
    r"(a|b){1,5}",
]


@pytest.mark.parametrize("pattern", CATASTROPHIC)
def test_catastrophic_pattern_is_named(pattern: str) -> None:
    assert backtracking_risk(pattern)


@pytest.mark.parametrize("pattern", SAFE)
def test_pattern_that_backtracks_one_way_passes(pattern: str) -> None:
    assert backtracking_risk(pattern) is None


def test_rules_check_refuses_catastrophic_pattern_with_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = tmp_path / "concepts.toml"
    rules.write_text('[concept."org.slow"]\ndescription = "slow"\npatterns = [\'(?:a|a)+$\']\n')
    assert main(["rules", "check", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"{rules}:3:" in err and "exponential" in err
