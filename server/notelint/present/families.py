"""The procedure families, as `notelint families` lists them and `notelint explain` tells one."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from notelint.kb import KnowledgeBase
from notelint.kb.models import Family


def find_family(kb: KnowledgeBase, wanted: str) -> str | None:
    """The id of the family named ``wanted`` (its id, or one of its codes)."""
    if wanted in kb.families:
        return wanted
    upper = wanted.upper()
    return next((fid for fid, f in kb.families.items() if upper in f.expanded_codes()), None)


def verified_text(family: Family) -> str:
    if family.verified:
        return "verified against a public authority"
    note = f": {family.verified_note}" if family.verified_note else ""
    return "NOT verified against CMS, NCCI or MAC text (secondary sources only)" + note


def families_text(kb: KnowledgeBase) -> str:
    lines = []
    for family_id, family in kb.families.items():
        codes = ", ".join(family.codes) or "-"
        mark = "" if family.verified else "  [unverified]"
        lines.append(
            f"{family_id:<28} {codes:<34} {family.describe_guidance(kb.guidance_modalities())}{mark}"
        )
    return "\n".join(lines)


def families_json(kb: KnowledgeBase) -> list[dict[str, Any]]:
    return [{"family": family_id, **asdict(family)} for family_id, family in kb.families.items()]


def family_text(kb: KnowledgeBase, family_id: str) -> str:
    family = kb.families[family_id]
    concepts = kb.concepts

    def described(ids: list[str]) -> str:
        return "; ".join(concepts[c].description for c in ids) or "(named by the action itself)"

    citation = family.citation
    lines = [
        f"{family_id}: {family.name}",
        f"codes: {', '.join(family.codes) or '(none: recognised to suppress or check, never coded)'}",
        "",
        family.summary or family.name,
        "",
        "Guidance",
        f"  {family.describe_guidance(kb.guidance_modalities())}",
        "",
        "Recognised by",
        f"  an action: {described(family.actions)}",
        f"  with a target: {described(family.targets)}",
    ]
    if family.unless:
        lines.append(f"  not where the same sentence has: {described(family.unless)}")
    if family.unless_in_note:
        lines.append(f"  not where the note has: {described(family.unless_in_note)}")
    lines += [
        "",
        "Source",
        f"  {citation.authority}" + (f" ({citation.url})" if citation.url else ""),
        f"  {citation.passage}",
        f"  {verified_text(family)}",
    ]
    if family.included_from:
        revision, cited = family.included_from, family.included_from.citation
        lines += [
            "",
            f"From {revision.year} on (the date of service, or a reported "
            f"{', '.join(revision.codes) or 'new code'})",
            "  every modality's guidance is included",
            f"  {cited.authority}" + (f" ({cited.url})" if cited.url else ""),
            f"  {cited.passage}",
        ]
    if family.units_note:
        lines += ["", "Units", f"  {family.units_note}"]
    return "\n".join(lines)
