"""The benchmark scripts still run: a 20-note corpus, a tiny throughput run. Nothing is timed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"


def _run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )


def test_build_corpus_is_deterministic_and_about_the_size(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    for out in (a, b):
        done = _run(BENCH / "build_corpus.py", out, "--count", "20", "--seed", "7")
        assert done.returncode == 0, done.stderr
    names = sorted(p.name for p in a.glob("*.txt"))
    assert len(names) == 20
    assert all((a / n).read_bytes() == (b / n).read_bytes() for n in names)
    sizes = [(a / n).stat().st_size for n in names]
    assert 3000 <= sum(sizes) / len(sizes) <= 5500
    assert len({(a / n).read_bytes() for n in names}) == 20


def test_throughput_reports_every_row(tmp_path: Path) -> None:
    corpus = tmp_path / "notes"
    assert _run(BENCH / "build_corpus.py", corpus, "--count", "20").returncode == 0
    out = tmp_path / "result.json"
    done = _run(
        BENCH / "throughput.py",
        corpus,
        "--limit",
        "8",
        "--workers",
        "2",
        "--medspacy",
        "auto",
        "--json",
        out,
    )
    assert done.returncode == 0, done.stderr
    text = done.stdout
    for row in ("floor: read + 1 regex pass", "notelint, 1 core", "notelint, 2 processes"):
        assert row in text
    assert "medspaCy (sentencizer), 1 core" in text or "medspaCy baseline" in text
    assert "RSS MB before" in text and "10%" in text and "50%" in text and "100%" in text
    assert "targets (issue 5):" in text

    data = json.loads(out.read_text(encoding="utf-8"))
    rows = {r["name"]: r for r in data["rows"]}
    assert rows["notelint, 1 core"]["notes"] == 8
    assert rows["notelint, 2 processes"]["cores"] == 2
    assert all(r["notes_per_s"] > 0 for r in rows.values())
    assert (data["medspacy_skipped"] is None) == any(n.startswith("medspaCy") for n in rows)
    assert {"10%", "50%", "100%", "peak"} <= set(data["rss_mb"])


def test_instruction_count_workloads_run(tmp_path: Path) -> None:
    """What bench/instructions.py runs under valgrind (valgrind itself takes minutes)."""
    corpus = tmp_path / "notes"
    assert _run(BENCH / "build_corpus.py", corpus, "--count", "20").returncode == 0
    for workload in ("batch", "long"):
        args = ("--child", workload, "--rounds", "1", "--corpus", corpus)
        done = _run(BENCH / "instructions.py", *args)
        assert done.returncode == 0, done.stderr


def _rules_per_note(folder: Path) -> list[list[tuple[str, str]]]:
    from notelint.core.analysis import analyze
    from notelint.kb import load_knowledge_base

    kb = load_knowledge_base()
    return [
        sorted((f.rule, f.code or "") for f in analyze(p.read_text(encoding="utf-8"), kb).findings)
        for p in sorted(folder.glob("*.txt"))
    ]


def test_distinct_corpus_shares_no_line_and_keeps_the_findings(tmp_path: Path) -> None:
    plain, distinct = tmp_path / "plain", tmp_path / "distinct"
    args = ("--count", "12", "--size", "1500", "--seed", "3")
    assert _run(BENCH / "build_corpus.py", plain, *args).returncode == 0
    done = _run(BENCH / "build_corpus.py", distinct, *args, "--distinct")
    assert done.returncode == 0, done.stderr
    assert "still shared between notes" in done.stdout
    assert _rules_per_note(plain) == _rules_per_note(distinct)
    lines = [
        {line for line in p.read_text(encoding="utf-8").splitlines() if line.strip()}
        for p in sorted(distinct.glob("*.txt"))
    ]
    shared = sum(len(a & b) for n, a in enumerate(lines) for b in lines[n + 1 :])
    total = sum(len(a) for a in lines)
    assert shared <= total // 20  # only where a change would have altered the findings


def test_instructions_child_gets_this_interpreters_import_path() -> None:
    sys.path.insert(0, str(BENCH))
    try:
        import instructions
    finally:
        sys.path.remove(str(BENCH))
    path = instructions.child_environment()["PYTHONPATH"].split(os.pathsep)
    assert [entry for entry in sys.path if entry] == path


def test_compiled_bench_compares_both_modes_on_the_same_notes() -> None:
    done = _run(
        BENCH / "compiled.py",
        ROOT / "fixtures" / "notes",
        "--warmup",
        "5",
        "--runs",
        "1",
        "--passes",
        "1",
    )
    assert done.returncode == 0, done.stderr
    assert "compiled / pure:" in done.stdout and "reports identical" in done.stdout
    from notelint._compiled import COMPILED

    assert f"0/{len(COMPILED)} modules compiled" in done.stdout  # the reference ran pure
