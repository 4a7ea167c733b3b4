"""What the analysis produces: findings, fixes, code suggestions. Plain data, no I/O."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum
from typing import NamedTuple

from notelint.core.positions import LineIndex


class Severity(IntEnum):
    HINT = 1
    INFORMATION = 2
    WARNING = 3
    ERROR = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, value: str) -> Severity:
        try:
            return cls[value.strip().upper()]
        except KeyError:
            names = ", ".join(s.label for s in cls)
            raise ValueError(f"unknown severity {value!r} (expected one of: {names})") from None


class Span(NamedTuple):
    """Offsets into a note's text. A named tuple, not a dataclass: a long note makes tens of
    thousands, and a tuple is made in half the time."""

    start: int
    end: int


class AnalysisError(Exception):
    """The core failed while deciding: what it was deciding (rule id, code, span), said
    explicitly for a log. The original exception is the cause; its message can quote the
    note, so only its type is ever shown (see safety.describe_failure)."""

    def __init__(self, rule: str | None, code: str | None, span: Span | None) -> None:
        super().__init__(rule, code, span)  # no text of the note, so safe to print
        self.rule = rule
        self.code = code
        self.span = span


# Why an input (a file, a batch item, an editor buffer) is flagged before analysis: an input
# rule id (NL901–NL904) and its message values. Readers make them; the core turns them into
# findings (analysis.analyze_input).
InputIssue = tuple[str, dict[str, str]]

# ``span_of((start, end))`` is ``Span(start, end)`` without the named tuple's ``__new__``, a
# Python function: twice as quick, for the loops that make a span per line or sentence.
span_of: Callable[[tuple[int, int]], Span] = functools.partial(tuple.__new__, Span)


@dataclass(frozen=True, slots=True)
class TextEdit:
    span: Span
    new_text: str


@dataclass(frozen=True, slots=True)
class Fix:
    title: str
    kind: str  # "template" (inserts a placeholder to fill), "code" or "modifier"
    edits: tuple[TextEdit, ...]

    @property
    def asserts_nothing(self) -> bool:
        """Safe to apply unattended: code and modifier edits, never documentation templates."""
        return self.kind in {"code", "modifier"}


@dataclass(frozen=True, slots=True)
class SourceRef:
    document: str
    line: int


@dataclass(frozen=True, slots=True)
class Related:
    span: Span
    message: str


@dataclass(slots=True)
class Finding:
    rule: str
    name: str
    category: str
    severity: Severity
    message: str
    span: Span
    source: SourceRef
    code: str | None = None
    element: str | None = None
    fixes: tuple[Fix, ...] = ()
    related: tuple[Related, ...] = ()


@dataclass(frozen=True, slots=True)
class CodeMention:
    code: str
    modifiers: tuple[str, ...]
    units: int
    span: Span
    modifier_spans: tuple[Span, ...] = ()


@dataclass(frozen=True, slots=True)
class Suggestion:
    code: str
    modifiers: tuple[str, ...]
    reason: str


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    element: str
    label: str
    satisfied: bool
    evidence: Span | None
    rule: str  # the rule a missing item is reported under


@dataclass(frozen=True, slots=True)
class Unresolved:
    """Guidance of ``modality`` is documented, but no recognised primary procedure says
    whether its code includes it: a coder must check (nothing is suggested)."""

    modality: str
    families: tuple[str, ...]  # the families recognised, none of which names the modality


@dataclass(slots=True)
class Report:
    """The result of analysing one note."""

    text: str
    findings: list[Finding] = field(default_factory=list)
    reported: list[CodeMention] = field(default_factory=list)
    suggested: list[Suggestion] = field(default_factory=list)
    unresolved: list[Unresolved] = field(default_factory=list)
    checklists: dict[str, list[ChecklistItem]] = field(default_factory=dict)
    sections: list[tuple[str, str, Span]] = field(default_factory=list)  # (kind, heading, span)
    # Modifiers the note supports on a reported code, written or not (NL701 names the unwritten).
    supported_modifiers: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def modifiers_supported(self, code: str) -> set[str]:
        """What the note supports on ``code``: with a suggested code, or on a reported one."""
        listed = {m for s in self.suggested if s.code == code for m in s.modifiers}
        return listed | set(self.supported_modifiers.get(code, ()))

    def line_index(self, encoding: str = "utf-16") -> LineIndex:
        assert encoding in ("utf-16", "utf-8", "utf-32")
        return LineIndex(self.text, encoding)  # type: ignore[arg-type]
