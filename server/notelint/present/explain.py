"""A rule's documentation as ``notelint explain`` prints it, and the passages it rests on: shared
by the command line, the demo page and SARIF's rule help."""

from __future__ import annotations

from notelint.checks import MODULES, module_of
from notelint.kb import KnowledgeBase
from notelint.kb.models import ALL_PROFILES, MODULE_PREFIX, Profile

# What each data kind of check is, as ``explain`` says it.
_DATA_KIND = {
    "requirement": "a documentation element a code requires (rules/elements.toml, requires in"
    " rules/codes.toml, [[requirement]])",
    "policy": "a [[policy]] that names it (rules/policies.toml)",
    "unit_limit": "a [[unit_limit]] that names it (rules/policies.toml)",
    "input": "the reading of the file or text itself, before the analysis",
}


def explain_text(kb: KnowledgeBase, rid: str) -> str:
    rule = kb.rules[rid]
    lines = [
        f"{rid} {rule.name}",
        f"category: {rule.category}   default severity: {rule.severity}   profiles: {', '.join(rule.profiles)}",
        "",
        rule.summary,
        "",
        "Why it matters",
        f"  {rule.why}",
        "",
        "What satisfies it",
        f"  {rule.fix}",
        "",
        *_check_lines(rid, rule.check),
    ]
    cited = rule_citations(kb, rid)
    if cited:
        lines += ["", "Source"]
        lines += [f"  {where}: {passage}" for where, passage in cited]
    lines += [
        "",
        "Example that fires",
        _indent(rule.example_fires),
        "",
        "Example that passes",
        _indent(rule.example_passes),
    ]
    return "\n".join(lines)


def _check_lines(rid: str, check: str | None) -> list[str]:
    """The check that produces the rule's findings: a data kind, or a module and its doc; and
    the modules that report it too."""
    module = module_of(check or "")
    if module is not None:
        doc = [f"  {line}".rstrip() for line in module.doc.splitlines()]
        lines = [f"Check: {check} (server/notelint/checks/{module.name}.py)", *doc]
    else:
        lines = [f"Check: {check}: {_DATA_KIND.get(check or '', 'none declared')}"]
    also = [f"{MODULE_PREFIX}{m.name}" for m in MODULES.values() if rid in m.shared]
    if also:
        lines.append(f"  Also reported by {', '.join(also)}.")
    return lines


def rule_citations(kb: KnowledgeBase, rid: str) -> list[tuple[str, str]]:
    """Each passage ``rid`` rests on, as (``file:line``, passage), in order, without repeats."""
    out: list[tuple[str, str]] = []
    for citation in kb.rules[rid].sources:
        out.append((f"{kb.sources[citation.document].file}:{citation.line}", citation.quoted()))
    for code_id, code in kb.codes.items():
        for req in code.requires:
            if (req.rule or kb.elements[req.element].rule) == rid:
                where = f"{kb.sources[req.source.document].file}:{req.source.line}"
                out.append((where, f"({_scope(code_id, req.profiles)}) {req.source.quoted()}"))
    for policy in kb.policies:
        if policy.rule == rid:
            out.append(
                (
                    f"{kb.sources[policy.source.document].file}:{policy.source.line}",
                    policy.source.quoted(),
                )
            )
    for limit in kb.unit_limits:
        if limit.rule == rid:
            out.append(
                (
                    f"{kb.sources[limit.source.document].file}:{limit.source.line}",
                    limit.source.quoted(),
                )
            )
    return list(dict.fromkeys(out))  # in order, without repeats


def _scope(code_id: str, profiles: list[Profile]) -> str:
    """The code a requirement is for, and its profiles when not all of them apply it."""
    if set(profiles) >= set(ALL_PROFILES):
        return code_id
    return f"{code_id}; {', '.join(profiles)} profile"


def _indent(block: str) -> str:
    return "\n".join(f"  | {line}" for line in block.splitlines()) or "  | (empty)"
