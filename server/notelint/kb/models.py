"""The knowledge base's entries, as the analysis reads them: plain frozen records.

Rule files are validated against the schema of :mod:`notelint.kb.schema` (pydantic), whose
models these mirror field for field (the comments there say what each field means); what
validates becomes these records. The knowledge base, its cache and everything downstream hold
only records, so importing the analysis or loading a cached knowledge base needs no pydantic.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import regex

Profile = Literal["cpt", "ash"]
# "other": said of someone other than the patient (a relative, another patient).
Assertion = Literal["present", "negated", "hypothetical", "historical", "other"]
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
ALL_PROFILES: tuple[Profile, ...] = ("cpt", "ash")

CODE_PATTERN = r"^(?:\d{5}|\d{4}[TFU]|[A-V]\d{4})$"
# A rule id is its namespace (declared in a [namespace] table: NL for the built-in rules, an
# organisation's own for its rules) and three digits. Which namespaces exist is data: the
# loader checks each rule's against them.
NAMESPACE_PATTERN = r"^[A-Z]{2,8}$"
RULE_ID_PATTERN = r"^[A-Z]{2,8}\d{3}$"
# What produces a rule's findings (``check`` of a rule; notelint.checks is the registry):
# a kind of rules data that names the rule, in the order decide runs them, then ``input`` (the
# readers' findings about a file or its text); or ``module:<name>``, a check module, listed
# here in the order they run with the rules each reports (its own ``RULES``): the loader checks
# a rule's module against this table, since the kb layer does not import the checks. Only
# rules of the built-in namespace may name a module or ``input``: an organisation's rules are
# data.
DATA_CHECKS: tuple[str, ...] = ("requirement", "policy", "unit_limit", "input")
CHECK_MODULES: dict[str, tuple[str, ...]] = {
    "unresolved": ("NL206",),
    "reported": ("NL201", "NL202", "NL204", "NL301"),
    "coverage": ("NL207",),
    "modifiers": ("NL701", "NL702", "NL703"),
    "laterality": ("NL801",),
}
BUILTIN_NAMESPACE = "NL"
MODULE_PREFIX = "module:"
# Ids of declared vocabulary entries (elements, modalities, code kinds).
VOCABULARY_ID_PATTERN = r"^[a-z][a-z0-9_]*$"

# Records are built from validated entries (notelint.kb.schema.record), every field by name.


@dataclass(frozen=True, kw_only=True)
class SourceDocument:
    """A source document the rules cite (a brief, a guideline, a CMS or CPT text)."""

    file: str
    title: str
    kind: Literal["brief", "guideline", "cms", "cpt"]
    payer: Profile | None


@dataclass(frozen=True, kw_only=True)
class Citation:
    """A passage of a source document, quoted verbatim, that a rule or requirement rests on."""

    document: str
    line: int
    passage: str
    own_policy: str | None
    restates: str | None

    def quoted(self) -> str:
        """The passage, with the authority it restates or the project's own policy."""
        notes = []
        if self.restates is not None:
            notes.append(f"[also stated by {self.restates}]")
        if self.own_policy is not None:
            notes.append(f"[notelint's own policy: {self.own_policy}]")
        return " ".join([self.passage, *notes])


@dataclass(frozen=True, kw_only=True)
class Namespace:
    """A rule namespace: the letters before a rule's number (NL for the built-in rules)."""

    description: str


@dataclass(frozen=True, kw_only=True)
class ModalitySpec:
    """An imaging modality a code can have."""

    description: str
    guidance: bool
    adjective: str | None


@dataclass(frozen=True, kw_only=True)
class CodeKind:
    """A kind of code in the code table."""

    description: str
    primary: bool


@dataclass(frozen=True, kw_only=True)
class Rule:
    """A rule: what its findings say, why, how to fix them, and where it applies."""

    name: str
    category: Category
    severity: SeverityName
    summary: str
    message: str
    why: str
    fix: str
    example_fires: str
    example_passes: str
    profiles: list[Profile]
    sources: list[Citation]
    check: str | None  # a kind of DATA_CHECKS or "module:<name>" (CHECK_MODULES)


@dataclass(frozen=True, kw_only=True)
class RuleCase:
    """A note kept in a rule folder with what one rule must do on it (``notelint rules test``)."""

    rule: str
    expect: Literal["fires", "silent"]
    note: str | None
    file: str | None
    profile: Profile | None
    code: str | None
    line: int | None
    variant: str


@dataclass(frozen=True, kw_only=True)
class Combination:
    """Evidence made of parts that must all be said in one sentence, near one another."""

    parts: list[list[str]]
    gap: int
    ordered: bool

    def pattern(self) -> str:
        groups = ["(?:" + "|".join(f"(?:{p})" for p in part) + ")" for part in self.parts]
        orders = [groups] if self.ordered else list(itertools.permutations(groups))
        between = rf"[^.\n]{{0,{self.gap}}}?"
        return "|".join(between.join(order) for order in orders)


@dataclass(frozen=True, kw_only=True)
class Concept:
    """Something a note can say, recognised by its patterns."""

    description: str
    patterns: list[str]
    combine: list[Combination]
    unless_sentence: list[str]
    sections: list[str]
    exclude_sections: list[str]
    counts_when: list[Assertion]
    case_sensitive: bool
    vocabulary: bool

    def all_patterns(self) -> list[str]:
        """Its patterns, then each combination as one pattern."""
        return [*self.patterns, *(c.pattern() for c in self.combine)]


@dataclass(frozen=True, kw_only=True)
class ElementSpec:
    """An item of documentation a requirement asks for, and the concepts that show it."""

    rule: str
    label: str
    evidence: list[str]
    template: str
    sections: list[str]


@dataclass(frozen=True, kw_only=True)
class Support:
    """What documents a code: one concept of each inner list of ``all``, none of ``none``."""

    all: list[list[str]]
    none: list[str]


@dataclass(frozen=True, kw_only=True)
class Requirement:
    """An element of documentation a code requires, with its source."""

    element: str
    source: Citation
    profiles: list[Profile]
    rule: str | None
    label: str | None
    evidence: list[str] | None
    template: str | None


@dataclass(frozen=True, kw_only=True)
class CodeRequirement(Requirement):
    """A requirement a rule folder adds to a code of the code table (``[[requirement]]``)."""

    code: str

    def requirement(self) -> Requirement:
        """The requirement itself, as a code's ``requires`` holds it."""
        return Requirement(
            element=self.element,
            source=self.source,
            profiles=self.profiles,
            rule=self.rule,
            label=self.label,
            evidence=self.evidence,
            template=self.template,
        )


@dataclass(frozen=True, kw_only=True)
class Code:
    """A guidance code of the code table: what supports it and what it requires."""

    description: str
    kind: str
    modality: str
    supported_by: Support
    reported_by: Support | None
    needs_family: bool
    suggest: bool
    professional_component: bool
    modifiers: list[str]
    requires: list[Requirement]
    source: Citation


@dataclass(frozen=True, kw_only=True)
class FamilyCitation:
    """A public authority for a family's guidance fact."""

    authority: str
    url: str
    passage: str


@dataclass(frozen=True, kw_only=True)
class IncludedFrom:
    """A code-set revision from whose year on a family's codes include all its guidance."""

    year: int
    codes: list[str]
    citation: FamilyCitation


@dataclass(frozen=True, kw_only=True)
class Family:
    """A family of primary procedures, recognised by what was done, to what, and how."""

    name: str
    summary: str
    codes: list[str]
    actions: list[str]
    targets: list[str]
    unless: list[str]
    unless_in_note: list[str]
    requires_in_note: list[str]
    fallback: bool
    guidance: dict[str, str]
    separate_only_with: list[str]
    primary: dict[str, str]
    primary_needs_images: list[str]
    surgical: bool
    open_approach: bool
    absorbs: list[str]
    included_from: IncludedFrom | None
    citation: FamilyCitation
    verified: bool
    verified_note: str
    units_note: str | None

    def expanded_codes(self) -> list[str]:
        """Its codes with ranges ("64490-64495") written out, a revision's new ones too."""
        revised = self.included_from.codes if self.included_from else []
        return expand_code_ranges([*self.codes, *revised])

    def revision_codes(self) -> frozenset[str]:
        """The codes of the revision that made its guidance included, written out."""
        revised = self.included_from.codes if self.included_from else []
        return frozenset(expand_code_ranges(revised))

    def describe_guidance(self, modalities: Iterable[str]) -> str:
        """How each modality's guidance is coded with this family, in words; ``modalities``:
        the guidance modalities, in the order they are declared."""
        parts = []
        for modality, value in self.guidance.items():
            how = "included" if value == "included" else f"reported apart as {value}"
            parts.append(f"{modality}: {how}")
        known = "; ".join(parts) if parts else "no modality's guidance is known"
        unknown = [m for m in modalities if m not in self.guidance]
        if parts and unknown:
            known += f"; {', '.join(unknown)}: not known (check)"
        if self.included_from:
            known += f"; from {self.included_from.year} on, all included"
        return known


@dataclass(frozen=True, kw_only=True)
class Policy:
    """A conditional check: when one of ``codes`` is reported/supported and the context holds."""

    rule: str
    codes: list[str]
    when: Literal["reported", "supported", "either"]
    if_any: list[str]
    unless_any: list[str]
    with_reported_any: list[str]
    unless_reported_any: list[str]
    profiles: list[Profile]
    detail: str
    source: Citation

    def expanded_codes(self) -> list[str]:
        """Its codes with ranges ("64490-64495") written out."""
        return expand_code_ranges(self.codes)


@dataclass(frozen=True, kw_only=True)
class UnitLimit:
    """The most units of some codes that one note may report."""

    rule: str
    codes: list[str]
    max_units: int
    profiles: list[Profile]
    source: Citation

    def expanded_codes(self) -> list[str]:
        """Its codes with ranges ("64490-64495") written out."""
        return expand_code_ranges(self.codes)


@dataclass(frozen=True, kw_only=True)
class Modifier:
    """A CPT modifier: what it means, and when it is suggested or checked."""

    meaning: str
    distinct_service: bool
    applies_to: str
    source: str
    brief_says: str | None
    evidence: list[str]
    unless_any: list[str]
    also_requires: list[str]
    conflicts_with: list[str]
    split_only: bool
    side: Literal["right", "left", "bilateral"] | None


@dataclass(frozen=True, kw_only=True)
class CodePair:
    """An NCCI procedure-to-procedure edit."""

    column1: str
    column2: str
    modifier_indicator: Literal["0", "1", "9"]
    authority: str
    url: str
    passage: str
    as_of: str


@dataclass(frozen=True, kw_only=True)
class Trigger:
    """Phrases that give mentions near them an assertion context (negated, historical...)."""

    phrases: list[str]
    patterns: list[str]
    assertion: Literal["negated", "hypothetical", "historical", "other", "pseudo", "terminate"]
    direction: Literal["forward", "backward", "both"]
    window: int


_RANGE_END = regex.compile(r"^([A-Z]?)(\d+)([A-Z]?)$")


def expand_code_ranges(codes: list[str]) -> list[str]:
    """Codes with ranges written out: "64490-64492" and "0228T-0231T" keep their width and
    letters."""
    out: list[str] = []
    for item in codes:
        if "-" not in item:
            out.append(item)
            continue
        low, high = (_RANGE_END.match(end) for end in item.split("-", 1))
        if (
            not low
            or not high
            or (low[1], low[3], len(low[2])) != (high[1], high[3], len(high[2]))
            or int(low[2]) > int(high[2])
        ):
            raise ValueError(f"invalid code range {item!r}")
        width = len(low[2])
        out.extend(f"{low[1]}{n:0{width}d}{low[3]}" for n in range(int(low[2]), int(high[2]) + 1))
    return out
