"""Load the rule fixtures under fixtures/rules/<RULE>/cases.toml."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RULE_FIXTURES = ROOT / "fixtures" / "rules"
VARIANTS = {
    "basic",
    "negated",
    "hypothetical",
    "historical",
    "placeholder",
    "empty-heading",
    "complete",
    "other",
}


@dataclass(frozen=True)
class Case:
    rule: str
    file: Path
    expect: str  # "fires" or "silent"
    profile: str | None
    code: str | None
    line: int | None
    variant: str

    @property
    def id(self) -> str:
        return f"{self.rule}/{self.file.name}"


def load_cases() -> list[Case]:
    cases = []
    for table in sorted(RULE_FIXTURES.glob("*/cases.toml")):
        rule = table.parent.name
        data = tomllib.loads(table.read_text(encoding="utf-8"))
        for entry in data.get("case", []):
            cases.append(
                Case(
                    rule=rule,
                    file=table.parent / entry["file"],
                    expect=entry["expect"],
                    profile=entry.get("profile"),
                    code=entry.get("code"),
                    line=entry.get("line"),
                    variant=entry.get("variant", "basic"),
                )
            )
    return cases
