"""notelint.spark in Spark local mode: the DataFrame output equals analyze() on the same notes.

Skipped when pyspark or Java is missing, except under CI (env CI set), where it must run.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from notelint.core.analysis import analyze
from notelint.core.settings import Settings
from notelint.kb import KnowledgeBase
from notelint.present.json_format import file_json

ROOT = Path(__file__).resolve().parent.parent
NOTES = sorted((ROOT / "fixtures" / "notes").glob("*.txt"))


def _unavailable() -> str | None:
    try:
        import pandas  # noqa: F401
        import pyarrow  # noqa: F401
        import pyspark  # noqa: F401
    except ImportError as exc:
        return f"spark extra not usable ({exc})"
    if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
        return "no Java runtime (java not on PATH, JAVA_HOME unset)"
    return None


_REASON = _unavailable()
if _REASON and os.environ.get("CI"):
    pytest.fail(f"CI must run the Spark tests: {_REASON}", pytrace=False)
pytestmark = pytest.mark.skipif(_REASON is not None, reason=_REASON or "")


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    session = (
        SparkSession.builder.master("local[2]")
        .appName("notelint-test")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.memory", "1g")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "8")
        .config("spark.python.worker.reuse", "true")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def _expected(text: str, kb: KnowledgeBase, settings: Settings) -> dict[str, Any]:
    data = file_json("", analyze(text, kb, settings))
    findings = [
        {
            "rule": f["rule"],
            "name": f["name"],
            "category": f["category"],
            "severity": f["severity"],
            "code": f["code"],
            "element": f["element"],
            "message": f["message"],
            "line": f["range"]["start"]["line"],
            "character": f["range"]["start"]["character"],
            "end_line": f["range"]["end"]["line"],
            "end_character": f["range"]["end"]["character"],
        }
        for f in data["findings"]
    ]
    return {
        "findings": findings,
        "suggested": data["codes"]["suggested"],
        "reported": data["codes"]["reported"],
        "unresolved": data["codes"]["unresolved"],
        "finding_count": len(findings),
        "error": None,
    }


def _actual(row: Any, id_col: str = "id") -> dict[str, Any]:
    d: dict[str, Any] = row.asDict(recursive=True)
    del d[id_col]
    return d


@pytest.mark.parametrize("profile", ["cpt", "ash"])
def test_spark_matches_analyze(spark: Any, kb: KnowledgeBase, profile: str) -> None:
    from notelint.spark import lint_notes

    texts = {p.stem: p.read_text(encoding="utf-8") for p in NOTES}
    texts["empty"] = ""
    df = spark.createDataFrame(sorted(texts.items()), "id string, text string").repartition(2)
    rows = lint_notes(df, profile=profile).collect()

    assert sorted(r["id"] for r in rows) == sorted(texts)
    settings = Settings(profile=profile)
    for row in rows:
        assert _actual(row) == _expected(texts[row["id"]], kb, settings), row["id"]
    assert sum(r["finding_count"] for r in rows) > 0
    assert any(r["suggested"] for r in rows)
    empty = next(r for r in rows if r["id"] == "empty")
    assert [f["rule"] for f in empty["findings"]] == ["NL902"]


def test_spark_schema_id_type_null_text_and_columns(spark: Any, kb: KnowledgeBase) -> None:
    from pyspark.sql.types import LongType

    from notelint.spark import RESULT_FIELDS, lint_notes

    note = (ROOT / "fixtures/notes/08-templated-us-biopsy-unfilled.txt").read_text(encoding="utf-8")
    df = spark.createDataFrame(
        [(1, note, "x"), (2, None, "y")], "note_id long, body string, other string"
    )
    out = lint_notes(df, text_col="body", id_col="note_id", select=["NL1"])
    assert out.schema.fieldNames() == ["note_id", *(f.name for f in RESULT_FIELDS)]
    assert out.schema["note_id"].dataType == LongType()
    rows = {r["note_id"]: r for r in out.collect()}
    expected = _expected(note, kb, Settings(select=("NL1",)))
    assert _actual(rows[1], "note_id") == expected
    assert rows[1]["finding_count"] > 0
    assert all(f["rule"].startswith("NL1") for f in rows[1]["findings"])
    assert _actual(rows[2], "note_id") == _expected("", kb, Settings(select=("NL1",)))

    flat = out.selectExpr("note_id", "explode(findings) AS f").select("note_id", "f.rule", "f.line")
    assert flat.count() == sum(r["finding_count"] for r in rows.values())


def test_lint_notes_rejects_bad_arguments(spark: Any) -> None:
    from notelint.spark import lint_notes

    df = spark.createDataFrame([("a", "text")], "id string, text string")
    with pytest.raises(ValueError, match="profile"):
        lint_notes(df, profile="nope")
    with pytest.raises(ValueError, match="no column 'body'"):
        lint_notes(df, text_col="body")
