"""Typed schema of the knowledge base: every rule file under ``rules/`` validates against these.

This is the validation layer, used only when rule files are read (a cache miss, ``--no-cache``,
``notelint rules``): each entry that validates is turned by :func:`record` into the plain record
of :mod:`notelint.kb.models` of the same name, which is what the knowledge base, its cache and
the analysis hold. So the models here carry the constraints and their error messages, and the
records the behaviour; tests/test_kb_records.py keeps the two field for field alike.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import regex
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from notelint.kb import models
from notelint.kb.models import (
    ALL_PROFILES,
    CODE_PATTERN,
    RULE_ID_PATTERN,
    Assertion,
    Category,
    Profile,
    SeverityName,
)
from notelint.kb.safe_regex import backtracking_risk

__all__ = ["MODELS", "ValidationError", "record", "validate"]

_PRESENT: tuple[Assertion, ...] = ("present",)


class Strict(BaseModel):
    # defer_build: each validator is built when the first entry of its kind is read
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class SourceDocument(Strict):
    file: str
    title: str
    kind: Literal["brief", "guideline", "cms", "cpt"]
    # The profile of the payer whose guideline this is: what it alone says applies only there.
    payer: Profile | None = None


class Citation(Strict):
    document: str
    line: int = Field(ge=1)
    passage: str = Field(min_length=1)  # verbatim (tests/test_citations.py)
    # Set where notelint applies the passage beyond what it states (to another modality,
    # say): the project's own policy, shown as such wherever the citation is.
    own_policy: str | None = None
    # Set where a payer's guideline repeats what the coding rules themselves say (a CPT
    # descriptor or guideline, the NCCI manual): that authority, as checked, so that the
    # default profile may apply the requirement. Names the authority and where it was read.
    restates: str | None = None


class Namespace(Strict):
    """A rule namespace: the letters before a rule's number (NL for the built-in rules)."""

    description: str = Field(min_length=1)


class ModalitySpec(Strict):
    """An imaging modality a code can have."""

    description: str = Field(min_length=1)
    # Image guidance of a procedure: families say how its guidance is coded, and the note's
    # guidance is recognised by the concept ``guidance.<modality>``, which must exist. False
    # for a modality that is part of a code that is itself the procedure (focused ultrasound).
    guidance: bool = True
    # How a message names guidance of this modality ("fluoroscopic"); default: its id.
    adjective: str | None = None


class CodeKind(Strict):
    """A kind of code in the code table."""

    description: str = Field(min_length=1)
    # A code of this kind is itself the primary procedure (0686T): no family decides whether
    # its guidance is included or reported apart.
    primary: bool = False


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
    # What produces its findings: a kind of DATA_CHECKS or "module:<name>" (CHECK_MODULES).
    # Required; checked, with the rest, when the rules load (a missing one is reported there).
    check: str | None = None


class RuleCase(Strict):
    """A note kept in a rule folder with what one rule must do on it (``notelint rules test``):
    the fixtures' case format, naming its rule since a rule file is not a rule's folder."""

    rule: str = Field(pattern=RULE_ID_PATTERN)
    expect: Literal["fires", "silent"]
    note: str | None = None  # the note's text, written in place...
    file: str | None = None  # ...or a file holding it, relative to the rule file
    profile: Profile | None = None  # default: each profile the rule applies in
    code: str | None = Field(default=None, pattern=CODE_PATTERN)  # only findings about it count
    line: int | None = Field(default=None, ge=1)  # fires: a finding on this line of the note
    variant: str = "basic"  # a label (negated, placeholder...), as in the fixtures

    @model_validator(mode="after")
    def _one_note(self) -> RuleCase:
        if (self.note is None) == (self.file is None):
            raise ValueError("a case needs either note (the text) or file (a note file)")
        if self.line is not None and self.expect != "fires":
            raise ValueError("line is the line a finding is expected on: only with expect = fires")
        return self


def _check_pattern(pattern: str) -> str:
    try:
        regex.compile(pattern, regex.IGNORECASE)
    except regex.error as exc:
        raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from None
    if reason := backtracking_risk(pattern):
        raise ValueError(
            f"regular expression {pattern!r} can take exponential time on some notes ({reason});"
            " make the repeated part match each text one way, or use an atomic group (?>...)"
        )
    return pattern


Pattern = Annotated[str, AfterValidator(_check_pattern)]


class Combination(Strict):
    """Evidence made of parts that must all be said in one sentence (an imaging word, the
    needle and what was seen; a reason marker and a difficulty), in any order unless
    ``ordered``, at most ``gap`` characters apart."""

    parts: list[list[Pattern]] = Field(min_length=2, max_length=3)
    gap: int = Field(default=60, ge=0, le=200)
    ordered: bool = False


class Concept(Strict):
    description: str
    patterns: list[Pattern] = Field(default_factory=list)
    combine: list[Combination] = Field(default_factory=list)
    # A mention does not count in a sentence that also says one of these ("see the separate
    # report" is no interpretation, however long).
    unless_sentence: list[Pattern] = Field(default_factory=list)
    # Section kinds where a mention counts; empty means every section not excluded.
    sections: list[str] = Field(default_factory=list)
    exclude_sections: list[str] = Field(default_factory=list)
    # Which assertion contexts make a mention count as evidence.
    counts_when: list[Assertion] = Field(default_factory=lambda: list(_PRESENT))
    case_sensitive: bool = False
    # A word list other steps build on (paired anatomy for laterality), not matched as evidence.
    vocabulary: bool = False

    @model_validator(mode="after")
    def _has_patterns(self) -> Concept:
        if not self.patterns and not self.combine:
            raise ValueError("a concept needs patterns or combine")
        return self


class ElementSpec(Strict):
    rule: str = Field(pattern=RULE_ID_PATTERN)
    label: str
    evidence: list[str] = Field(min_length=1)
    template: str
    # Section kinds where an author writes this item, preferred first: its template is inserted
    # at the end of the first of them the note has (else where the guidance is documented).
    sections: list[str] = Field(default_factory=list)


class Support(Strict):
    # Each inner list is "any of"; every inner list must be satisfied.
    all: list[list[str]] = Field(min_length=1)
    none: list[str] = Field(default_factory=list)


class Requirement(Strict):
    element: str  # an [element] id, checked when the rules load
    source: Citation
    profiles: list[Profile] = Field(default_factory=lambda: list(ALL_PROFILES))
    # Overrides of the element's defaults, for a requirement stricter than the element's usual sense.
    rule: str | None = Field(default=None, pattern=RULE_ID_PATTERN)
    label: str | None = None
    evidence: list[str] | None = None
    template: str | None = None


class CodeRequirement(Requirement):
    """A requirement that a rule folder adds to a code of the code table (``[[requirement]]``):
    an organisation asks for more documentation of a built-in code without redefining it."""

    code: str = Field(pattern=CODE_PATTERN)


class Code(Strict):
    description: str
    kind: str  # a [code_kind] id, checked when the rules load
    modality: str  # a [modality] id, checked when the rules load
    supported_by: Support
    # What makes a reported code count as documented when that is less than what suggests it
    # (76000 is checked for presence and time once fluoroscopy is documented).
    reported_by: Support | None = None
    # Needle, vascular and ablation guidance is supported only where a recognised procedure
    # family names this code for its modality (default-deny).
    needs_family: bool = False
    suggest: bool = True
    professional_component: bool = True
    modifiers: list[str] = Field(default_factory=list)
    requires: list[Requirement] = Field(default_factory=list)
    source: Citation


class FamilyCitation(Strict):
    """A public authority for a family's guidance fact (CMS, NCCI, a MAC, a CPT note as quoted)."""

    authority: str = Field(min_length=1)
    url: str = ""
    passage: str = Field(min_length=1)


class IncludedFrom(Strict):
    """A revision of the code set from whose year on the family's codes include all its
    guidance (prostate biopsy, 2026): notes dated that year or later, or reporting one of the
    revision's ``codes``, have it included; earlier and undated notes are coded as
    ``guidance`` says."""

    year: int = Field(ge=1990, le=2100)  # the code set's year, in force from 1 January
    codes: list[str] = Field(default_factory=list)  # the revision's new codes
    citation: FamilyCitation


class Family(Strict):
    """A family of primary procedures, recognised by what was done, to what, and how.

    ``guidance`` maps a modality to ``"included"`` (the primary code carries the imaging) or to
    the guidance code reported apart from it. A modality the family does not name is unknown:
    the note is flagged for a coder to check and nothing is suggested.
    """

    name: str = Field(min_length=1)  # plain-language and short, for messages
    summary: str = ""  # what the family is and how its guidance is coded, for explain
    codes: list[str] = Field(default_factory=list)
    actions: list[str] = Field(min_length=1)  # concepts: any one, in the same episode
    targets: list[str] = Field(default_factory=list)  # concepts: any one; empty means any
    unless: list[str] = Field(default_factory=list)  # concepts that rule the family out there
    unless_in_note: list[str] = Field(default_factory=list)  # ... anywhere in the note
    requires_in_note: list[str] = Field(default_factory=list)  # all needed somewhere in the note
    # Recognised only when no other family with one of its actions is: a procedure whose
    # target the note does not name.
    fallback: bool = False
    # Keys: guidance modalities ([modality] tables with guidance), checked when the rules load.
    guidance: dict[str, str] = Field(default_factory=dict)
    # A separate guidance code also needs one of these concepts; otherwise the guidance is
    # part of another imaging service (conventional arthrography) and counts as included.
    separate_only_with: list[str] = Field(default_factory=list)
    # Primary code by the guidance documented ("none" when no imaging is documented); keys
    # are checked as guidance's are.
    primary: dict[str, str] = Field(default_factory=dict)
    # Modalities whose primary code needs permanently recorded images; without them the
    # "none" primary applies.
    primary_needs_images: list[str] = Field(default_factory=list)
    # Open surgery: intra-operative imaging is part of the surgical package, whatever else
    # the note recognises, except for families that allow an open approach.
    surgical: bool = False
    open_approach: bool = False
    # Families whose procedure this one's code includes when both are done (a vertebroplasty
    # includes the bone biopsy of its level): their episodes take no guidance code apart.
    absorbs: list[str] = Field(default_factory=list)
    included_from: IncludedFrom | None = None
    citation: FamilyCitation
    verified: bool
    verified_note: str = ""
    units_note: str | None = None


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
    # 59 and its specific forms (XE, XP, XS, XU): suggested only on a code pair the
    # knowledge base lists (rules/pairs.toml), never from evidence alone.
    distinct_service: bool = False
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
    # The side of the body it says the procedure was done on (RT, LT, 50): checked against the
    # sides the note documents, and never suggested as a modifier of its own.
    side: Literal["right", "left", "bilateral"] | None = None


class CodePair(Strict):
    """An NCCI procedure-to-procedure edit: column 2 is not paid with column 1 on the same
    day unless the modifier indicator allows a distinct-service modifier and one applies."""

    column1: str = Field(pattern=CODE_PATTERN)
    column2: str = Field(pattern=CODE_PATTERN)
    modifier_indicator: Literal["0", "1", "9"]
    authority: str = Field(min_length=1)
    url: str = Field(min_length=1)
    passage: str = Field(min_length=1)  # quoted as read, from the authority named
    as_of: str = Field(min_length=1)  # edits change quarterly: when the authority said so


class Trigger(Strict):
    phrases: list[str] = Field(default_factory=list)
    # Regular expressions, for what no list of phrases can say ("on 10/27/2026").
    patterns: list[str] = Field(default_factory=list)
    assertion: Literal["negated", "hypothetical", "historical", "other", "pseudo", "terminate"]
    direction: Literal["forward", "backward", "both"] = "forward"
    window: int = Field(default=4, ge=0, le=20)

    @model_validator(mode="after")
    def _says_something(self) -> Trigger:
        if not self.phrases and not self.patterns:
            raise ValueError("a trigger needs phrases or patterns")
        for pattern in self.patterns:
            try:
                regex.compile(pattern)
            except regex.error as exc:
                raise ValueError(f"pattern {pattern!r} does not compile: {exc}") from None
        return self


# The model of each top-level table of a rule file.
MODELS: dict[str, type[Strict]] = {
    "source": SourceDocument,
    "rule": Rule,
    "concept": Concept,
    "element": ElementSpec,
    "code": Code,
    "modifier": Modifier,
    "family": Family,
    "namespace": Namespace,
    "modality": ModalitySpec,
    "code_kind": CodeKind,
    "policy": Policy,
    "unit_limit": UnitLimit,
    "code_pair": CodePair,
    "trigger": Trigger,
    "case": RuleCase,
    "requirement": CodeRequirement,
}


def validate(table: str, body: Any) -> Any:
    """An entry of ``[table]`` validated, as its record; raises :class:`ValidationError`."""
    return record(MODELS[table].model_validate(body))


def record(model: BaseModel) -> Any:
    """The validated entry as the record of the same name in :mod:`notelint.kb.models`."""
    kind = getattr(models, type(model).__name__)
    return kind(**{name: _plain(getattr(model, name)) for name in type(model).model_fields})


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return record(value)
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value
