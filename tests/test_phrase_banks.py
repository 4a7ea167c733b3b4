"""Clinicians' own phrasings, each placed in a note complete but for one element: the ones that
must satisfy it are read (the finding is absent), the decoys are not (the finding is there)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from notelint.core.analysis import analyze
from notelint.core.settings import Settings
from notelint.kb import KnowledgeBase
from notelint.phrases import (
    RECALL_BAR,
    Bank,
    BankError,
    LoadedBank,
    Phrase,
    accepted,
    default_phrase_dir,
    load_bank,
    load_banks,
)

BANKS = load_banks(default_phrase_dir())
CASES = [
    (loaded, group, number, phrase)
    for loaded in BANKS
    for group, phrases in (("satisfy", loaded.bank.satisfy), ("must_not", loaded.bank.must_not))
    for number, phrase in enumerate(phrases)
]


def _case_param(loaded: LoadedBank, group: str, number: int, phrase: Phrase) -> pytest.ParameterSet:
    marks = []
    if phrase.known_miss is not None:
        marks.append(pytest.mark.xfail(strict=True, reason=phrase.known_miss))
    return pytest.param(
        loaded.bank, group, phrase, id=f"{loaded.bank.concept}-{group}-{number}", marks=marks
    )


@pytest.mark.parametrize(("bank", "group", "phrase"), [_case_param(*case) for case in CASES])
def test_phrasing(bank: Bank, group: str, phrase: Phrase, kb: KnowledgeBase) -> None:
    wanted = group == "satisfy"
    assert accepted(bank, phrase, kb) is wanted, f"{bank.concept} {group}: {phrase.text!r}"


@pytest.mark.parametrize("loaded", BANKS, ids=[b.bank.concept for b in BANKS])
def test_base_note_lacks_only_its_element(loaded: LoadedBank, kb: KnowledgeBase) -> None:
    bank = loaded.bank
    for name in bank.base:
        assert not accepted(bank, Phrase(text=" ", base=name), kb), f"{bank.concept}/{name}"
        code, text = bank.note(Phrase(text=" ", base=name))
        report = analyze(text, kb, Settings(profile=bank.profile))
        others = [
            f.rule for f in report.findings if f.category == "documentation" and f.rule != bank.rule
        ]
        assert not others, f"{bank.concept}/{name} also lacks {others}"
        assert code in {s.code for s in report.suggested} | {bank.base[name].code}


@pytest.mark.parametrize("loaded", BANKS, ids=[b.bank.concept for b in BANKS])
def test_recall_bar_counting_known_misses(loaded: LoadedBank) -> None:
    satisfy = loaded.bank.satisfy
    misses = sum(p.known_miss is not None for p in satisfy)
    assert 1 - misses / len(satisfy) >= RECALL_BAR
    assert not any(p.known_miss for p in loaded.bank.must_not)


def test_banks_cover_the_documentation_and_ash_concepts() -> None:
    rules = {loaded.bank.rule for loaded in BANKS}
    assert {"NL101", "NL102", "NL103", "NL104", "NL111", "NL504", "NL505"} <= rules


def test_bank_errors_name_file_and_line(tmp_path: Path) -> None:
    source = (default_phrase_dir() / "necessity.toml").read_text(encoding="utf-8")
    broken = source.replace('"Deep lesion near vessels.",', '{ text = "" },', 1)
    line = next(n for n, row in enumerate(broken.splitlines(), 1) if '{ text = "" }' in row)
    file = tmp_path / "necessity.toml"
    file.write_text(broken, encoding="utf-8")
    with pytest.raises(BankError, match=rf"necessity\.toml:{line}: satisfy\.\d+\.text"):
        load_bank(file)


def test_eval_phrases_reports_each_concept_and_fails_below_the_bar(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from notelint.cli import main

    bank = (default_phrase_dir() / "permanent_images.toml").read_text(encoding="utf-8")
    (tmp_path / "permanent_images.toml").write_text(bank, encoding="utf-8")
    assert main(["eval", "--phrases", str(tmp_path), "--format", "json"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert (row["concept"], row["rule"], row["false_accepts"]) == ("permanent_images", "NL102", 0)
    assert row["read"] == row["satisfy"] >= 30
    # A decoy filed as a satisfying phrasing is a miss: below the bar, exit 1, file and line.
    swapped = bank.replace('"No images were saved."', '"Images were archived."', 1)
    (tmp_path / "permanent_images.toml").write_text(swapped, encoding="utf-8")
    assert main(["eval", "--phrases", str(tmp_path)]) == 1
    line = next(
        n for n, row in enumerate(swapped.splitlines(), 1) if '"Images were archived."' in row
    )
    assert f"permanent_images.toml:{line}: permanent_images falsely accepted" in (
        capsys.readouterr().out
    )
