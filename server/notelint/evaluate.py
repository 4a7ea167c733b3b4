"""Score analysis results against hand labels (the corpus ``labels.json`` format). Pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from notelint.findings import Report

GUIDANCE_CODES = frozenset({"76942", "77002", "77012", "76940", "77013", "0686T", "76000", "76496"})
# Label vocabulary differs from ours in one name.
_ELEMENT_ALIASES = {"fluoroscopy_time": "physician_time"}
_LABELLED_ELEMENTS = frozenset(
    {
        "interpretation",
        "permanent_images",
        "localization",
        "necessity",
        "physician_presence",
        "physician_time",
        "ablation_monitoring",
        "post_procedure_imaging",
    }
)


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def add(self, predicted: set[Any], gold: set[Any]) -> None:
        self.tp += len(predicted & gold)
        self.fp += len(predicted - gold)
        self.fn += len(gold - predicted)


@dataclass
class Disagreement:
    file: str
    kind: str  # "code" or "documentation"
    item: str
    predicted: bool  # True: notelint said so and the label did not (false positive)


@dataclass
class Evaluation:
    codes: Score = field(default_factory=Score)
    documentation: Score = field(default_factory=Score)
    per_element: dict[str, Score] = field(default_factory=dict)
    per_code: dict[str, Score] = field(default_factory=dict)
    disagreements: list[Disagreement] = field(default_factory=list)


def predicted_codes(report: Report) -> set[str]:
    return {s.code for s in report.suggested if s.code in GUIDANCE_CODES}


def predicted_missing(report: Report, codes: Iterable[str]) -> set[tuple[str, str]]:
    wanted = set(codes)
    return {
        (f.code, f.element)
        for f in report.findings
        if f.category == "documentation" and f.code in wanted and f.element in _LABELLED_ELEMENTS
    }


def gold_missing(label: Mapping[str, Any]) -> set[tuple[str, str]]:
    return {
        (code, _ELEMENT_ALIASES.get(element, element))
        for code, elements in label.get("missing", {}).items()
        for element in elements
    }


def evaluate(pairs: Iterable[tuple[Mapping[str, Any], Report]]) -> Evaluation:
    """Compare each (label, report) pair: suggested guidance codes, and missing documentation."""
    result = Evaluation()
    for label, report in pairs:
        name = str(label.get("file", label.get("id", "?")))
        codes, gold_codes = predicted_codes(report), set(label.get("supported_codes", []))
        result.codes.add(codes, gold_codes)
        for code in codes | gold_codes:
            result.per_code.setdefault(code, Score()).add(codes & {code}, gold_codes & {code})
        for code in codes ^ gold_codes:
            result.disagreements.append(Disagreement(name, "code", code, code in codes))
        # Documentation is scored on the codes both sides agree the note supports.
        agreed = codes & gold_codes
        missing = predicted_missing(report, agreed)
        gold = {pair for pair in gold_missing(label) if pair[0] in agreed}
        result.documentation.add(missing, gold)
        for element in {e for _, e in missing | gold}:
            result.per_element.setdefault(element, Score()).add(
                {p for p in missing if p[1] == element}, {g for g in gold if g[1] == element}
            )
        for code, element in missing ^ gold:
            result.disagreements.append(
                Disagreement(name, "documentation", f"{code} {element}", (code, element) in missing)
            )
    return result
