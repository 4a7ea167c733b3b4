"""The check registry: every rule names what produces its findings (``check``), a kind of rules
data that names it or a registered check module, and the loader refuses, with file and line,
a rule without one, an unknown module, and an organisation's rule that names a module (a rule
folder is data: it ships no Python). That the modules run in the same order and report the
same findings as before is held by the byte-for-byte fixture tests (test_rule_fixtures.py,
test_dev_corpus.py)."""

from __future__ import annotations

import ast
import re
import shutil
import textwrap
from pathlib import Path

import pytest

import notelint.kb.loader
from notelint.checks import DATA_KINDS, MODULES, module_of
from notelint.kb import KnowledgeBase, KnowledgeBaseError, load_knowledge_base
from notelint.kb.models import CHECK_MODULES, DATA_CHECKS, MODULE_PREFIX
from notelint.present.explain import explain_text

PACKAGE = Path(__file__).resolve().parents[1] / "server" / "notelint"
RULE_ID = re.compile(r"^[A-Z]{2,8}\d{3}$")

RULE = """\
[rule.{rid}]
name = "org-rule"
category = "necessity"
severity = "warning"
summary = "s"
message = "{{code}}: {{detail}}"
why = "w"
fix = "f"
example_fires = "x"
example_passes = "y"
"""
ACME = '[namespace.ACME]\ndescription = "ACME"\n\n'
POLICY = """
[[policy]]
rule = "{rid}"
codes = ["76942"]
when = "reported"
detail = "d"
source = {{ document = "ash", line = 53, passage = "ASH considers CPT Code 76942" }}
"""


def _rule_ids(path: Path) -> set[str]:
    """The rule ids written as string constants in a module's source."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and RULE_ID.match(node.value)
    }


# --- the built-in rules and the registry ------------------------------------------------------


def test_every_built_in_rule_has_a_check_the_registry_knows(kb: KnowledgeBase) -> None:
    for rid, rule in kb.rules.items():
        assert rule.check is not None, rid
        assert rule.check in DATA_CHECKS or module_of(rule.check) is not None, rid


def test_the_registry_and_the_loader_name_the_same_checks_in_the_same_order() -> None:
    assert tuple(MODULES) == tuple(CHECK_MODULES)
    assert (*DATA_KINDS, "input") == DATA_CHECKS
    for name, module in MODULES.items():
        assert (PACKAGE / "checks" / f"{name}.py").is_file()
        assert module.doc, f"check module {name} has no documentation (its docstring)"


def test_each_module_owns_exactly_the_rules_that_name_it(kb: KnowledgeBase) -> None:
    for name, module in MODULES.items():
        owned = sorted(r for r, rule in kb.rules.items() if rule.check == MODULE_PREFIX + name)
        assert owned, f"check module {name} owns no rule"
        assert sorted(module.rules) == owned == sorted(CHECK_MODULES[name]), name
        for rid in module.shared:  # reported here too, but owned by another check
            assert kb.rules[rid].check != MODULE_PREFIX + name


def test_a_check_module_reports_only_its_own_and_shared_rules() -> None:
    for name, module in MODULES.items():
        written = _rule_ids(PACKAGE / "checks" / f"{name}.py")
        assert written <= {*module.rules, *module.shared}, name


def test_decide_and_the_data_checks_name_no_rule_but_the_empty_note() -> None:
    """No rule-specific logic is left in decide: the rules data and the modules name them."""
    assert _rule_ids(PACKAGE / "core" / "decide.py") == {"NL902"}
    for data in ("requirements", "policies", "units", "context"):
        assert _rule_ids(PACKAGE / "checks" / f"{data}.py") == set(), data


def test_input_rules_are_the_readers(kb: KnowledgeBase) -> None:
    inputs = sorted(r for r, rule in kb.rules.items() if rule.check == "input")
    assert inputs == ["NL901", "NL902", "NL903", "NL904"]
    assert all(kb.rules[r].category == "input" for r in inputs)


def test_explain_shows_the_check_and_a_module_s_documentation(kb: KnowledgeBase) -> None:
    text = explain_text(kb, "NL801")
    assert "Check: module:laterality (server/notelint/checks/laterality.py)" in text
    assert MODULES["laterality"].doc.splitlines()[0] in text
    assert "Check: policy: " in explain_text(kb, "NL501")
    assert "Also reported by module:reported." in explain_text(kb, "NL205")
    assert "Check: requirement: " in explain_text(kb, "NL101")


# --- errors at the line that declares the check ----------------------------------------------


def _errors(tmp_path: Path, body: str) -> list[str]:
    (tmp_path / "org.toml").write_text(textwrap.dedent(body), encoding="utf-8")
    with pytest.raises(KnowledgeBaseError) as caught:
        load_knowledge_base([tmp_path])
    return [str(e) for e in caught.value.errors]


def test_a_rule_without_a_check_is_an_error_at_its_line(tmp_path: Path) -> None:
    body = ACME + RULE.format(rid="ACME001") + POLICY.format(rid="ACME001")
    errors = _errors(tmp_path, body)
    assert errors == [
        f"{tmp_path / 'org.toml'}:4: rule 'ACME001' names no check: add check = one of "
        "requirement, policy, unit_limit"
    ]


def test_an_organisation_rule_may_not_name_a_module(tmp_path: Path) -> None:
    body = ACME + RULE.format(rid="ACME001")
    errors = _errors(tmp_path, body + 'check = "module:reported"\n')
    assert errors == [
        f"{tmp_path / 'org.toml'}:14: rule 'ACME001' is an organisation's rule, so its check must"
        " be data (requirement, policy, unit_limit), not 'module:reported': a rule folder ships"
        " no Python"
    ]


def test_a_module_reports_only_the_rules_it_declares(tmp_path: Path) -> None:
    errors = _errors(tmp_path, RULE.format(rid="NL990") + 'check = "module:reported"\n')
    assert errors == [
        f"{tmp_path / 'org.toml'}:11: rule 'NL990' names check module 'reported', which reports"
        " NL201, NL202, NL204, NL301, not it"
    ]


def test_an_organisation_rule_may_not_be_an_input_rule(tmp_path: Path) -> None:
    body = ACME + RULE.format(rid="ACME001")
    errors = _errors(tmp_path, body + 'check = "input"\n')
    assert len(errors) == 1 and errors[0].startswith(f"{tmp_path / 'org.toml'}:14: ")
    assert "cannot be 'input'" in errors[0]


def test_a_data_check_no_data_names_is_an_error(tmp_path: Path) -> None:
    errors = _errors(tmp_path, RULE.format(rid="NL990") + 'check = "policy"\n')
    assert errors == [
        f"{tmp_path / 'org.toml'}:11: rule 'NL990' has check 'policy', but no [[policy]] names it"
    ]


def test_an_unknown_check_kind_is_an_error(tmp_path: Path) -> None:
    errors = _errors(tmp_path, RULE.format(rid="NL990") + 'check = "bundle"\n')
    assert errors == [
        f"{tmp_path / 'org.toml'}:11: rule 'NL990' names unknown check 'bundle' (expected one"
        " of requirement, policy, unit_limit, input, or module:<name>)"
    ]


def test_data_naming_a_rule_of_another_check_is_an_error_at_the_data(
    tmp_path: Path, kb: KnowledgeBase
) -> None:
    errors = _errors(tmp_path, POLICY.format(rid="NL201"))
    index = len(kb.policies)  # after the built-in policies
    assert errors == [
        f"{tmp_path / 'org.toml'}:2: policy '{index}' names rule 'NL201', whose check is"
        " 'module:reported', not 'policy': a rule's findings come from one check"
    ]


def test_an_organisation_policy_rule_loads(tmp_path: Path) -> None:
    (tmp_path / "org.toml").write_text(
        RULE.format(rid="NL990") + 'check = "policy"\n' + POLICY.format(rid="NL990"),
        encoding="utf-8",
    )
    assert load_knowledge_base([tmp_path]).rules["NL990"].check == "policy"


def test_an_unknown_module_is_an_error_at_its_line(tmp_path: Path) -> None:
    errors = _errors(tmp_path, RULE.format(rid="NL990") + 'check = "module:nowhere"\n')
    modules = ", ".join(MODULE_PREFIX + m for m in CHECK_MODULES)
    assert errors == [
        f"{tmp_path / 'org.toml'}:11: rule 'NL990' names unknown check module 'nowhere'"
        f" (registered: {modules})"
    ]


def test_a_built_in_rule_file_without_checks_names_each_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(notelint.kb.loader.builtin_rules_dir(), rules)
    text = (rules / "rules.toml").read_text(encoding="utf-8")
    (rules / "rules.toml").write_text(
        text.replace('check = "module:laterality"\n', ""), encoding="utf-8"
    )
    line = text.splitlines().index("[rule.NL801]") + 1
    monkeypatch.setattr(notelint.kb.loader, "builtin_rules_dir", lambda: rules)
    with pytest.raises(KnowledgeBaseError) as caught:
        notelint.kb.loader.build_knowledge_base()
    assert [str(e) for e in caught.value.errors] == [
        f"{rules / 'rules.toml'}:{line}: rule 'NL801' names no check: add check = one of"
        " requirement, policy, unit_limit, input, "
        + ", ".join(MODULE_PREFIX + m for m in CHECK_MODULES)
    ]
