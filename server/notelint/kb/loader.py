"""Load and validate the knowledge base from TOML files, reporting errors by file and line."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import regex

from notelint.kb import cache as kb_cache
from notelint.kb.models import (
    BUILTIN_NAMESPACE,
    CHECK_MODULES,
    DATA_CHECKS,
    MODULE_PREFIX,
    NAMESPACE_PATTERN,
    RULE_ID_PATTERN,
    VOCABULARY_ID_PATTERN,
    Code,
    CodeKind,
    CodePair,
    CodeRequirement,
    Concept,
    ElementSpec,
    Family,
    ModalitySpec,
    Modifier,
    Namespace,
    Policy,
    Rule,
    RuleCase,
    SourceDocument,
    Trigger,
    UnitLimit,
    expand_code_ranges,
)
from notelint.kb.tomlpos import Path as KeyPath
from notelint.kb.tomlpos import key_lines, line_of

if TYPE_CHECKING:
    from pydantic import ValidationError

    from notelint.core.compiled_rules import CompiledRules

_TOML_LINE = r"\(at line (\d+), column (\d+)\)"  # compiled only for a bad file


class RuleFileError(Exception):
    """One problem in one rule file, located by line."""

    def __init__(self, file: str, line: int, message: str) -> None:
        super().__init__(f"{file}:{line}: {message}")
        self.file = file
        self.line = line
        self.message = message


class KnowledgeBaseError(Exception):
    def __init__(self, errors: list[RuleFileError]) -> None:
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors


@dataclass
class KnowledgeBase:
    sources: dict[str, SourceDocument] = field(default_factory=dict)
    rules: dict[str, Rule] = field(default_factory=dict)
    concepts: dict[str, Concept] = field(default_factory=dict)
    elements: dict[str, ElementSpec] = field(default_factory=dict)
    codes: dict[str, Code] = field(default_factory=dict)
    families: dict[str, Family] = field(default_factory=dict)
    policies: list[Policy] = field(default_factory=list)
    unit_limits: list[UnitLimit] = field(default_factory=list)
    code_pairs: list[CodePair] = field(default_factory=list)
    modifiers: dict[str, Modifier] = field(default_factory=dict)
    triggers: list[Trigger] = field(default_factory=list)
    sections: dict[str, list[str]] = field(default_factory=dict)
    # A section kind whose heading marks a copy of an earlier note -> the kind that it and the
    # sections after it read as, up to the next note title (section.<kind>.rest_reads_as).
    rest_reads_as: dict[str, str] = field(default_factory=dict)
    # A section kind -> words that make a heading no table lists read as that kind
    # ("Prior marrow (copied forward from 01/2024 note)": history) (section.<kind>.heading_words).
    heading_words: dict[str, list[str]] = field(default_factory=dict)
    # The open vocabularies (rules/registry.toml and an organisation's own), in declared order.
    namespaces: dict[str, Namespace] = field(default_factory=dict)
    modalities: dict[str, ModalitySpec] = field(default_factory=dict)
    code_kinds: dict[str, CodeKind] = field(default_factory=dict)
    # Notes kept with the rules and what a rule must do on each (``notelint rules test``).
    cases: list[RuleCase] = field(default_factory=list)
    # Requirements rule folders add to codes of the code table; merged into ``codes`` on load.
    requirements: list[CodeRequirement] = field(default_factory=list)
    # Where each item was defined, for messages about references: (kind, id) -> (file, line);
    # and where some of its fields are ("rule.example_fires", id), for ``notelint rules test``.
    origins: dict[tuple[str, str], tuple[str, int]] = field(default_factory=dict)
    # What the analysis compiles from these rules, made on first use by ``CompiledRules.of``
    # (the one place that sets it; the disk cache keeps its matcher with the rules).
    compiled: CompiledRules | None = field(default=None, repr=False, compare=False)

    def guidance_modalities(self) -> tuple[str, ...]:
        """The modalities whose guidance families code, in the order they are declared."""
        return tuple(m for m, spec in self.modalities.items() if spec.guidance)


# Top-level tables of a rule file -> the KnowledgeBase field they fill: a table of named entries,
# or a list of [[table]] entries. Each entry validates against notelint.kb.schema.MODELS[table].
_MAPPED: Mapping[str, str] = {
    "source": "sources",
    "rule": "rules",
    "concept": "concepts",
    "element": "elements",
    "code": "codes",
    "modifier": "modifiers",
    "family": "families",
    "namespace": "namespaces",
    "modality": "modalities",
    "code_kind": "code_kinds",
}
_LISTED: Mapping[str, str] = {
    "policy": "policies",
    "unit_limit": "unit_limits",
    "code_pair": "code_pairs",
    "trigger": "triggers",
    "case": "cases",
    "requirement": "requirements",
}
# Fields whose own line is recorded in ``origins`` as (f"{table}.{field}", id).
_FIELD_LINES: Mapping[str, tuple[str, ...]] = {
    "rule": ("example_fires", "example_passes", "check"),
    "concept": ("patterns", "combine"),
    "code": ("kind", "modality"),
    "family": ("guidance", "primary", "primary_needs_images"),
    "requirement": ("code", "element"),
}


@cache  # where the package lies does not change while it runs
def builtin_rules_dir() -> Path:
    packaged = Path(__file__).resolve().parent.parent / "rules"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[3] / "rules"


def load_knowledge_base(
    extra_dirs: Iterable[Path | str] = (), builtin: bool = True
) -> KnowledgeBase:
    """Load the bundled rules plus any extra rule folders; raise KnowledgeBaseError on problems."""
    dirs = [str(builtin_rules_dir())] if builtin else []
    dirs.extend(_resolved(Path(d)) for d in extra_dirs)
    unique = dict.fromkeys(dirs)  # each folder once
    return _load_cached(tuple(unique), _fingerprint(unique))


def build_knowledge_base(
    extra_dirs: Iterable[Path | str] = (), builtin: bool = True
) -> KnowledgeBase:
    """As :func:`load_knowledge_base`, but read from the rule files now, past both caches: for
    tools that report where items are defined (``notelint rules test``), since a cached
    knowledge base names its files as seen from the folder it was first built in."""
    dirs = [str(builtin_rules_dir())] if builtin else []
    dirs.extend(_resolved(Path(d)) for d in extra_dirs)
    return _build(tuple(dict.fromkeys(dirs)))


def _resolved(directory: Path) -> str:
    return str(directory.resolve()) if directory.is_dir() else str(directory)


def _fingerprint(dirs: Iterable[str]) -> tuple[tuple[str, int, int], ...]:
    """Names, sizes and modification times of the rule files, so an edited file is reloaded.

    Asked before every analysis in the language server, so it walks with os.scandir, whose
    entries carry what a listing already knows, rather than Path.rglob.
    """
    out: list[tuple[str, int, int]] = []
    for directory in dirs:
        out.extend(sorted(_toml_stats(directory)))
    return tuple(out)


def _toml_stats(directory: str) -> Iterator[tuple[str, int, int]]:
    """Every rule file below ``directory`` (the one listing of them), with size and mtime."""
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return
    for entry in entries:
        try:
            if entry.is_dir(follow_symlinks=False):
                yield from _toml_stats(entry.path)
            elif entry.name.endswith(".toml"):
                stat = entry.stat()
                yield entry.path, stat.st_size, stat.st_mtime_ns
        except OSError:
            continue


@cache
def _load_cached(
    dirs: tuple[str, ...], fingerprint: tuple[tuple[str, int, int], ...]
) -> KnowledgeBase:
    if any(not Path(directory).is_dir() for directory in dirs):
        return _build(dirs)  # the error, as ever
    files = [name for name, _size, _mtime in fingerprint]
    return kb_cache.load_or_build(dirs, files, lambda: _build(dirs))


def _build(dirs: tuple[str, ...]) -> KnowledgeBase:
    kb = KnowledgeBase()
    errors: list[RuleFileError] = []
    for directory in dirs:
        path = Path(directory)
        if not path.is_dir():
            errors.append(RuleFileError(directory, 1, "rule folder not found"))
            continue
        for file in sorted(Path(name) for name, _size, _mtime in _toml_stats(directory)):
            errors.extend(_load_file(kb, file))
    if not errors:
        errors.extend(_merge_requirements(kb))
    if not errors:
        errors.extend(check_references(kb))
        errors.extend(_check_rule_checks(kb))
        errors.extend(_check_cases(kb))
    if errors:
        raise KnowledgeBaseError(errors)
    return kb


def _merge_requirements(kb: KnowledgeBase) -> list[RuleFileError]:
    """Add each ``[[requirement]]`` to its code, after the code's own requirements; the
    reference checks then treat it as the code's, located where it is written."""
    errors: list[RuleFileError] = []
    for index, extra in enumerate(kb.requirements):
        key = str(index)
        code = kb.codes.get(extra.code)
        if code is None:
            file, line = kb.origins.get(("requirement.code", key), ("<rules>", 1))
            message = (
                f"requirement names code {extra.code!r}, which is not in the code table"
                f" (declared: {_choices(kb.codes)})"
            )
            errors.append(RuleFileError(file, line, message))
            continue
        position = len(code.requires)
        requires = [*code.requires, extra.requirement()]
        kb.codes[extra.code] = replace(code, requires=requires)
        where = kb.origins.get(("requirement.element", key)) or kb.origins[("requirement", key)]
        kb.origins[(f"code.requires.{position}.element", extra.code)] = where
    return errors


def _display(file: Path) -> str:
    try:
        return str(file.relative_to(Path.cwd()))
    except ValueError:
        return str(file)


def _load_file(kb: KnowledgeBase, file: Path) -> list[RuleFileError]:
    import tomllib  # only when rule files are read: not for a cached knowledge base

    name = _display(file)
    try:
        text = file.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except UnicodeDecodeError:
        return [RuleFileError(name, 1, "rule file is not valid UTF-8")]
    except OSError as exc:
        return [RuleFileError(name, 1, f"cannot read rule file ({exc.strerror})")]
    except tomllib.TOMLDecodeError as exc:
        found = regex.search(_TOML_LINE, str(exc))
        line = int(found.group(1)) if found else 1
        return [
            RuleFileError(
                name, line, f"invalid TOML: {regex.sub(_TOML_LINE, '', str(exc)).strip()}"
            )
        ]
    lines = key_lines(text)
    errors: list[RuleFileError] = []
    for top, value in data.items():
        if top in _MAPPED:
            errors.extend(_load_mapped(kb, top, value, name, lines))
        elif top in _LISTED:
            errors.extend(_load_listed(kb, top, value, name, lines))
        elif top == "section":
            errors.extend(_load_sections(kb, value, name, lines))
        else:
            known = ", ".join(sorted([*_MAPPED, *_LISTED, "section"]))
            errors.append(
                RuleFileError(
                    name,
                    line_of(lines, (top,)),
                    f"unknown table [{top}] (expected one of: {known})",
                )
            )
    return errors


def _validation_errors(
    exc: ValidationError, name: str, lines: dict[KeyPath, int], prefix: KeyPath
) -> list[RuleFileError]:
    out = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        where = ".".join(str(p) for p in (*prefix, *loc))
        out.append(RuleFileError(name, line_of(lines, (*prefix, *loc)), f"{where}: {err['msg']}"))
    return out


def _load_mapped(
    kb: KnowledgeBase, top: str, value: Any, name: str, lines: dict[KeyPath, int]
) -> list[RuleFileError]:
    from notelint.kb import schema  # pydantic: only when rule files are read

    attr = _MAPPED[top]
    if not isinstance(value, dict):
        return [
            RuleFileError(name, line_of(lines, (top,)), f"[{top}] must be a table of named entries")
        ]
    target: dict[str, Any] = getattr(kb, attr)
    errors: list[RuleFileError] = []
    for key, body in value.items():
        where = (top, key)
        line = line_of(lines, where)
        if key in target:
            first_file, first_line = kb.origins[(top, key)]
            errors.append(
                RuleFileError(
                    name,
                    line,
                    f"duplicate {top} {key!r} (first defined at {first_file}:{first_line})",
                )
            )
            continue
        try:
            target[key] = schema.validate(top, body)
        except schema.ValidationError as exc:
            errors.extend(_validation_errors(exc, name, lines, where))
            continue
        kb.origins[(top, key)] = (name, line)
        for part in _FIELD_LINES.get(top, ()):
            if isinstance(body, dict) and part in body:
                kb.origins[(f"{top}.{part}", key)] = (name, line_of(lines, (top, key, part)))
        for part, path in _nested_fields(top, body):
            kb.origins[(f"{top}.{part}", key)] = (name, line_of(lines, (top, key, *path)))
    return errors


def _nested_fields(top: str, body: Any) -> Iterator[tuple[str, KeyPath]]:
    """Fields inside an entry whose lines references are reported at: each requirement's
    element, each modality a family names."""
    if not isinstance(body, dict):
        return
    if top == "code" and isinstance(body.get("requires"), list):
        for index in range(len(body["requires"])):
            yield f"requires.{index}.element", ("requires", index, "element")
    if top == "family":
        for part in ("guidance", "primary"):
            if isinstance(body.get(part), dict):
                for modality in body[part]:
                    yield f"{part}.{modality}", (part, modality)


def _load_listed(
    kb: KnowledgeBase, top: str, value: Any, name: str, lines: dict[KeyPath, int]
) -> list[RuleFileError]:
    from notelint.kb import schema  # pydantic: only when rule files are read

    attr = _LISTED[top]
    if not isinstance(value, list):
        return [
            RuleFileError(
                name, line_of(lines, (top,)), f"{top} entries must be written as [[{top}]] tables"
            )
        ]
    target: list[Any] = getattr(kb, attr)
    errors: list[RuleFileError] = []
    for index, body in enumerate(value):
        try:
            item = schema.validate(top, body)
        except schema.ValidationError as exc:
            errors.extend(_validation_errors(exc, name, lines, (top, index)))
            continue
        kb.origins[(top, f"{len(target)}")] = (name, line_of(lines, (top, index)))
        for part in _FIELD_LINES.get(top, ()):
            if isinstance(body, dict) and part in body:
                at = (name, line_of(lines, (top, index, part)))
                kb.origins[(f"{top}.{part}", f"{len(target)}")] = at
        target.append(item)
    return errors


def _load_sections(
    kb: KnowledgeBase, value: Any, name: str, lines: dict[KeyPath, int]
) -> list[RuleFileError]:
    errors: list[RuleFileError] = []
    if not isinstance(value, dict):
        return [
            RuleFileError(
                name, line_of(lines, ("section",)), "[section] must be a table of section kinds"
            )
        ]
    for kind, body in value.items():
        headings = body.get("headings") if isinstance(body, dict) else None
        if not isinstance(headings, list) or not all(isinstance(h, str) for h in headings):
            errors.append(
                RuleFileError(
                    name,
                    line_of(lines, ("section", kind)),
                    f"section.{kind}.headings must be a list of strings",
                )
            )
            continue
        kb.sections.setdefault(kind, []).extend(h.lower() for h in headings)
        kb.origins.setdefault(("section", kind), (name, line_of(lines, ("section", kind))))
        words = body.get("heading_words", [])
        if not isinstance(words, list) or not all(isinstance(w, str) and w for w in words):
            at = line_of(lines, ("section", kind, "heading_words"))
            errors.append(
                RuleFileError(name, at, f"section.{kind}.heading_words must be a list of words")
            )
        elif words:
            kb.heading_words.setdefault(kind, []).extend(w.lower() for w in words)
        reads_as = body.get("rest_reads_as")
        if reads_as is None:
            continue
        if not isinstance(reads_as, str):
            at = line_of(lines, ("section", kind, "rest_reads_as"))
            errors.append(RuleFileError(name, at, f"section.{kind}.rest_reads_as must be a string"))
        else:
            kb.rest_reads_as[kind] = reads_as
    return errors


def check_references(kb: KnowledgeBase) -> list[RuleFileError]:
    """Cross-file checks: every id a rule file names must exist, and nothing may contradict."""
    errors: list[RuleFileError] = []

    def err(kind: str, key: str, message: str) -> None:
        file, line = kb.origins.get((kind, key), ("<rules>", 1))
        errors.append(RuleFileError(file, line, message))

    def need(kind: str, key: str, what: str, ref: str, known: Mapping[str, object]) -> None:
        if ref not in known:
            err(kind, key, f"{kind} {key!r} names unknown {what} {ref!r}")

    section_kinds = {*kb.sections, "body", "title", "other"}
    for kind, reads_as in kb.rest_reads_as.items():
        if reads_as not in section_kinds:
            err("section", kind, f"section {kind!r} reads as unknown section kind {reads_as!r}")
    for key, concept in kb.concepts.items():
        for section in (*concept.sections, *concept.exclude_sections):
            if section not in section_kinds:
                err("concept", key, f"concept {key!r} names unknown section kind {section!r}")
        both = set(concept.sections) & set(concept.exclude_sections)
        if both:
            err(
                "concept",
                key,
                f"concept {key!r} both includes and excludes sections {sorted(both)}",
            )
    for key, element in kb.elements.items():
        need("element", key, "rule", element.rule, kb.rules)
        for section in element.sections:
            if section not in section_kinds:
                err("element", key, f"element {key!r} names unknown section kind {section!r}")
        for ref in element.evidence:
            need("element", key, "concept", ref, kb.concepts)
    errors.extend(_check_vocabularies(kb))
    for key, code in kb.codes.items():
        need("code", key, "document", code.source.document, kb.sources)
        for group in code.supported_by.all:
            for ref in group:
                need("code", key, "concept", ref, kb.concepts)
        for ref in code.supported_by.none:
            need("code", key, "concept", ref, kb.concepts)
        overlap = {c for g in code.supported_by.all for c in g} & set(code.supported_by.none)
        if overlap:
            err("code", key, f"code {key!r} both requires and excludes {sorted(overlap)}")
        for modifier in code.modifiers:
            need("code", key, "modifier", modifier, kb.modifiers)
        for req in code.requires:
            need("code", key, "document", req.source.document, kb.sources)
            if req.rule:
                need("code", key, "rule", req.rule, kb.rules)
            for ref in req.evidence or ():
                need("code", key, "concept", ref, kb.concepts)
    known_codes = set(kb.codes) | _check_families(kb, err, need)
    _check_policies(kb, known_codes, err, need)
    for key, spec in kb.modifiers.items():
        for ref in (*spec.evidence, *spec.unless_any, *spec.also_requires):
            need("modifier", key, "concept", ref, kb.concepts)
    seen_pairs: set[tuple[str, str]] = set()
    for index, pair in enumerate(kb.code_pairs):
        codes = (pair.column1, pair.column2)
        if pair.column1 == pair.column2:
            err("code_pair", str(index), f"code pair {index} names {pair.column1} twice")
        elif codes in seen_pairs:
            err("code_pair", str(index), f"code pair {pair.column1}/{pair.column2} is listed twice")
        seen_pairs.add(codes)
    for key, rule in kb.rules.items():
        namespace = regex.sub(r"\d+$", "", key)
        if not regex.match(RULE_ID_PATTERN, key):
            err(
                "rule",
                key,
                f"rule id {key!r} must be a declared namespace and three digits, like NL123"
                f" (declared namespaces: {_choices(kb.namespaces)})",
            )
        elif namespace not in kb.namespaces:
            err(
                "rule",
                key,
                f"rule {key!r} is in namespace {namespace!r}, which is not declared"
                f" (declared: {_choices(kb.namespaces)}); declare it as [namespace.{namespace}]",
            )
        for citation in rule.sources:
            need("rule", key, "document", citation.document, kb.sources)
    return errors


def _check_policies(
    kb: KnowledgeBase,
    known_codes: set[str],
    err: Callable[[str, str, str], None],
    need: Callable[[str, str, str, str, Mapping[str, object]], None],
) -> None:
    """Policies and unit limits name known rules, documents and concepts, codes (ranges
    written out) that the knowledge base knows, and well-formed ranges."""
    for index, policy in enumerate(kb.policies):
        key = str(index)
        need("policy", key, "rule", policy.rule, kb.rules)
        need("policy", key, "document", policy.source.document, kb.sources)
        try:
            policy_codes = policy.expanded_codes()
            expand_code_ranges([*policy.with_reported_any, *policy.unless_reported_any])
        except ValueError as exc:
            err("policy", key, f"policy {key!r}: {exc}")
            continue
        for code_id in policy_codes:
            if code_id not in known_codes:
                err(
                    "policy",
                    key,
                    f"policy {key!r} names code {code_id!r}, which is neither a guidance code "
                    "nor a code of a procedure family",
                )
        for ref in (*policy.if_any, *policy.unless_any):
            need("policy", key, "concept", ref, kb.concepts)
    for index, limit in enumerate(kb.unit_limits):
        need("unit_limit", str(index), "rule", limit.rule, kb.rules)
        need("unit_limit", str(index), "document", limit.source.document, kb.sources)
        try:
            limit.expanded_codes()
        except ValueError as exc:
            err("unit_limit", str(index), f"unit limit {index}: {exc}")


def _choices(known: Iterable[str]) -> str:
    return ", ".join(known) or "none"


def _check_vocabularies(kb: KnowledgeBase) -> list[RuleFileError]:
    """The declared vocabularies are well formed, and every element, modality and kind of
    code an entry names is declared: an error names the line of the reference and the
    choices declared."""
    errors: list[RuleFileError] = []

    def at(kind: str, key: str, part: str | None = None) -> tuple[str, int]:
        found = kb.origins.get((f"{kind}.{part}", key)) if part else None
        return found or kb.origins.get((kind, key), ("<rules>", 1))

    def declared(
        kind: str, key: str, part: str, what: str, ref: str, known: Iterable[str], table: str
    ) -> None:
        choices = list(known)
        if ref not in choices:
            file, line = at(kind, key, part)
            errors.append(
                RuleFileError(
                    file,
                    line,
                    f"{kind} {key!r} names unknown {what} {ref!r} (declared: {_choices(choices)})"
                    f"; declare it as [{table}.{ref}]",
                )
            )

    for table, known, pattern in (
        ("namespace", kb.namespaces, NAMESPACE_PATTERN),
        ("modality", kb.modalities, VOCABULARY_ID_PATTERN),
        ("code_kind", kb.code_kinds, VOCABULARY_ID_PATTERN),
        ("element", kb.elements, VOCABULARY_ID_PATTERN),
    ):
        for key in known:
            if not regex.match(pattern, key):
                file, line = at(table, key)
                shape = (
                    "capital letters" if table == "namespace" else "lower-case words joined by _"
                )
                errors.append(RuleFileError(file, line, f"{table} id {key!r} must be {shape}"))
    for key, spec in kb.modalities.items():
        if spec.guidance and f"guidance.{key}" not in kb.concepts:
            file, line = at("modality", key)
            errors.append(
                RuleFileError(
                    file,
                    line,
                    f'modality {key!r} has no guidance concept: declare [concept."guidance.{key}"]'
                    " (how a note says the guidance was used), or guidance = false",
                )
            )
    guidance = kb.guidance_modalities()
    for key, code in kb.codes.items():
        declared("code", key, "kind", "kind of code", code.kind, kb.code_kinds, "code_kind")
        declared("code", key, "modality", "modality", code.modality, kb.modalities, "modality")
        for index, req in enumerate(code.requires):
            part = f"requires.{index}.element"
            declared("code", key, part, "element", req.element, kb.elements, "element")
    for key, family in kb.families.items():
        for modality in family.guidance:
            part = f"guidance.{modality}"
            declared("family", key, part, "guidance modality", modality, guidance, "modality")
        for modality in family.primary:
            part = f"primary.{modality}"
            choices = [*guidance, "none"]
            declared("family", key, part, "guidance modality", modality, choices, "modality")
        for modality in family.primary_needs_images:
            part = "primary_needs_images"
            declared("family", key, part, "guidance modality", modality, guidance, "modality")
    sides: dict[str, str] = {}
    for key, modifier in kb.modifiers.items():
        if modifier.side is None:
            continue
        first = sides.setdefault(modifier.side, key)
        if first != key:
            file, line = at("modifier", key)
            message = f"modifiers {first!r} and {key!r} both name the {modifier.side} side"
            errors.append(RuleFileError(file, line, message))
    return errors


def _data_rules(kb: KnowledgeBase) -> Iterator[tuple[str, str, str, str]]:
    """Each rule the rules data names: (data kind, rule, origin kind, origin key)."""
    for key, element in kb.elements.items():
        yield "requirement", element.rule, "element", key
    for key, code in kb.codes.items():
        for index, req in enumerate(code.requires):
            if req.rule:
                yield "requirement", req.rule, f"code.requires.{index}.element", key
    for index, policy in enumerate(kb.policies):
        yield "policy", policy.rule, "policy", str(index)
    for index, limit in enumerate(kb.unit_limits):
        yield "unit_limit", limit.rule, "unit_limit", str(index)


def _check_rule_checks(kb: KnowledgeBase) -> list[RuleFileError]:
    """Every rule names what produces its findings (``check``): a data kind whose data names
    the rule, or a registered check module that reports it, which only a built-in rule may
    name; and the data names only rules of its own kind."""
    errors: list[RuleFileError] = []
    named: dict[str, set[str]] = {}  # data kind -> the rules its entries name
    for kind, rule_id, origin, key in _data_rules(kb):
        named.setdefault(kind, set()).add(rule_id)
        rule = kb.rules.get(rule_id)
        if rule is None or rule.check is None or rule.check == kind:
            continue  # an unknown rule is reported by check_references; no check, below
        file, line = kb.origins.get((origin, key)) or kb.origins.get(
            (origin.partition(".")[0], key), ("<rules>", 1)
        )
        message = (
            f"{origin.partition('.')[0]} {key!r} names rule {rule_id!r}, whose check is"
            f" {rule.check!r}, not {kind!r}: a rule's findings come from one check"
        )
        errors.append(RuleFileError(file, line, message))
    for key, rule in kb.rules.items():
        problem = _check_problem(key, rule.check, named)
        if problem is not None:
            file, line = kb.origins.get(("rule.check", key)) or kb.origins.get(
                ("rule", key), ("<rules>", 1)
            )
            errors.append(RuleFileError(file, line, problem))
    return errors


def _check_problem(key: str, check: str | None, named: dict[str, set[str]]) -> str | None:
    """What is wrong with rule ``key``'s check, if anything."""
    builtin = regex.sub(r"\d+$", "", key) == BUILTIN_NAMESPACE
    data = ", ".join(DATA_CHECKS if builtin else DATA_CHECKS[:-1])
    modules = ", ".join(f"{MODULE_PREFIX}{m}" for m in CHECK_MODULES)
    if check is None:
        return f"rule {key!r} names no check: add check = one of {data}" + (
            f", {modules}" if builtin else ""
        )
    if check.startswith(MODULE_PREFIX):
        module = check.removeprefix(MODULE_PREFIX)
        if not builtin:
            return (
                f"rule {key!r} is an organisation's rule, so its check must be data ({data}),"
                f" not {check!r}: a rule folder ships no Python"
            )
        if module not in CHECK_MODULES:
            return f"rule {key!r} names unknown check module {module!r} (registered: {modules})"
        if key not in CHECK_MODULES[module]:
            reports = ", ".join(CHECK_MODULES[module])
            return f"rule {key!r} names check module {module!r}, which reports {reports}, not it"
        return None
    if check not in DATA_CHECKS:
        return f"rule {key!r} names unknown check {check!r} (expected one of {data}" + (
            ", or module:<name>)" if builtin else ")"
        )
    if check == "input":
        if builtin:
            return None
        return (
            f"rule {key!r} is an organisation's rule, so its check cannot be 'input': only"
            " notelint's readers make input findings"
        )
    if key not in named.get(check, set()):
        return f"rule {key!r} has check {check!r}, but no {_DATA_NAMES[check]} names it"
    return None


_DATA_NAMES = {
    "requirement": "element or code requirement",
    "policy": "[[policy]]",
    "unit_limit": "[[unit_limit]]",
}


def _check_cases(kb: KnowledgeBase) -> list[RuleFileError]:
    """Each case names a known rule, and a profile (if any) that the rule applies in."""
    errors = []
    for index, case in enumerate(kb.cases):
        file, line = kb.origins.get(("case", str(index)), ("<rules>", 1))
        rule = kb.rules.get(case.rule)
        if rule is None:
            errors.append(RuleFileError(file, line, f"case names unknown rule {case.rule!r}"))
        elif case.profile is not None and case.profile not in rule.profiles:
            message = f"case names profile {case.profile!r}, in which {case.rule} does not apply"
            errors.append(RuleFileError(file, line, message))
    return errors


def _check_families(
    kb: KnowledgeBase,
    err: Callable[[str, str, str], None],
    need: Callable[[str, str, str, str, Mapping[str, object]], None],
) -> set[str]:
    """Families name known concepts and guidance codes, and no code's guidance is told two
    ways. Returns every code of every family."""
    known_codes: set[str] = set()
    guidance_of: dict[str, tuple[str, dict[str, str]]] = {}  # code -> its family and guidance
    for key, family in kb.families.items():
        try:
            codes = family.expanded_codes()
        except ValueError as exc:
            err("family", key, f"family {key!r}: {exc}")
            continue
        known_codes.update(codes)
        for code_id in codes:
            first = guidance_of.setdefault(code_id, (key, dict(family.guidance)))
            if first[1] != family.guidance:
                err(
                    "family",
                    key,
                    f"code {code_id} is in families {first[0]!r} and {key!r}, "
                    "which say different things about its guidance",
                )
        for ref in (*family.actions, *family.targets, *family.unless, *family.separate_only_with):
            need("family", key, "concept", ref, kb.concepts)
        for ref in family.absorbs:
            need("family", key, "family", ref, kb.families)
        for modality, value in family.guidance.items():
            if value != "included" and value not in kb.codes:
                err(
                    "family",
                    key,
                    f"family {key!r} names guidance code {value!r} for {modality}, "
                    'which is not in the code table (or write "included")',
                )
    return known_codes
