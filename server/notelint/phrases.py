"""Phrase banks: how clinicians word each documentation element, and whether notelint reads it.

A bank (``fixtures/phrases/<concept>.toml``) holds phrasings that must satisfy one rule's
concept and phrasings that must not (negated, hypothetical, historical, another patient's,
prior or outside imaging, a template, the wrong section). Each phrasing is placed in a base
note that is complete except for that element; the phrasing is *accepted* when the rule then
says the element is there. Pure apart from reading the bank files.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from notelint.core.analysis import analyze
from notelint.core.engine import Engine
from notelint.core.settings import Settings
from notelint.kb import KnowledgeBase, builtin_rules_dir
from notelint.kb.models import CODE_PATTERN, RULE_ID_PATTERN, Profile
from notelint.kb.tomlpos import key_lines, line_of

SLOT = "{phrase}"
RECALL_BAR = 0.95
MIN_SATISFY, MIN_MUST_NOT = 30, 15
Decoy = Literal[
    "negated",
    "hypothetical",
    "historical",
    "other-patient",
    "prior-imaging",
    "templated",
    "wrong-section",
    "insufficient",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BaseNote(_Strict):
    code: str = Field(pattern=CODE_PATTERN)
    # A whole note with one line "{phrase}" where each phrasing goes; a heading must follow
    # it, so a phrasing placed under its own heading does not take the rest of the note along.
    text: str

    @model_validator(mode="after")
    def _one_slot(self) -> BaseNote:
        lines = [line.strip() for line in self.text.splitlines()]
        if lines.count(SLOT) != 1:
            raise ValueError(f"text must have exactly one line {SLOT!r}")
        return self


class Phrase(_Strict):
    """A phrasing; written in a bank as a string, or an inline table with the fields below."""

    text: str = Field(min_length=1)
    # The heading the phrasing sits under ("PAST MEDICAL HISTORY:"), else it continues the
    # section before the slot.
    section: str | None = None
    base: str | None = None  # which base note; the bank's first by default
    decoy: Decoy | None = None  # why a must-not phrasing must not count
    # A phrasing notelint does not read yet, with why: reported as a miss, tested as one.
    known_miss: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, value: Any) -> Any:
        return {"text": value} if isinstance(value, str) else value


class Bank(_Strict):
    concept: str = Field(pattern=r"^[a-z_]+$")
    rule: str = Field(pattern=RULE_ID_PATTERN)
    description: str
    profile: Profile = "cpt"
    # True where the concept makes the rule fire (an easily palpable joint: NL504).
    fires_when_read: bool = False
    base: dict[str, BaseNote] = Field(min_length=1)
    satisfy: list[Phrase] = Field(min_length=MIN_SATISFY)
    must_not: list[Phrase] = Field(min_length=MIN_MUST_NOT)

    @model_validator(mode="after")
    def _known_bases(self) -> Bank:
        for phrase in (*self.satisfy, *self.must_not):
            if phrase.base is not None and phrase.base not in self.base:
                raise ValueError(f"unknown base {phrase.base!r} (have {sorted(self.base)})")
        return self

    def note(self, phrase: Phrase | None) -> tuple[str, str]:
        """The base note's code and its text with ``phrase`` in the slot (none: left empty)."""
        base = self.base[phrase.base if phrase and phrase.base else next(iter(self.base))]
        line = ""
        if phrase is not None:
            line = f"{phrase.section} {phrase.text}" if phrase.section else phrase.text
        lines = [line if raw.strip() == SLOT else raw for raw in base.text.splitlines()]
        return base.code, "\n".join(lines) + "\n"


def default_phrase_dir() -> Path:
    """The bundled banks: ``fixtures/phrases`` beside the rules of a source checkout."""
    return builtin_rules_dir().parent / "fixtures" / "phrases"


class BankError(Exception):
    """A bank file that does not validate: file, line and what was expected."""


@dataclass(frozen=True)
class LoadedBank:
    file: Path
    bank: Bank
    lines: dict[str, list[int]]  # "satisfy"/"must_not" -> each entry's line

    def line(self, group: str, number: int) -> int:
        found = self.lines.get(group, [])
        return found[number] if number < len(found) else 1


def _entry_lines(text: str, group: str) -> list[int]:
    """The line of each entry of the array ``group = [...]``, written one entry a line."""
    out: list[int] = []
    inside = False
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not inside:
            inside = stripped.startswith(f"{group} =") or stripped.startswith(f"{group}=")
        elif stripped.startswith("]"):
            break
        elif stripped[:1] in {'"', "'", "{"}:
            out.append(number)
    return out


def load_bank(file: Path) -> LoadedBank:
    text = file.read_text(encoding="utf-8")
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise BankError(f"{file}: invalid TOML: {exc}") from None
    entries = {group: _entry_lines(text, group) for group in ("satisfy", "must_not")}
    try:
        bank = Bank.model_validate(data)
    except ValidationError as exc:
        keys = key_lines(text)
        problems = []
        for error in exc.errors():
            loc = tuple(error["loc"])
            line = line_of(keys, loc)
            if len(loc) > 1 and loc[0] in entries and isinstance(loc[1], int):
                line = entries[str(loc[0])][loc[1]] if loc[1] < len(entries[str(loc[0])]) else line
            where = ".".join(str(p) for p in loc) or "(top)"
            problems.append(f"{file}:{line}: {where}: {error['msg']}")
        raise BankError("\n".join(problems)) from None
    return LoadedBank(file, bank, entries)


def load_banks(folder: Path) -> list[LoadedBank]:
    files = sorted(folder.glob("*.toml"))
    if not files:
        raise BankError(f"{folder}: no phrase banks (*.toml)")
    return [load_bank(file) for file in files]


def accepted(
    bank: Bank, phrase: Phrase | None, kb: KnowledgeBase, engine: Engine | None = None
) -> bool:
    """Whether notelint reads the concept in the base note with ``phrase`` placed in it."""
    code, text = bank.note(phrase)
    report = analyze(text, kb, Settings(profile=bank.profile), engine)
    fired = any(f.rule == bank.rule and f.code == code for f in report.findings)
    return fired if bank.fires_when_read else not fired


@dataclass
class BankScore:
    concept: str
    rule: str
    file: Path
    satisfy: int = 0
    read: int = 0
    must_not: int = 0
    false_accepts: int = 0
    missed_lines: list[int] = field(default_factory=list)
    false_accept_lines: list[int] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.read / self.satisfy if self.satisfy else 1.0

    @property
    def passes(self) -> bool:
        return self.recall >= RECALL_BAR and self.false_accepts == 0

    def as_json(self) -> dict[str, Any]:
        return {
            "concept": self.concept,
            "rule": self.rule,
            "file": str(self.file),
            "satisfy": self.satisfy,
            "read": self.read,
            "recall": round(self.recall, 4),
            "must_not": self.must_not,
            "false_accepts": self.false_accepts,
            "missed_lines": self.missed_lines,
            "false_accept_lines": self.false_accept_lines,
        }


def score_bank(loaded: LoadedBank, kb: KnowledgeBase) -> BankScore:
    bank = loaded.bank
    score = BankScore(bank.concept, bank.rule, loaded.file)
    engine = Engine(kb)  # the bank's notes differ in one phrase: the rest is worked out once
    for number, phrase in enumerate(bank.satisfy):
        score.satisfy += 1
        if accepted(bank, phrase, kb, engine):
            score.read += 1
        else:
            score.missed_lines.append(loaded.line("satisfy", number))
    for number, phrase in enumerate(bank.must_not):
        score.must_not += 1
        if accepted(bank, phrase, kb, engine):
            score.false_accepts += 1
            score.false_accept_lines.append(loaded.line("must_not", number))
    return score


def score_banks(banks: Iterable[LoadedBank], kb: KnowledgeBase) -> list[BankScore]:
    return [score_bank(loaded, kb) for loaded in banks]


def render_text(scores: list[BankScore]) -> str:
    header = f"{'concept':<24}{'rule':<7}{'recall':>8}{'read':>9}{'false accepts':>15}"
    lines = [header]
    for s in scores:
        read = f"{s.read}/{s.satisfy}"
        lines.append(
            f"{s.concept:<24}{s.rule:<7}{s.recall:>8.3f}{read:>9}"
            f"{f'{s.false_accepts}/{s.must_not}':>15}"
        )
    lines += ["", *_problems(scores)]
    verdict = "all banks pass" if all(s.passes for s in scores) else "below the bar"
    lines.append(f"{verdict} (recall >= {RECALL_BAR:.2f}, no false accept)")
    return "\n".join(lines)


def _problems(scores: list[BankScore]) -> Iterator[str]:
    for s in scores:
        for line in s.missed_lines:
            yield f"  {s.file}:{line}: {s.concept} not read"
        for line in s.false_accept_lines:
            yield f"  {s.file}:{line}: {s.concept} falsely accepted"
