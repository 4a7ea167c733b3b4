"""Parallel `notelint check`: same output as one process, input order, bounded read-ahead."""

from __future__ import annotations

import io
import itertools
import json
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from notelint import batch
from notelint.cli import _analyse, main
from notelint.inputs.config import Config

ROOT = Path(__file__).resolve().parents[1]
NOTES = ROOT / "fixtures" / "notes"
DEFICIENT = (
    "PROCEDURE: Ultrasound-guided liver biopsy.\nThe needle was advanced.\nCPT: 47000, 76942 x2\n"
)
CLEAN = "PROCEDURE: Knee injection by palpation.\nThe patient tolerated it well.\n"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("fmt", ["text", "json", "jsonl", "sarif", "junit", "github"])
def test_two_jobs_write_exactly_what_one_job_writes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, fmt: str
) -> None:
    missing = tmp_path / "missing.txt"
    args = [
        "check",
        "--format",
        fmt,
        str(NOTES),
        str(missing),
        str(NOTES / "02-fluoro-guided-hip-injection.txt"),
    ]
    one = run(capsys, *args, "--jobs", "1")
    two = run(capsys, *args, "--jobs", "2")
    assert one == two
    assert one[0] == 2  # the missing file; every other note was still linted
    assert one[2] == f"notelint: {missing}: no such file or folder\n"


def test_results_come_in_input_order_and_none_is_lost(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # Long and short notes interleaved, so workers finish out of order.
    names = []
    for n in range(24):
        body = DEFICIENT * (40 if n % 3 == 0 else 1)
        (tmp_path / f"{n:02d}.txt").write_text(body, encoding="utf-8")
        names.append(str(tmp_path / f"{n:02d}.txt"))
    code, out, _ = run(capsys, "check", "--jobs", "2", "--format", "jsonl", str(tmp_path))
    assert code == 1
    assert [json.loads(line)["path"] for line in out.splitlines()] == names


def _note_tasks(count: int, pulled: list[int]) -> Iterator[batch.Task]:
    for n in range(count):
        pulled.append(n)
        yield batch.Task(f"note-{n}", Config(), data=(DEFICIENT if n % 2 else CLEAN).encode())


@pytest.mark.parametrize(("jobs", "window"), [(1, 0), (2, 4)])
def test_inputs_are_read_lazily_within_a_bounded_window(jobs: int, window: int) -> None:
    pulled: list[int] = []
    args = ((), _analyse, batch.Output(text=False))
    results = batch.run_ordered(_note_tasks(40, pulled), args, jobs=jobs, window=window or None)
    seen = 0
    for result in results:
        assert result.shown == f"note-{seen}"
        seen += 1
        # Never more than the window (plus the two looked at to choose a pool) ahead of the output.
        assert len(pulled) - seen <= max(window, 2)
    assert seen == 40


def test_workers_started_by_spawn_get_everything_they_need() -> None:
    # Spawned workers share nothing with the parent: tasks, settings and results must pickle.
    tasks = [batch.Task(f"n{n}", Config(), data=DEFICIENT.encode()) for n in range(3)]
    args = ((), _analyse, batch.Output(text=True))
    results = list(batch.run_ordered(tasks, args, jobs=2, context="spawn"))
    assert [r.shown for r in results] == ["n0", "n1", "n2"]
    assert all(r.failed and r.lines[0].startswith(f"{r.shown}:3:13: ") for r in results)


def test_config_is_resolved_per_folder_with_jobs(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    for folder, config in (
        ("a", 'ignore = ["NL1"]\n'),
        ("b", 'select = ["NL1"]\nfail-on = "error"\n'),
    ):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "notelint.toml").write_text(config, encoding="utf-8")
        for n in range(3):
            (tmp_path / folder / f"{n}.txt").write_text(DEFICIENT, encoding="utf-8")
    code, out, _ = run(capsys, "check", "-j", "2", "--format", "jsonl", str(tmp_path))
    rules = {
        Path(e["path"]).parent.name: sorted({f["rule"] for f in e["findings"]})
        for e in map(json.loads, out.splitlines())
    }
    assert rules == {"a": ["NL401"], "b": ["NL101", "NL102", "NL103", "NL104"]}
    assert code == 1  # NL401 is an error in folder a
    code, _, _ = run(capsys, "check", "-j", "2", str(tmp_path / "b"))
    assert code == 0  # folder b fails only on errors, and NL1xx are warnings


def test_exit_codes(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    for n in range(3):
        (tmp_path / f"clean{n}.txt").write_text(CLEAN, encoding="utf-8")
    assert run(capsys, "check", "-j", "2", str(tmp_path))[0] == 0
    (tmp_path / "bad.txt").write_text(DEFICIENT, encoding="utf-8")
    assert run(capsys, "check", "-j", "2", str(tmp_path))[0] == 1
    assert run(capsys, "check", "-j", "2", "--fail-on", "never", str(tmp_path))[0] == 0
    with pytest.raises(SystemExit) as usage:
        main(["check", "--jobs", "0", str(tmp_path)])
    assert usage.value.code == 2
    capsys.readouterr()


def test_stdin_with_files_in_a_pool(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "a.txt").write_text(CLEAN, encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(DEFICIENT.encode())))
    code, out, _ = run(capsys, "check", "-j", "2", str(tmp_path / "a.txt"), "-")
    assert code == 1 and out.startswith("<stdin>:3:13: ")


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_terminal_and_not_with_quiet(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for n in range(3):
        (tmp_path / f"{n}.txt").write_text(CLEAN, encoding="utf-8")
    for quiet, expect_bar in (([], True), (["--quiet"], False)):
        err = _Terminal()
        monkeypatch.setattr(sys, "stderr", err)
        monkeypatch.setattr(sys, "stdout", io.StringIO())
        assert main(["check", "-j", "1", *quiet, str(tmp_path)]) == 0
        assert ("notelint " in err.getvalue()) is expect_bar
        assert err.getvalue().endswith("\r\x1b[K") or not expect_bar  # erased at the end
    err_plain = io.StringIO()  # not a terminal: nothing at all
    monkeypatch.setattr(sys, "stderr", err_plain)
    assert main(["check", "-j", "1", str(tmp_path)]) == 0
    assert err_plain.getvalue() == ""


def test_progress_line_shows_count_rate_and_eta() -> None:
    progress = batch.Progress(io.StringIO())
    progress.total, progress.done = 200, 50
    line = progress.line(progress.started + 10.0)
    assert "50/200 25%" in line and "5/s" in line and "ETA 0:30" in line
    progress.total = None  # still counting
    assert progress.line(progress.started + 10.0).startswith("notelint 50 done  5/s")


def test_count_inputs_counts_ndjson_resources(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(CLEAN, encoding="utf-8")
    (tmp_path / "export.ndjson").write_text('{"a": 1}\n{"b": 2}\n{"c": 3}\n', encoding="utf-8")
    assert batch.count_inputs([str(tmp_path)]) == 4


def test_chunks_grow_to_the_cap_and_keep_every_task_in_order() -> None:
    tasks = [batch.Task(f"n{n}", Config(), data=b"") for n in range(200)]
    sizes = [len(chunk) for chunk in batch.chunks(tasks, jobs=2, window=10_000)]
    assert sizes[:7] == [1, 2, 4, 8, 16, 32, 32] and max(sizes) == batch.CHUNK_MAX
    assert [t for chunk in batch.chunks(tasks, 2, 10_000) for t in chunk] == tasks
    # A small window keeps at least two chunks per worker within it.
    assert max(len(c) for c in batch.chunks(tasks, jobs=2, window=12)) == 3


def _mixed_tasks(count: int) -> Iterator[batch.Task]:
    for n in range(count):
        if n % 17 == 5:
            yield batch.Task(f"bad-{n}", Config(), error="unreadable")
        else:
            text = DEFICIENT if n % 3 else CLEAN * (1 + n % 4)
            yield batch.Task(f"note-{n}", Config(), data=text.encode(), meta={"id": str(n)})


@pytest.mark.parametrize("text_output", [True, False])
def test_results_across_chunk_boundaries_are_those_of_one_process(text_output: bool) -> None:
    args = ((), _analyse, batch.Output(text=text_output, json_blocks=not text_output))
    one = [replace(r, millis=0.0) for r in batch.run_ordered(_mixed_tasks(150), args, jobs=1)]
    two = [replace(r, millis=0.0) for r in batch.run_ordered(_mixed_tasks(150), args, jobs=2)]
    assert one == two
    assert [r.shown for r in one] == [t.shown for t in _mixed_tasks(150)]
    assert sum(r.error is not None for r in one) == 9


def test_a_few_notes_are_linted_without_a_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_pool(*args: object, **kwargs: object) -> None:
        raise AssertionError("a pool was started")

    monkeypatch.setattr(batch, "_pooled", no_pool)
    tasks = list(itertools.islice(_mixed_tasks(100), batch.POOL_FROM - 1))
    args = ((), _analyse, batch.Output(text=True))
    assert len(list(batch.run_ordered(tasks, args, jobs=2))) == batch.POOL_FROM - 1


def test_json_blocks_are_the_entries_as_the_document_writes_them() -> None:
    args = ((), _analyse, batch.Output(text=False, json_blocks=True))
    for result in batch.run_ordered(_mixed_tasks(20), args, jobs=2):
        if result.entry is not None:
            assert result.block == textwrap.indent(json.dumps(result.entry, indent=2), "    ")
