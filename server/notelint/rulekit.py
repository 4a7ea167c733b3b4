"""The rule-authoring kit behind ``notelint rules test``: the cases kept in rule files, run.

A rule folder keeps its own tests, as Vale's and Weir's rule kits do:

- each rule's ``example_fires`` must produce a finding of that rule, and ``example_passes``
  must not, in every profile the rule applies in (the examples ``notelint explain`` prints);
- each ``[[case]]`` table (:class:`~notelint.kb.models.RuleCase`: the fixtures' case format,
  naming its rule) is a note, written in place or in a file beside the rule file, on which
  its rule must fire (on ``line``, if given; about ``code``, if given) or stay silent.

The examples of input rules (NL9xx: bytes that are not UTF-8, an oversized or binary file) are
descriptions of files, not notes: they are counted as skipped. A case's note file is read as
``notelint check`` reads a file, so a case can show an input rule firing.

Patterns are looked at too: a concept pattern the prefix index cannot read is tried at every
position of every note, and :func:`pattern_advice` says what makes it so and how to change it.
(A pattern that can take exponential time is refused when the rules load, with its own advice.)

Nothing here prints: the command line presents the results. Case files are the only files read.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from notelint.core.analysis import analyze_input
from notelint.core.prefix import Unindexed, why_unindexed
from notelint.core.settings import Settings
from notelint.inputs.files import NoteInput, read_note
from notelint.kb import KnowledgeBase, builtin_rules_dir
from notelint.kb.models import Rule, RuleCase


@dataclass(frozen=True)
class CaseResult:
    """One case: where it is written, what it expected, and what happened."""

    file: str
    line: int
    rule: str
    label: str  # "example_fires", "example_passes" or "case"
    expect: str  # "fires" or "silent"
    problem: str | None = None  # why it failed; None when it passed
    profile: str | None = None  # the profile it failed in
    # The rule ids the note produced there, sorted; None when it was not analysed.
    produced: tuple[str, ...] | None = None

    @property
    def passed(self) -> bool:
        return self.problem is None


@dataclass(frozen=True)
class PatternAdvice:
    """A concept pattern scanned in full, with what makes it so and how to change that."""

    file: str
    line: int
    concept: str
    where: str  # "patterns[2]", "combine[0]"
    pattern: str
    reason: str
    fix: str


@dataclass(frozen=True)
class KitResults:
    cases: list[CaseResult] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # input rules whose examples are not run
    advice: list[PatternAdvice] = field(default_factory=list)

    @property
    def failed(self) -> list[CaseResult]:
        return [case for case in self.cases if not case.passed]


def run_rule_tests(kb: KnowledgeBase, folders: Sequence[Path | str] = ()) -> KitResults:
    """Run the cases of the rules and ``[[case]]`` tables defined in ``folders`` (the built-in
    rule folder when none is named), and advise on their concepts' patterns."""
    roots = [Path(f).resolve() for f in folders] or [builtin_rules_dir().resolve()]
    results = KitResults()
    for rid, rule in kb.rules.items():
        if not _inside(kb.origins.get(("rule", rid)), roots):
            continue
        if rule.category == "input":
            results.skipped.append(rid)
            continue
        for label in ("example_fires", "example_passes"):
            file, line = kb.origins.get((f"rule.{label}", rid)) or kb.origins[("rule", rid)]
            text = rule.example_fires if label == "example_fires" else rule.example_passes
            expect: Literal["fires", "silent"] = "fires" if label == "example_fires" else "silent"
            case = RuleCase(
                rule=rid,
                expect=expect,
                note=text,
                file=None,
                profile=None,
                code=None,
                line=None,
                variant="basic",
            )
            results.cases.append(_run(kb, rule, case, file, line, label, NoteInput(rid, text)))
    for index, case in enumerate(kb.cases):
        origin = kb.origins.get(("case", str(index)))
        if origin is None or not _inside(origin, roots):
            continue
        file, line = origin
        note = _note_of(case, Path(file).parent)
        if note.error is not None:
            problem = f"case file {case.file}: {note.error}"
            results.cases.append(CaseResult(file, line, case.rule, "case", case.expect, problem))
            continue
        results.cases.append(_run(kb, kb.rules[case.rule], case, file, line, "case", note))
    results.advice.extend(pattern_advice(kb, roots))
    return results


def _inside(origin: tuple[str, int] | None, roots: Iterable[Path]) -> bool:
    if origin is None:
        return False
    path = Path(origin[0]).resolve()
    return any(path.is_relative_to(root) for root in roots)


def _note_of(case: RuleCase, folder: Path) -> NoteInput:
    """The case's note; a file is read as ``notelint check`` reads it (so a case can show an
    input rule firing on bytes that are not UTF-8, say)."""
    if case.file is None:
        return NoteInput("<case>", case.note or "")
    return read_note(str(folder / case.file))


def _run(
    kb: KnowledgeBase, rule: Rule, case: RuleCase, file: str, line: int, label: str, note: NoteInput
) -> CaseResult:
    """The case in each profile it names (else each its rule applies in); the first failure."""
    for profile in [case.profile] if case.profile else list(rule.profiles):
        report = analyze_input(note.text, note.issues, kb, Settings(profile=profile))
        index = report.line_index()
        produced = tuple(sorted({f.rule for f in report.findings}))
        hits = [
            index.position(f.span.start).line + 1
            for f in report.findings
            if f.rule == case.rule and (case.code is None or f.code == case.code)
        ]
        about = f" about {case.code}" if case.code else ""
        problem = None
        if case.expect == "fires" and not hits:
            problem = f"expected {case.rule} to fire{about}; it did not"
        elif case.expect == "fires" and case.line is not None and case.line not in hits:
            lines = ", ".join(str(n) for n in sorted(set(hits)))
            problem = f"expected {case.rule} on line {case.line}{about}; it fired on line {lines}"
        elif case.expect == "silent" and hits:
            problem = f"expected {case.rule} to stay silent{about}; it fired"
        if problem is not None:
            return CaseResult(file, line, case.rule, label, case.expect, problem, profile, produced)
    return CaseResult(file, line, case.rule, label, case.expect)


# --- pattern advice ------------------------------------------------------------------------------

_LITERAL_START = (
    r"begin it with literal text it always contains, or \b followed by literal text"
    r" (\bguid\w* rather than \w*guid)"
)
_REASONS = {
    "class": "a match can start with the character class {what}",
    "any": "a match can start with . (any character)",
    "empty": "it can match without reading any text (every item is optional)",
    "non_ascii": "its literal start {what!r} is not ASCII",
    "syntax": "it uses syntax only the regex package reads (a POSIX class such as [[:alpha:]],"
    " or fuzzy matching such as {{e<=1}})",
    "flags": "it sets an inline flag the index does not read (such as (?x) or (?a))",
    "other": "no literal text could be found that every match starts with",
}
_FIXES = {
    "class": _LITERAL_START + "; a class of up to 4 plain characters, such as [sz], is fine",
    "any": _LITERAL_START,
    "empty": "make its first item required: a pattern that can match no text matches everywhere",
    "non_ascii": "begin it with ASCII text (the index looks words up in ASCII), or add an"
    " alternative spelt in ASCII and move the accented word after it",
    "syntax": "write a plain class ([a-z]) or list the spellings as alternatives",
    "flags": "remove the flag (case is ignored already unless the concept is case_sensitive)",
    "other": _LITERAL_START,
}
_OPTIONAL = (
    "its first item is optional, and without it {reason}",
    "make the first item required, or ",
)


def pattern_advice(kb: KnowledgeBase, roots: Sequence[Path]) -> list[PatternAdvice]:
    """Advice on each pattern of a concept defined under ``roots`` that the prefix index
    cannot read, so that every note is searched for it from every position."""
    out = []
    for cid, concept in kb.concepts.items():
        origin = kb.origins.get(("concept", cid))
        if concept.vocabulary or origin is None or not _inside(origin, roots):
            continue
        pieces: list[tuple[str, str, str]] = []  # (field, where, pattern)
        for n, pattern in enumerate(concept.patterns):
            pieces.append(("patterns", f"patterns[{n}]", pattern))
        for n, combination in enumerate(concept.combine):
            starts = combination.parts[:1] if combination.ordered else combination.parts
            firsts = [p for part in starts for p in part if why_unindexed(p)]
            if firsts:
                pieces.extend(("combine", f"combine[{n}]", p) for p in firsts)
            elif why_unindexed(combination.pattern()):
                pieces.append(("combine", f"combine[{n}]", combination.pattern()))
        for key, where, pattern in pieces:
            why = why_unindexed(pattern)
            if why is None:
                continue
            file, line = kb.origins.get((f"concept.{key}", cid)) or origin
            reason, fix = _explain(why)
            out.append(PatternAdvice(file, line, cid, where, pattern, reason, fix))
    return out


def _explain(why: Unindexed) -> tuple[str, str]:
    reason = _REASONS[why.kind].format(what=why.what)
    fix = _FIXES[why.kind]
    if why.after_optional and why.kind != "empty":
        return _OPTIONAL[0].format(reason=reason), _OPTIONAL[1] + fix
    return reason, fix
