"""Typed schema of the knowledge base. Every rule file under ``rules/`` validates against these."""

from __future__ import annotations

from typing import Annotated, Literal

import regex
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

Profile = Literal["cpt", "ash"]
Assertion = Literal["present", "negated", "hypothetical", "historical"]
Modality = Literal["ultrasound", "fluoroscopy", "ct", "mri", "focused_ultrasound"]
SeverityName = Literal["error", "warning", "information", "hint"]
Category = Literal[
    "documentation",
    "bundling",
    "units",
    "necessity",
    "performer",
    "coding",
    "modifier",
    "consistency",
    "input",
]
Element = Literal[
    "interpretation",
    "final_report",
    "permanent_images",
    "localization",
    "necessity",
    "physician_presence",
    "physician_time",
    "ablation_monitoring",
    "post_procedure_imaging",
    "procedure_description",
]
ALL_PROFILES: tuple[Profile, ...] = ("cpt", "ash")
_PRESENT: tuple[Assertion, ...] = ("present",)

CODE_PATTERN = r"^(?:\d{5}|\d{4}[TFU]|[A-V]\d{4})$"
RULE_ID_PATTERN = r"^NL\d{3}$"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceDocument(Strict):
    file: str
    title: str
    kind: Literal["brief", "guideline", "cms", "cpt"]


class Citation(Strict):
    document: str
    line: int = Field(ge=1)
    passage: str = Field(min_length=1)


class Rule(Strict):
    name: str = Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
    category: Category
    severity: SeverityName
    summary: str
    message: str
    why: str
    fix: str
    example_fires: str
    example_passes: str
    profiles: list[Profile] = Field(default_factory=lambda: list(ALL_PROFILES))
    sources: list[Citation] = Field(default_factory=list)


def _check_pattern(pattern: str) -> str:
    try:
        regex.compile(pattern, regex.IGNORECASE)
    except regex.error as exc:
        raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from None
    return pattern


Pattern = Annotated[str, AfterValidator(_check_pattern)]


class Concept(Strict):
    description: str
    patterns: list[Pattern] = Field(min_length=1)
    # Section kinds where a mention counts; empty means every section not excluded.
    sections: list[str] = Field(default_factory=list)
    exclude_sections: list[str] = Field(default_factory=list)
    # Which assertion contexts make a mention count as evidence.
    counts_when: list[Assertion] = Field(default_factory=lambda: list(_PRESENT))
    case_sensitive: bool = False
    # A word list other steps build on (paired anatomy for laterality), not matched as evidence.
    vocabulary: bool = False


class ElementSpec(Strict):
    rule: str = Field(pattern=RULE_ID_PATTERN)
    label: str
    evidence: list[str] = Field(min_length=1)
    template: str


class Support(Strict):
    # Each inner list is "any of"; every inner list must be satisfied.
    all: list[list[str]] = Field(min_length=1)
    none: list[str] = Field(default_factory=list)


class Requirement(Strict):
    element: Element
    source: Citation
    profiles: list[Profile] = Field(default_factory=lambda: list(ALL_PROFILES))
    # Overrides of the element's defaults, for a requirement stricter than the element's usual sense.
    rule: str | None = Field(default=None, pattern=RULE_ID_PATTERN)
    label: str | None = None
    evidence: list[str] | None = None
    template: str | None = None


class Code(Strict):
    description: str
    kind: Literal["needle_guidance", "ablation_guidance", "fluoroscopy", "unlisted", "ablation"]
    modality: Modality
    supported_by: Support
    suggest: bool = True
    add_on: bool = False
    professional_component: bool = True
    modifiers: list[str] = Field(default_factory=list)
    requires: list[Requirement] = Field(default_factory=list)
    source: Citation


class PrimaryProcedure(Strict):
    codes: list[str] = Field(min_length=1)
    summary: str
    includes_guidance: list[Modality]
    concept: str
    verified: str
    units_note: str | None = None

    def expanded_codes(self) -> list[str]:
        return expand_code_ranges(self.codes)


class Policy(Strict):
    """A conditional check: when one of ``codes`` is reported/supported and the context holds."""

    rule: str = Field(pattern=RULE_ID_PATTERN)
    codes: list[str] = Field(min_length=1)
    when: Literal["reported", "supported", "either"] = "either"
    if_any: list[str] = Field(default_factory=list)
    unless_any: list[str] = Field(default_factory=list)
    with_reported_any: list[str] = Field(default_factory=list)
    unless_reported_any: list[str] = Field(default_factory=list)
    profiles: list[Profile] = Field(default_factory=lambda: list(ALL_PROFILES))
    detail: str
    source: Citation


class UnitLimit(Strict):
    rule: str = Field(pattern=RULE_ID_PATTERN)
    codes: list[str] = Field(min_length=1)
    max_units: int = Field(ge=1)
    profiles: list[Profile] = Field(default_factory=lambda: list(ALL_PROFILES))
    source: Citation


class Modifier(Strict):
    meaning: str
    applies_to: str = ""
    source: str = ""
    brief_says: str | None = None
    # Concepts whose presence suggests the modifier; empty means never suggested automatically.
    evidence: list[str] = Field(default_factory=list)
    unless_any: list[str] = Field(default_factory=list)
    # Further concepts that must all be present as well (73: discontinued, before anesthesia, facility).
    also_requires: list[str] = Field(default_factory=list)
    conflicts_with: list[str] = Field(default_factory=list)
    # Only for codes with a professional/technical split (26, TC).
    split_only: bool = False


class Trigger(Strict):
    phrases: list[str] = Field(min_length=1)
    assertion: Literal["negated", "hypothetical", "historical", "pseudo", "terminate"]
    direction: Literal["forward", "backward", "both"] = "forward"
    window: int = Field(default=4, ge=0, le=20)


def expand_code_ranges(codes: list[str]) -> list[str]:
    out: list[str] = []
    for item in codes:
        if "-" in item:
            low, high = item.split("-", 1)
            out.extend(str(n) for n in range(int(low), int(high) + 1))
        else:
            out.append(item)
    return out
