"""Score analysis results against hand labels (the corpus ``labels.json`` format). Pure."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from notelint.core.analysis import analyze
from notelint.core.engine import Engine
from notelint.core.findings import Report
from notelint.core.settings import Settings
from notelint.inputs.files import decode
from notelint.kb import KnowledgeBase

# Label vocabulary differs from ours in one name.
_ELEMENT_ALIASES = {"fluoroscopy_time": "physician_time"}
# The elements the corpus labels use: the built-in ones less the two only the ASH profile or
# 76496 asks for. An element an organisation adds is not in the labels' vocabulary.
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


def guidance_codes(kb: KnowledgeBase) -> frozenset[str]:
    """The guidance codes every corpus is scored on: those of the code table whose
    documentation is checked (a code with requirements). A corpus whose labels name further
    codes (77003, 76937, ...) is scored on those too; one that never names them is not, since
    its labellers did not judge them (the development corpus labels 77003 only as context)."""
    return frozenset(code_id for code_id, code in kb.codes.items() if code.requires)


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
    line: int | None = None  # 1-based, where notelint reported it
    character: int | None = None


@dataclass
class Evaluation:
    codes: Score = field(default_factory=Score)
    documentation: Score = field(default_factory=Score)
    per_element: dict[str, Score] = field(default_factory=dict)
    per_code: dict[str, Score] = field(default_factory=dict)
    disagreements: list[Disagreement] = field(default_factory=list)
    notes: int = 0

    def as_json(self) -> dict[str, Any]:
        def score(s: Score) -> dict[str, float | int]:
            return {
                "precision": round(s.precision, 4),
                "recall": round(s.recall, 4),
                "f1": round(s.f1, 4),
                "tp": s.tp,
                "fp": s.fp,
                "fn": s.fn,
            }

        return {
            "notes": self.notes,
            "suggested_codes": score(self.codes),
            "missing_documentation": score(self.documentation),
            "per_code": {k: score(v) for k, v in sorted(self.per_code.items())},
            "per_element": {k: score(v) for k, v in sorted(self.per_element.items())},
            "disagreements": [vars(d) for d in self.disagreements],
        }


def predicted_codes(report: Report, scored: frozenset[str]) -> set[str]:
    return {s.code for s in report.suggested if s.code in scored}


def scored_codes(labels: Iterable[Mapping[str, Any]], kb: KnowledgeBase) -> frozenset[str]:
    """The codes a corpus is scored on: the usual guidance codes and any its labels name."""
    named = {code for label in labels for code in label.get("supported_codes", [])}
    return guidance_codes(kb) | named


def predicted_missing(report: Report, codes: Iterable[str]) -> set[tuple[str, str]]:
    wanted = set(codes)
    return {
        (f.code, f.element)
        for f in report.findings
        if f.category == "documentation"
        and f.code in wanted
        and f.element
        and f.element in _LABELLED_ELEMENTS
    }


def gold_missing(label: Mapping[str, Any]) -> set[tuple[str, str]]:
    return {
        (code, _ELEMENT_ALIASES.get(element, element))
        for code, elements in label.get("missing", {}).items()
        for element in elements
    }


def evaluate(pairs: Iterable[tuple[Mapping[str, Any], Report]], kb: KnowledgeBase) -> Evaluation:
    """Compare each (label, report) pair: suggested guidance codes, and missing documentation."""
    result = Evaluation()
    pairs = list(pairs)
    scored = scored_codes((label for label, _ in pairs), kb)
    for label, report in pairs:
        result.notes += 1
        name = str(label.get("file", label.get("id", "?")))
        codes, gold_codes = predicted_codes(report, scored), set(label.get("supported_codes", []))
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
        for code, element in sorted(missing ^ gold):
            line, character = _position(report, code, element)
            result.disagreements.append(
                Disagreement(
                    name,
                    "documentation",
                    f"{code} {element}",
                    (code, element) in missing,
                    line,
                    character,
                )
            )
    return result


def _position(report: Report, code: str, element: str) -> tuple[int | None, int | None]:
    for finding in report.findings:
        if (finding.code, finding.element) == (code, element):
            pos = report.line_index("utf-32").position(finding.span.start)
            return pos.line + 1, pos.character + 1
    return None, None


def evaluate_corpus(
    folder: Path, kb: KnowledgeBase, settings: Settings
) -> tuple[Evaluation, list[Report]]:
    """Read ``folder/labels.json`` and the notes it names, analyse them, and score."""
    labels = json.loads((folder / "labels.json").read_text(encoding="utf-8"))
    if not isinstance(labels, list):
        raise ValueError("labels.json must be a list of note labels")
    engine = Engine(kb)
    reports = [
        analyze(decode((folder / label["file"]).read_bytes())[0], kb, settings, engine)
        for label in labels
    ]
    return evaluate(zip(labels, reports, strict=True), kb), reports


def render_text(result: Evaluation) -> str:
    def row(name: str, s: Score) -> str:
        return (
            f"{name:<28}{s.precision:>10.3f}{s.recall:>8.3f}{s.f1:>8.3f}{s.tp:>6}{s.fp:>5}{s.fn:>5}"
        )

    header = f"{'':<28}{'precision':>10}{'recall':>8}{'F1':>8}{'TP':>6}{'FP':>5}{'FN':>5}"
    lines = [
        f"{result.notes} notes",
        header,
        row("suggested codes", result.codes),
        row("missing documentation", result.documentation),
        "",
    ]
    lines += [header.replace(" " * 28, f"{'per code':<28}", 1)] + [
        row(k, v) for k, v in sorted(result.per_code.items())
    ]
    lines += ["", header.replace(" " * 28, f"{'per element':<28}", 1)] + [
        row(k, v) for k, v in sorted(result.per_element.items())
    ]
    lines += ["", f"{len(result.disagreements)} disagreement(s)"]
    for d in result.disagreements:
        where = f":{d.line}:{d.character}" if d.line else ""
        side = "notelint only" if d.predicted else "label only"
        lines.append(f"  {d.file}{where}: {d.kind} {d.item} ({side})")
    return "\n".join(lines)
