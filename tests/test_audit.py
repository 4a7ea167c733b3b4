"""`notelint report`: aggregation numbers, privacy by default, escaping by construction, bad input,
and a real browser render."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from notelint.cli import main
from notelint.kb import KnowledgeBase
from notelint.present.audit import page as page_module
from notelint.present.audit.aggregate import aggregate, assessed_codes
from notelint.present.audit.page import PageOptions, render_page
from notelint.present.audit.read import parse_month, parse_record, read_results
from notelint.present.audit.template import EMPTY, Markup, Template, escape, join

PATH_CANARY = "ZZCANARY-PATH-JANE-DOE"
ID_CANARY = "ZZCANARY-ID-4711"
MESSAGE_CANARY = "ZZCANARY-MESSAGE-MRN-123"
EXCERPT_CANARY = "ZZCANARY-EXCERPT-DOB-1970"
CANARIES = (PATH_CANARY, ID_CANARY, MESSAGE_CANARY, EXCERPT_CANARY)
ROOT = Path(__file__).resolve().parent.parent


def finding(rule: str, category: str, severity: str, code: str, element: str | None = None) -> Any:
    return {
        "rule": rule,
        "name": "x",
        "category": category,
        "severity": severity,
        "code": code,
        "element": element,
        "message": f"{code}: {MESSAGE_CANARY}",
        "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 1}},
        "source": {"document": "d", "line": 1},
        "fixes": [],
        "related": [],
        "excerpt": EXCERPT_CANARY,
    }


def codes(reported: list[str], suggested: list[str]) -> Any:
    return {
        "reported": [{"code": c, "modifiers": [], "units": 1} for c in reported],
        "suggested": [{"code": c, "modifiers": [], "reason": "r"} for c in suggested],
    }


def synthetic() -> list[Any]:
    """Five notes: 76942 with a gap, 76942 complete, 76942 bundled, 77012 with two gaps, nothing."""
    return [
        {
            "path": f"/exports/{PATH_CANARY}.txt",
            "id": ID_CANARY,
            "date": "2024-01-15",
            "findings": [finding("NL102", "documentation", "warning", "76942", "permanent_images")],
            "codes": codes(["76942"], ["76942"]),
        },
        {
            "path": "b.txt",
            "date": "2024-01-20T10:00:00Z",
            "findings": [],
            "codes": codes([], ["76942"]),
        },
        {
            "path": "c.txt",
            "date": "2024-02-01",
            "findings": [finding("NL301", "bundling", "error", "76942")],
            "codes": codes(["20610", "76942"], []),
        },
        {
            "path": "d.txt",
            "findings": [
                finding("NL101", "documentation", "warning", "77012", "interpretation"),
                finding("NL104", "documentation", "warning", "77012", "necessity"),
            ],
            "codes": codes(["77012"], ["77012"]),
        },
        {"path": "e.txt", "date": "not a date", "findings": [], "codes": codes([], [])},
    ]


def write_jsonl(path: Path, records: list[Any], extra: list[bytes] | None = None) -> Path:
    lines = [json.dumps(r).encode() for r in records] + (extra or [])
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


@pytest.fixture
def results(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "results.jsonl", synthetic())


def test_aggregation_numbers(results: Path, kb: KnowledgeBase) -> None:
    read = read_results([str(results)])
    assert not read.errors and read.bad_dates == 1 and len(read.notes) == 5
    audit = aggregate(read.notes, kb)
    assert (audit.notes, audit.with_findings, audit.assessed, audit.complete) == (5, 3, 3, 1)
    assert (audit.elements_present, audit.elements_total) == (9, 12)
    by_code = {stat.code: stat for stat in audit.codes}
    us = by_code["76942"]
    assert (us.assessed, us.complete, us.not_assessed) == (2, 1, 1)
    counts = {i.requirement.rule: (i.present, i.missing) for i in us.requirements}
    assert counts == {"NL101": (2, 0), "NL102": (1, 1), "NL103": (2, 0), "NL104": (2, 0)}
    ct = {i.requirement.rule: (i.present, i.missing) for i in by_code["77012"].requirements}
    assert ct == {"NL101": (0, 1), "NL102": (1, 0), "NL103": (1, 0), "NL104": (0, 1)}
    # Most frequent first; ties broken by the share of notes with the code that miss it.
    assert [(g.code, g.requirement.rule) for g in audit.gaps] == [
        ("77012", "NL101"),
        ("77012", "NL104"),
        ("76942", "NL102"),
    ]
    assert {r: dict(c) for r, c in audit.by_rule.items()} == {
        "NL101": {"warning": 1},
        "NL102": {"warning": 1},
        "NL104": {"warning": 1},
        "NL301": {"error": 1},
    }
    months = [(m.month, m.notes, m.with_findings, m.assessed, m.complete) for m in audit.months]
    assert months == [("2024-01", 2, 1, 2, 1), ("2024-02", 1, 1, 0, 0)]
    assert audit.undated == 2


def test_ash_profile_adds_its_requirements(results: Path, kb: KnowledgeBase) -> None:
    audit = aggregate(read_results([str(results)]).notes, kb, "ash")
    us = next(stat for stat in audit.codes if stat.code == "76942")
    assert "NL105" in {i.requirement.rule for i in us.requirements}


def test_unlisted_code_counts_when_reported_and_not_flagged(kb: KnowledgeBase) -> None:
    plain = parse_record({"findings": [], "codes": codes(["76496"], [])}, 1)
    assert assessed_codes(plain, kb) == ("76496",)
    flagged = parse_record(
        {
            "findings": [finding("NL201", "coding", "warning", "76496")],
            "codes": codes(["76496"], []),
        },
        2,
    )
    assert assessed_codes(flagged, kb) == ()


@pytest.mark.parametrize(
    ("value", "month"),
    [
        ("2024-03-05", "2024-03"),
        ("2024-03-05T23:10:00+02:00", "2024-03"),
        ("2024-03-05T23:10:00Z", "2024-03"),
        ("2024-03", "2024-03"),
        ("2024", None),
        ("2024-13", None),
        ("yesterday", None),
        (20240305, None),
        (None, None),
    ],
)
def test_parse_month(value: object, month: str | None) -> None:
    assert parse_month(value) == month


def report(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["report", *args])
    return code, capsys.readouterr().err


def test_no_phi_by_default(
    results: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "audit.html"
    code, err = report(capsys, str(results), "-o", str(out))
    assert code == 0
    assert err == "notelint: 1 record has a date that is not ISO 8601; counted as undated\n"
    page = out.read_text(encoding="utf-8")
    for canary in CANARIES:
        assert canary not in page
    assert "note 1" in page and "76942" in page and 'id="rule-NL102"' in page
    assert "<script" not in page and "http://" not in page and "https://" not in page


def test_flags_show_paths_and_excerpts(
    results: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths, both = tmp_path / "paths.html", tmp_path / "both.html"
    assert report(capsys, str(results), "-o", str(paths), "--include-paths")[0] == 0
    page = paths.read_text(encoding="utf-8")
    assert PATH_CANARY in page and ID_CANARY in page
    assert MESSAGE_CANARY not in page and EXCERPT_CANARY not in page
    args = [str(results), "-o", str(both), "--include-paths", "--include-excerpts"]
    assert report(capsys, *args)[0] == 0
    page = both.read_text(encoding="utf-8")
    assert all(canary in page for canary in CANARIES)


def test_everything_is_escaped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    record = synthetic()[0]
    record["path"] = "<img src=x onerror=alert(1)>.txt"
    record["findings"][0]["excerpt"] = "</q><script>alert(2)</script>"
    record["findings"][0]["rule"] = "<b>NL1</b>"
    record["findings"][0]["code"] = '"><svg onload=alert(3)>'
    results = write_jsonl(tmp_path / "r.jsonl", [record])
    out = tmp_path / "a.html"
    args = [str(results), "-o", str(out), "--include-paths", "--include-excerpts"]
    assert report(capsys, *args)[0] == 0
    page = out.read_text(encoding="utf-8")
    assert "<img" not in page and "<script" not in page and "<b>" not in page
    assert "onload" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_malformed_lines_are_skipped_and_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = synthetic()[1]
    bad = [
        b'{"path": "' + PATH_CANARY.encode() + b'", oops',
        b"[1, 2]",
        b'{"findings": "ZZCANARY-NOT-A-LIST"}',
        b"",
        b'{"findings": [], "path": "\xff\xfe"}',
        b'{"findings": [{"no": "rule"}]}',
    ]
    results = write_jsonl(tmp_path / "r.jsonl", [good], bad)
    out = tmp_path / "a.html"
    code, err = report(capsys, str(results), "-o", str(out))
    assert code == 0 and out.exists()
    lines = err.strip().splitlines()
    assert [line.split(": skipped")[0] for line in lines] == [
        f"notelint: {results}:{n}" for n in (2, 3, 4, 6, 7)
    ]
    assert "ZZCANARY" not in err
    assert "1 note" in out.read_text(encoding="utf-8")


def test_nothing_readable_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    results = write_jsonl(tmp_path / "r.jsonl", [], [b"not json", b"{}"])
    out = tmp_path / "a.html"
    code, err = report(capsys, str(results), "-o", str(out))
    assert code == 2 and not out.exists()
    assert f"{results}:1: skipped" in err and "no readable results" in err
    missing = tmp_path / "missing.jsonl"
    code, err = report(capsys, str(missing), "-o", str(out))
    assert code == 2 and f"{missing}: cannot read" in err


def test_real_check_output_round_trips(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kb: KnowledgeBase
) -> None:
    main(["check", "--format", "json", str(ROOT / "fixtures" / "notes")])
    files = json.loads(capsys.readouterr().out)["files"]
    results = write_jsonl(tmp_path / "r.jsonl", files)
    audit = aggregate(read_results([str(results)]).notes, kb)
    assert audit.notes == len(files)
    assert audit.with_findings == sum(1 for f in files if f["findings"])
    assert sum(sum(c.values()) for c in audit.by_rule.values()) == sum(
        len(f["findings"]) for f in files
    )
    page = render_page(audit, kb, PageOptions())
    assert str(ROOT) not in page and "fixtures/notes" not in page


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(
    chromium() is None and not os.environ.get("CI"), reason="chromium not installed (outside CI)"
)
def test_renders_in_headless_chromium(
    results: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    browser = chromium()
    assert browser, "CI must have chromium (see .ci/run)"
    page, shot = tmp_path / "audit.html", tmp_path / "audit.png"
    assert report(capsys, str(results), "-o", str(page))[0] == 0
    command = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        f"--screenshot={shot}",
        "--window-size=1280,2400",
        page.as_uri(),
    ]
    subprocess.run(command, capture_output=True, timeout=120, check=False)
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1280, 2400)


def test_checklists_from_the_core_agree_with_findings_for_older_results(
    capsys: pytest.CaptureFixture[str], kb: KnowledgeBase
) -> None:
    """The audit reads what the core checked; results without checklists (written before the
    field) are inferred from findings, and on real output both give the same page."""
    main(["check", "--format", "json", str(ROOT / "fixtures" / "notes")])
    files = json.loads(capsys.readouterr().out)["files"]
    assert any(f["checklists"] for f in files)
    with_lists = [parse_record(f, n) for n, f in enumerate(files, 1)]
    older = [
        parse_record({k: v for k, v in f.items() if k != "checklists"}, n)
        for n, f in enumerate(files, 1)
    ]
    assert all(note.checklists is not None for note in with_lists)
    assert all(note.checklists is None for note in older)
    options = PageOptions()
    assert render_page(aggregate(with_lists, kb), kb, options) == render_page(
        aggregate(older, kb), kb, options
    )


def test_a_missing_item_counts_even_when_its_rule_is_ignored(kb: KnowledgeBase) -> None:
    checklist = {
        "code": "76942",
        "items": [
            {"element": "interpretation", "rule": "NL101", "label": "x", "satisfied": True},
            {"element": "permanent_images", "rule": "NL102", "label": "x", "satisfied": False},
        ],
    }
    note = parse_record({"findings": [], "codes": codes([], []), "checklists": [checklist]}, 1)
    audit = aggregate([note], kb)
    (stat,) = audit.codes
    counts = {i.requirement.rule: (i.present, i.missing) for i in stat.requirements}
    assert counts["NL101"] == (1, 0) and counts["NL102"] == (0, 1)
    assert (audit.assessed, audit.complete) == (1, 0)


def test_malformed_checklists_are_rejected() -> None:
    for bad in ({}, [{"code": "76942"}], [{"code": "76942", "items": [{"element": "x"}]}]):
        with pytest.raises(ValueError, match="checklist"):
            parse_record({"findings": [], "checklists": bad}, 1)


SCRIPT = "<script>alert(1)</script>"


def test_script_in_paths_messages_and_excerpts_is_escaped_everywhere(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A note path, resource id, finding message and excerpt carrying a script tag reach every
    place of the page they are shown in, escaped, with every option that shows them."""
    records = synthetic()
    for n, record in enumerate(records):
        record["path"] = f"/notes/{SCRIPT}{n}.txt"
        record["id"] = f"{SCRIPT}id{n}"
        for item in record["findings"]:
            item["message"] = f"{item['code']}: {SCRIPT} message"
            item["excerpt"] = f"{SCRIPT} excerpt"
    results = write_jsonl(tmp_path / "r.jsonl", records)
    shown = 0
    for flags in (
        [],
        ["--include-paths"],
        ["--include-excerpts"],
        ["--include-paths", "--include-excerpts"],
    ):
        out = tmp_path / "a.html"
        assert report(capsys, str(results), "-o", str(out), *flags)[0] == 0
        page = out.read_text(encoding="utf-8")
        assert "<script" not in page.lower()
        escaped = page.count("&lt;script&gt;alert(1)&lt;/script&gt;")
        findings = sum(len(r["findings"]) for r in records)
        paths = sum(1 for r in records if r["findings"]) * 2  # path and id, notes with findings
        expected = paths * ("--include-paths" in flags) + 2 * findings * (
            "--include-excerpts" in flags
        )
        assert escaped == expected, flags
        shown += escaped
    assert shown


def test_templates_escape_everything_but_markup() -> None:
    row = Template('<td title="$title">$text</td>')
    assert row(title="\"x\" & 'y'", text="<b>") == (
        '<td title="&quot;x&quot; &amp; &#x27;y&#x27;">&lt;b&gt;</td>'
    )
    inner = row(title=1, text=2.5)
    assert isinstance(inner, Markup) and inner == '<td title="1">2.5</td>'
    assert Template("<tr>$cells</tr>")(cells=inner) == f"<tr>{inner}</tr>"
    # A str operation on Markup gives a plain str, which the next template escapes.
    assert (
        Template("<p>$x</p>")(x=inner + "<i>")
        == "<p>&lt;td title=&quot;1&quot;&gt;2.5&lt;/td&gt;&lt;i&gt;</p>"
    )
    assert join([inner, "<i>", EMPTY, 3]) == f"{inner}&lt;i&gt;3"
    assert escape(inner) is inner
    with pytest.raises(KeyError):
        row(title="only one")
    with pytest.raises(ValueError, match="template"):
        Template("<p>$ 1</p>")


def test_the_page_writes_html_only_through_templates() -> None:
    """In the page module every literal holding a tag is (part of) a Template's source, no
    f-string holds one and nothing is marked Markup by hand: so no value can skip escaping."""
    tree = ast.parse(Path(page_module.__file__).read_text(encoding="utf-8"))
    inside_templates: set[int] = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "Template"
        ):
            inside_templates.update(id(child) for child in ast.walk(node))
    css = next(
        n.value
        for n in ast.walk(tree)
        if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", "") == "CSS"
    )
    inside_templates.update(id(child) for child in ast.walk(css))
    wrong = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr) and "<" in ast.unparse(node):
            wrong.append(f"line {node.lineno}: f-string with a tag")
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and "<" in node.value
            and id(node) not in inside_templates
        ):
            wrong.append(f"line {node.lineno}: a tag outside a Template")
        elif isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Markup":
            wrong.append(f"line {node.lineno}: Markup made by hand")
    assert wrong == []
