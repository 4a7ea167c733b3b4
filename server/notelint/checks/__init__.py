"""The check registry: what produces each rule's findings, as ruff's code table maps each code
to its checker.

Every rule declares ``check`` in its rule file (rules/rules.toml), checked when the rules load:

* a data kind (:data:`notelint.kb.models.DATA_CHECKS`): the rule's findings come from entries
  of the rule files that name it, run by the function :data:`DATA_KINDS` gives:
  ``requirement`` (an element's or a code requirement's ``rule``), ``policy`` (a
  ``[[policy]]``), ``unit_limit`` (a ``[[unit_limit]]``); or ``input``, a finding the readers
  make about the file or text itself (NL9xx), which no check here runs;
* ``module:<name>``: a module of this package, registered in :data:`MODULES`, whose docstring
  is its documentation (``notelint explain`` prints it), reporting the rules
  :data:`notelint.kb.models.CHECK_MODULES` lists for it. Only rules of the built-in namespace
  may name one: an organisation's rule folder is data, and ships no Python.

``decide`` runs the data kinds in :data:`DATA_KINDS` order, then each module in
:data:`MODULES` order (:func:`run_checks`). Each takes the shared :class:`Context`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

from notelint.checks import (
    coverage,
    laterality,
    modifiers,
    policies,
    reported,
    requirements,
    units,
    unresolved,
)
from notelint.checks.context import Context
from notelint.kb.models import CHECK_MODULES, DATA_CHECKS, MODULE_PREFIX

Check = Callable[[Context], None]

# The data kinds, in the order they run (``input`` findings are made before the analysis).
DATA_KINDS: dict[str, Check] = {
    "requirement": requirements.run,
    "policy": policies.run,
    "unit_limit": units.run,
}


@dataclass(frozen=True, slots=True)
class CheckModule:
    """A registered check module: its function, the rules it owns (``check = "module:<name>"``)
    and those of other checks it reports too."""

    name: str
    run: Check
    rules: tuple[str, ...]
    shared: tuple[str, ...]
    doc: str


def _register(*modules: ModuleType) -> dict[str, CheckModule]:
    table: dict[str, CheckModule] = {}
    for module in modules:
        name = module.__name__.rpartition(".")[2]
        doc = (module.__doc__ or "").strip()
        table[name] = CheckModule(name, module.run, module.RULES, module.SHARED, doc)
    return table


# The check modules, in the order they run: that of notelint.kb.models.CHECK_MODULES, the table
# the rule loader checks ``module:<name>`` against.
MODULES: dict[str, CheckModule] = _register(unresolved, reported, coverage, modifiers, laterality)

if tuple(MODULES) != tuple(CHECK_MODULES) or (*DATA_KINDS, "input") != DATA_CHECKS:
    raise ImportError("notelint.checks: the registry and notelint.kb.models disagree")


def run_checks(ctx: Context) -> None:
    """Every data kind, then every module, in the registry's order."""
    for check in DATA_KINDS.values():
        check(ctx)
    for module in MODULES.values():
        module.run(ctx)


def module_of(check: str) -> CheckModule | None:
    """The registered module a rule's ``check`` names (``module:<name>``), else None."""
    name = check.removeprefix(MODULE_PREFIX)
    return MODULES.get(name) if check.startswith(MODULE_PREFIX) else None
