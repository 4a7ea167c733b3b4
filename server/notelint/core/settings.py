"""Analysis settings shared by every front end: profile, rule selection, severity overrides."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from notelint.core.findings import Severity

PROFILES = ("cpt", "ash")
# The default selection: every rule, the built-in ones (NL) and those of each namespace an
# organisation's rule folder declares. The empty prefix begins every rule id, and any longer
# prefix in ``ignore`` still wins over it.
ALL_RULES: tuple[str, ...] = ("",)


@dataclass(frozen=True)
class Settings:
    profile: str = "cpt"
    select: tuple[str, ...] = ALL_RULES
    ignore: tuple[str, ...] = ()
    severity: dict[str, Severity] = field(default_factory=dict)

    def enabled(self, rule_id: str) -> bool:
        """Ruff-style prefix selection: the longest matching prefix of select/ignore wins."""
        chosen = max((len(p) for p in self.select if rule_id.startswith(p)), default=-1)
        ignored = max((len(p) for p in self.ignore if rule_id.startswith(p)), default=-1)
        return chosen >= 0 and chosen > ignored

    def overridden(
        self,
        profile: str | None = None,
        select: tuple[str, ...] | None = None,
        ignore: tuple[str, ...] | None = None,
        severity: dict[str, Severity] | None = None,
    ) -> Settings:
        """These settings with what a front end says in place of the project's (None keeps ours)."""
        return replace(
            self,
            profile=profile or self.profile,
            select=select if select is not None else self.select,
            ignore=ignore if ignore is not None else self.ignore,
            severity={**self.severity, **(severity or {})},
        )

    def __hash__(self) -> int:
        return hash((self.profile, self.select, self.ignore, tuple(sorted(self.severity.items()))))
