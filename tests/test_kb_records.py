"""The knowledge base holds plain records (notelint.kb.models), made from what the pydantic
schema (notelint.kb.schema) validated: the two declare the same fields in the same order, and
the analysis, with a cached knowledge base, runs without importing pydantic."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest

from notelint.kb import KnowledgeBase, builtin_rules_dir, models, schema
from notelint.kb.loader import _build


@pytest.mark.parametrize("model", sorted(set(schema.MODELS.values()), key=lambda m: m.__name__))
def test_each_model_has_its_record_field_for_field(model: type[schema.Strict]) -> None:
    record = getattr(models, model.__name__)
    assert dataclasses.is_dataclass(record)
    assert [f.name for f in dataclasses.fields(record)] == list(model.model_fields)


def test_nested_models_have_records_too() -> None:
    nested = {
        schema.Citation,
        schema.Combination,
        schema.Support,
        schema.Requirement,
        schema.FamilyCitation,
    }
    for model in nested:
        record = getattr(models, model.__name__)
        assert [f.name for f in dataclasses.fields(record)] == list(model.model_fields)


def _records(value: object) -> bool:
    if isinstance(value, list):
        return all(_records(item) for item in value)
    if isinstance(value, dict):
        return all(_records(item) for item in value.values())
    if dataclasses.is_dataclass(value):
        fields = dataclasses.fields(value)
        return type(value).__module__ == models.__name__ and all(
            _records(getattr(value, f.name)) for f in fields
        )
    return not hasattr(value, "model_fields")


def test_the_knowledge_base_holds_records_only() -> None:
    kb = _build((str(builtin_rules_dir()),))
    for field in dataclasses.fields(KnowledgeBase):
        if field.name not in ("cache", "origins", "sections", "rest_reads_as"):
            assert _records(getattr(kb, field.name)), field.name
    requirements = [r for code in kb.codes.values() for r in code.requires]
    assert requirements and all(type(r) is models.Requirement for r in requirements)


def test_a_check_with_the_cache_warm_imports_no_pydantic(tmp_path: Path) -> None:
    note = tmp_path / "note.txt"
    note.write_text("PROCEDURE: Ultrasound-guided liver biopsy.\nCPT: 47000, 76942\n")
    env = {**os.environ, "NOTELINT_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("NOTELINT_NO_CACHE", None)
    program = (
        "import sys\n"
        "from notelint.cli import main\n"
        f"main(['check', '-q', '-j1', {str(note)!r}])\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pydantic', 'pydantic_core')))"
    )
    runs = [
        subprocess.run(
            [sys.executable, "-c", program],
            check=False,
            env=env,
            capture_output=True,
            text=True,
            cwd=tmp_path,
        )
        for _ in range(2)
    ]
    assert "'pydantic'" in runs[0].stdout  # the first run read and validated the rule files
    assert runs[1].stdout.strip().endswith("[]"), runs[1].stderr
