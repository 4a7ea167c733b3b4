"""Run notelint over a Spark DataFrame of notes: one output row per note, findings as columns.

    from notelint.spark import lint_notes
    result = lint_notes(notes_df, text_col="text", id_col="id", profile="cpt")

The analysis core runs inside ``mapInPandas`` on the executors; each Python worker loads the
knowledge base once (module-level cache) and reuses it for every batch it is given. Needs the
``spark`` extra (``pip install 'notelint[spark]'``): pyspark, pandas and pyarrow.

Positions are 0-based lines and UTF-16 characters, as in the JSON output (``--format json``). A
note whose text is null is linted as an empty note (NL902). A note the core cannot analyse gets
no findings and the exception's type name in ``error``; its text never appears in the output.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from pyspark.sql.types import (
    ArrayType,
    DataType,
    IntegerType,
    StringType,
    StructField,
    StructType,
)

from notelint.core.analysis import analyze
from notelint.core.engine import Engine
from notelint.core.findings import Report
from notelint.core.settings import ALL_RULES, PROFILES, Settings
from notelint.kb import KnowledgeBase, load_knowledge_base
from notelint.present.json_format import codes_json

if TYPE_CHECKING:
    import pandas as pd  # type: ignore[import-untyped,unused-ignore]
    from pyspark.sql import DataFrame

FINDING_TYPE = StructType(
    [
        StructField("rule", StringType(), False),
        StructField("name", StringType(), False),
        StructField("category", StringType(), False),
        StructField("severity", StringType(), False),
        StructField("code", StringType(), True),
        StructField("element", StringType(), True),
        StructField("message", StringType(), False),
        StructField("line", IntegerType(), False),
        StructField("character", IntegerType(), False),
        StructField("end_line", IntegerType(), False),
        StructField("end_character", IntegerType(), False),
    ]
)
"""One finding: rule id, rule name, category, severity label, guidance code and documentation
element (when the finding has them), message, and its range (0-based, UTF-16)."""

REPORTED_TYPE = StructType(
    [
        StructField("code", StringType(), False),
        StructField("modifiers", ArrayType(StringType(), False), False),
        StructField("units", IntegerType(), False),
    ]
)
SUGGESTED_TYPE = StructType(
    [
        StructField("code", StringType(), False),
        StructField("modifiers", ArrayType(StringType(), False), False),
        StructField("reason", StringType(), False),
    ]
)

UNRESOLVED_TYPE = StructType(
    [
        StructField("modality", StringType(), False),
        StructField("recognised", ArrayType(StringType(), False), False),
    ]
)

RESULT_FIELDS: tuple[StructField, ...] = (
    StructField("findings", ArrayType(FINDING_TYPE, False), False),
    StructField("suggested", ArrayType(SUGGESTED_TYPE, False), False),
    StructField("reported", ArrayType(REPORTED_TYPE, False), False),
    StructField("unresolved", ArrayType(UNRESOLVED_TYPE, False), False),
    StructField("finding_count", IntegerType(), False),
    StructField("error", StringType(), True),
)
"""The columns :func:`lint_notes` adds after the id column."""

OUTPUT_SCHEMA = StructType([StructField("id", StringType(), True), *RESULT_FIELDS])
"""The output schema for a string ``id`` column; :func:`output_schema` for any other id."""


def output_schema(id_col: str = "id", id_type: DataType | None = None) -> StructType:
    """The schema of :func:`lint_notes`' result: the id column (its own type), then the results."""
    return StructType([StructField(id_col, id_type or StringType(), True), *RESULT_FIELDS])


# One knowledge base per Python worker process, keyed by the extra rule folders.
_KB_CACHE: dict[tuple[str, ...], KnowledgeBase] = {}


def knowledge_base(extra_rule_dirs: Sequence[str] = ()) -> KnowledgeBase:
    """The knowledge base for these extra rule folders, loaded once per process."""
    key = tuple(extra_rule_dirs)
    kb = _KB_CACHE.get(key)
    if kb is None:
        kb = _KB_CACHE[key] = load_knowledge_base(key)
    return kb


def report_row(report: Report) -> dict[str, Any]:
    """The result columns for one report, as plain Python values (what Arrow converts)."""
    index = report.line_index("utf-16")
    findings = []
    for f in report.findings:
        r = index.range(f.span.start, f.span.end)
        findings.append(
            {
                "rule": f.rule,
                "name": f.name,
                "category": f.category,
                "severity": f.severity.label,
                "code": f.code,
                "element": f.element,
                "message": f.message,
                "line": r.start.line,
                "character": r.start.character,
                "end_line": r.end.line,
                "end_character": r.end.character,
            }
        )
    return {
        "findings": findings,
        **codes_json(report),
        "finding_count": len(findings),
        "error": None,
    }


def _failed_row(exc: BaseException) -> dict[str, Any]:
    # The type name only: an exception message may quote the note.
    return {
        "findings": [],
        "suggested": [],
        "reported": [],
        "unresolved": [],
        "finding_count": 0,
        "error": type(exc).__name__,
    }


def lint_texts(
    texts: Iterable[str | None], kb: KnowledgeBase, settings: Settings
) -> list[dict[str, Any]]:
    """Result columns for each text, in order; null text is an empty note."""
    rows = []
    engine = Engine(kb)  # what one note teaches the next, within this batch of rows
    for text in texts:
        try:
            note = text if isinstance(text, str) else ""
            rows.append(report_row(analyze(note, kb, settings, engine)))
        except Exception as exc:  # one bad note must not fail the whole Spark task
            rows.append(_failed_row(exc))
    return rows


def lint_batches(
    batches: Iterable[pd.DataFrame],
    id_col: str,
    text_col: str,
    settings: Settings,
    extra_rule_dirs: Sequence[str] = (),
) -> Iterator[pd.DataFrame]:
    """The ``mapInPandas`` function: pandas batches of (id, text) in, result batches out."""
    import pandas as pd

    kb = knowledge_base(extra_rule_dirs)
    columns = [name for name in OUTPUT_SCHEMA.fieldNames() if name != "id"]
    for batch in batches:
        rows = lint_texts(batch[text_col].tolist(), kb, settings)
        out = pd.DataFrame({name: [row[name] for row in rows] for name in columns})
        out.insert(0, id_col, batch[id_col].to_numpy())
        yield out


def lint_notes(
    df: DataFrame,
    text_col: str = "text",
    id_col: str = "id",
    profile: str = "cpt",
    extra_rule_dirs: Sequence[str] = (),
    select: Sequence[str] = ALL_RULES,
    ignore: Sequence[str] = (),
) -> DataFrame:
    """Lint every note in ``df``: one row per input row, ``id_col`` then :data:`RESULT_FIELDS`.

    ``extra_rule_dirs`` are read on the executors, so they must exist at the same path there
    (a shared file system, or files shipped with ``--files``/``SparkContext.addFile``). They
    are validated here on the driver first, so a broken rule file fails before the job starts.
    """
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r} (expected one of: {', '.join(PROFILES)})")
    for name in (id_col, text_col):
        if name not in df.columns:
            raise ValueError(f"no column {name!r} in the DataFrame (has: {', '.join(df.columns)})")
    dirs = tuple(str(d) for d in extra_rule_dirs)
    knowledge_base(dirs)  # raises KnowledgeBaseError on the driver, with file and line
    settings = Settings(profile=profile, select=tuple(select), ignore=tuple(ignore))
    schema = output_schema(id_col, df.schema[id_col].dataType)

    def run(batches: Iterable[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        return lint_batches(batches, id_col, text_col, settings, dirs)

    return df.select(id_col, text_col).mapInPandas(run, schema)
