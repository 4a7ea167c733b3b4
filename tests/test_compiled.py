"""The compiled hot path (hatch_build.py) gives exactly what its pure-Python reference gives.

Each mode runs in its own process (a module is imported once per process): the reference with
``NOTELINT_PURE=1``. Both analyse the same notes and report a digest of each Report.
"""

from __future__ import annotations

import hashlib
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corpus_notes import analyse_in_child, long_edits, mutants, real_notes
from notelint import _compiled


def _run(texts: list[str], pure: bool) -> tuple[dict[str, bool], list[str]]:
    """Which modules ran compiled, and a digest of each note's Report."""
    result = analyse_in_child(texts, "NOTELINT_PURE", pure)
    return result["compiled"], result["digests"]


def _compiled_here() -> bool:
    compiled, _ = _run([], pure=False)
    return all(compiled.values())


@pytest.fixture(scope="module")
def compiled() -> None:
    if not _compiled_here():
        if os.environ.get("CI"):
            pytest.fail("the hot path is not compiled: the build hook found no Cython or compiler")
        pytest.skip("not compiled here (pure build): nothing to compare")


def test_compiled_and_pure_agree_on_fixtures_dev_and_mutants(compiled: None) -> None:
    notes = real_notes()
    texts = [*notes, *mutants(notes, 400, seed=19), *long_edits(notes, 6, seed=19)]
    (fast_modules, fast), (pure_modules, pure) = _run(texts, False), _run(texts, True)
    assert all(fast_modules.values()) and not any(pure_modules.values())
    assert len(fast) == len(pure) == len(texts)
    differing = [i for i, (a, b) in enumerate(zip(fast, pure, strict=True)) if a != b]
    assert not differing, f"compiled and pure differ on notes {differing[:10]}"


@settings(
    max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(st.text(alphabet=st.characters(codec="utf-8"), max_size=300), min_size=20, max_size=40)
)
def test_compiled_and_pure_agree_on_arbitrary_text(compiled: None, texts: list[str]) -> None:
    assert _run(texts, pure=False)[1] == _run(texts, pure=True)[1]


def test_an_edited_source_runs_pure_until_rebuilt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOTELINT_PURE", raising=False)
    current = {
        name: hashlib.sha256(_compiled.source(name).read_bytes()).hexdigest()
        for name in _compiled.COMPILED
    }
    assert _compiled._sources_to_run(current) == frozenset()
    edited = {**current, "core.match": "0" * 64}
    assert _compiled._sources_to_run(edited) == frozenset({"core.match"})
    monkeypatch.setenv("NOTELINT_PURE", "1")
    assert _compiled._sources_to_run(current) == frozenset(_compiled.COMPILED)
