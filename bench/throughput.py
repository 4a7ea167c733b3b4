"""Throughput of notelint's analysis core, measured against a floor and a medspaCy baseline.

Everything is measured in the same run, over the same files:

* floor: read and decode every file and run one pass of one compiled pattern over it;
* notelint, one core: read each file as the CLI does (``read_note``) and ``analyze`` it, in
  one pass from a fresh start, as a batch job would: lines and sentences that notes share
  (templates) are worked out once and remembered, within bounded memos;
* both are run ``--passes`` times (each notelint pass from a fresh start) and report the median,
  so neither is favoured;
* notelint, one core, nothing reused: the same, forgetting everything before each note, so
  each note costs what it would if it shared no line or sentence with another;
* notelint, all cores: as the first, in a pool of fresh (spawned) processes, one per core,
  warmed up on one note first;
* medspaCy baseline: ``spacy.blank("en")`` with spaCy's rule sentencizer and medspaCy's target
  matcher, ConText and sectionizer, target rules for the concepts notelint looks for (guidance by
  ultrasound, fluoroscopy or CT, needle procedures, permanent images, interpretation,
  localization, necessity), one core. No model is downloaded. ``--pyrush`` uses medspaCy's own
  PyRuSH sentence splitter instead (its default, much slower).

Memory: resident set size of this process at 10%, 50% and 100% of the one-core notelint run
(no report is kept, so a flat line means nothing accumulates), and peak RSS.

    python bench/build_corpus.py /tmp/notes --count 2000
    python bench/throughput.py /tmp/notes
"""

from __future__ import annotations

import argparse
import importlib
import json
import multiprocessing
import os
import re
import resource
import statistics
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

FLOOR_PATTERN = re.compile(
    r"\b(?:ultrasound|sonograph\w*|fluoroscop\w*|CT)[- ](?:guid\w*)", re.IGNORECASE
)
CHUNK = 32

TARGETS = {
    "per_core": 1000.0,  # notes/s on one core, 4 KB notes
    "vs_medspacy": 20.0,  # notelint one core / medspaCy one core
    "floor_within": 5.0,  # floor / notelint one core
    "memory_growth": 0.05,  # RSS growth from 10% to 100% of the run, as a fraction
}


@dataclass
class Row:
    name: str
    notes: int
    seconds: float
    cores: int = 1
    detail: str = ""

    @property
    def rate(self) -> float:
        return self.notes / self.seconds if self.seconds > 0 else float("inf")


@dataclass
class Results:
    corpus: str
    notes: int
    mean_bytes: float
    rows: list[Row] = field(default_factory=list)
    rss_mb: dict[str, float] = field(default_factory=dict)
    medspacy_skipped: str | None = None
    medspacy_concepts: dict[str, int] = field(default_factory=dict)
    load: dict[str, float] = field(default_factory=dict)


def rss_mb() -> float:
    """Current resident set size of this process, in MB."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # kilobytes on Linux


def read_text(path: str) -> str:
    data = Path(path).read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


# --- floor -----------------------------------------------------------------------------------


def run_floor(paths: Sequence[str], passes: int) -> Row:
    """Read, decode, one pass of one compiled pattern; the median of ``passes`` runs."""
    times = []
    hits = 0
    for _ in range(passes):
        start = time.perf_counter()
        hits = 0
        for path in paths:
            hits += sum(1 for _ in FLOOR_PATTERN.finditer(read_text(path)))
        times.append(time.perf_counter() - start)
    detail = f"{hits} matches, median of {passes}"
    return Row("floor: read + 1 regex pass", len(paths), statistics.median(times), detail=detail)


# --- notelint --------------------------------------------------------------------------------

_WORKER: dict[str, Any] = {}


# Where a module of the package lives in a tree from before core/ and inputs/ (a baseline
# measured in the same run).
_FLAT_LAYOUT = {
    "core.analysis": "analysis",
    "core.engine": "engine",
    "core.settings": "settings",
    "inputs.files": "inputs",
}


def _notelint_module(name: str) -> Any:
    """``notelint.<name>``, or where the module was in a tree of the flat layout."""
    try:
        return importlib.import_module(f"notelint.{name}")
    except ModuleNotFoundError:
        return importlib.import_module(f"notelint.{_FLAT_LAYOUT[name]}")


def _load_notelint(profile: str) -> tuple[Any, Any, Any, Any]:
    """``analyze`` bound to one engine (what notes teach the next ones, as in a batch worker,
    whose ``forget`` starts afresh), ``read_note``, the knowledge base and the settings."""
    analysis = _notelint_module("core.analysis")
    analyze = analysis.analyze
    analysis.collect_garbage_rarely()  # as `notelint check` does (for the rest of the process)
    read_note = _notelint_module("inputs.files").read_note
    settings_type = _notelint_module("core.settings").Settings
    from notelint.kb import load_knowledge_base

    kb = load_knowledge_base()
    try:
        Engine = _notelint_module("core.engine").Engine  # noqa: N806
    except ImportError:  # a tree from before engines (a baseline measured in the same run)
        forget = analysis.forget

        def analyse_old(text: str, kb: Any, settings: Any) -> Any:
            return analyze(text, kb, settings)

        analyse_old.forget = lambda: forget(kb)  # type: ignore[attr-defined]
        return analyse_old, read_note, kb, settings_type(profile=profile)
    engine = Engine(kb)

    def analyse(text: str, kb: Any, settings: Any) -> Any:
        return analyze(text, kb, settings, engine)

    analyse.forget = engine.forget  # type: ignore[attr-defined]
    return analyse, read_note, kb, settings_type(profile=profile)


def _lint(paths: Sequence[str], analyze: Any, read_note: Any, kb: Any, settings: Any) -> int:
    findings = 0
    for path in paths:
        note = read_note(path)
        if note.text is not None:
            findings += len(analyze(note.text, kb, settings).findings)
    return findings


def run_notelint_one_core(
    paths: Sequence[str], profile: str, passes: int
) -> tuple[Row, dict[str, float]]:
    """The median of ``passes`` runs, each from a fresh start (nothing remembered of the notes
    of the run before); memory is read during the first."""
    analyze, read_note, kb, settings = _load_notelint(profile)
    _lint(paths[:1], analyze, read_note, kb, settings)  # compile the knowledge base's patterns
    marks = {max(1, round(len(paths) * f)): f"{int(f * 100)}%" for f in (0.1, 0.5, 1.0)}
    rss = {"before": rss_mb()}
    times, findings = [], 0
    for number in range(passes):
        analyze.forget()
        findings = 0
        start = time.perf_counter()
        for i, path in enumerate(paths, start=1):
            note = read_note(path)
            if note.text is not None:
                findings += len(analyze(note.text, kb, settings).findings)
            if number == 0 and i in marks:
                rss[marks[i]] = rss_mb()
        times.append(time.perf_counter() - start)
    rss["peak"] = peak_rss_mb()
    detail = f"{findings} findings, median of {passes}"
    return Row("notelint, 1 core", len(paths), statistics.median(times), detail=detail), rss


def run_notelint_nothing_reused(paths: Sequence[str], profile: str) -> Row:
    """One core, forgetting before every note what earlier notes taught (lines, sentences,
    words): the cost of a note that shares nothing with any other."""
    analyze, read_note, kb, settings = _load_notelint(profile)
    findings, seconds = 0, 0.0
    for path in paths:
        analyze.forget()
        start = time.perf_counter()
        note = read_note(path)
        if note.text is not None:
            findings += len(analyze(note.text, kb, settings).findings)
        seconds += time.perf_counter() - start
    analyze.forget()
    return Row(
        "notelint, 1 core, nothing reused", len(paths), seconds, detail=f"{findings} findings"
    )


def _init_worker(profile: str, warm_path: str) -> None:
    analyze, read_note, kb, settings = _load_notelint(profile)
    _WORKER.update(analyze=analyze, read_note=read_note, kb=kb, settings=settings)
    _lint([warm_path], analyze, read_note, kb, settings)


def _worker_lint(paths: list[str]) -> int:
    w = _WORKER
    return _lint(paths, w["analyze"], w["read_note"], w["kb"], w["settings"])


def _worker_ready(delay: float) -> int:
    time.sleep(delay)
    return os.getpid()


def run_notelint_pool(paths: Sequence[str], profile: str, workers: int) -> Row:
    chunks = [list(paths[i : i + CHUNK]) for i in range(0, len(paths), CHUNK)]
    spawn = multiprocessing.get_context("spawn")  # workers start with nothing remembered
    with ProcessPoolExecutor(
        workers, mp_context=spawn, initializer=_init_worker, initargs=(profile, paths[0])
    ) as ex:
        pids = set(ex.map(_worker_ready, [0.2] * (workers * 2)))  # every worker started and warm
        start = time.perf_counter()
        findings = sum(ex.map(_worker_lint, chunks))
        seconds = time.perf_counter() - start
    return Row(
        f"notelint, {workers} processes",
        len(paths),
        seconds,
        cores=workers,
        detail=f"{findings} findings, {len(pids)} workers",
    )


# --- medspaCy baseline -----------------------------------------------------------------------


def _tok(regex: str, op: str | None = None) -> dict[str, Any]:
    token: dict[str, Any] = {"LOWER": {"REGEX": regex}}
    if op:
        token["OP"] = op
    return token


_HYPHEN = {"TEXT": {"IN": ["-", "–"]}, "OP": "?"}
_GUIDED = _tok(r"^guid(ed|ance|ing)?$")


def medspacy_rules() -> list[tuple[str, str, list[dict[str, Any]]]]:
    """(literal, category, token pattern) for the concepts notelint's knowledge base looks for."""
    under = _tok(r"^(under|using|with|via)$")
    live = _tok(r"^(real|live|continuous|intermittent|direct|time)$", "*")
    return [
        (
            "ultrasound guidance",
            "US_GUIDANCE",
            [_tok(r"^(ultrasound|us|sonographic(ally)?|sono)$"), _HYPHEN, _GUIDED],
        ),
        (
            "under ultrasound",
            "US_GUIDANCE",
            [under, _HYPHEN, live, _HYPHEN, _tok(r"^(ultrasound|sonograph(y|ic))$")],
        ),
        (
            "fluoroscopic guidance",
            "FLUORO_GUIDANCE",
            [_tok(r"^fluoro(scopic(ally)?|scopy)?$"), _HYPHEN, _GUIDED],
        ),
        (
            "under fluoroscopy",
            "FLUORO_GUIDANCE",
            [under, live, _HYPHEN, _tok(r"^fluoro(scopy|scopic)?$")],
        ),
        (
            "ct guidance",
            "CT_GUIDANCE",
            [_tok(r"^(ct|computed)$"), _tok(r"^tomograph(y|ic)$", "?"), _HYPHEN, _GUIDED],
        ),
        ("under ct", "CT_GUIDANCE", [under, live, _tok(r"^ct$")]),
        (
            "needle procedure",
            "NEEDLE_PROCEDURE",
            [
                _tok(
                    r"^(biops(y|ies)|fna|aspirat(e|ion)|injection|injected|block|drainage|ablation|thoracentesis|paracentesis|arthrocentesis|cryoablation|histotripsy|vertebroplasty)$"
                )
            ],
        ),
        (
            "needle advanced",
            "NEEDLE_PROCEDURE",
            [
                _tok(r"^(needle|introducer|probe|applicator|catheter)$"),
                _tok(r".*", "?"),
                _tok(r"^(was|were)$", "?"),
                _tok(r"^(advanced|placed|inserted|passed)$"),
            ],
        ),
        (
            "images archived",
            "PERMANENT_IMAGES",
            [
                _tok(r"^(images?|spot|key|representative)$"),
                _tok(r".*", "*"),
                _tok(r"^(archived|saved|stored|retained|recorded|sent)$"),
            ],
        ),
        ("pacs", "PERMANENT_IMAGES", [_tok(r"^pacs$")]),
        (
            "interpretation",
            "INTERPRETATION",
            [_tok(r"^(interpretation|interpreted|impression|findings?)$")],
        ),
        (
            "images showed",
            "INTERPRETATION",
            [
                _tok(r"^(images?|fluoroscopy|ultrasound|ct|contrast|sweep)$"),
                _tok(r"^(showed|shows|show|demonstrated|demonstrates|confirmed|outlined)$"),
            ],
        ),
        (
            "localized",
            "LOCALIZATION",
            [_tok(r"^(locali[sz](ed|ation)|identified|visuali[sz]ed|targeted|marked)$")],
        ),
        (
            "needle tip",
            "LOCALIZATION",
            [_tok(r"^(needle|tip)$"), _tok(r"^(tip|position|placement)$")],
        ),
        (
            "necessary",
            "NECESSITY",
            [_tok(r"^(necessary|necessity|required|needed|justification)$")],
        ),
        (
            "could not be palpated",
            "NECESSITY",
            [
                _tok(r"^(not|cannot|unable)$"),
                _tok(r".*", "?"),
                _tok(r"^(palpa(ted|ble|tion)|located|landmark)s?$"),
            ],
        ),
    ]


def load_medspacy(pyrush: bool) -> Any:
    import logging
    import warnings

    warnings.filterwarnings("ignore")
    logging.getLogger("PyRuSH").setLevel(logging.WARNING)
    try:  # PyRuSH logs every token at debug level through loguru
        from loguru import logger

        logger.remove()
    except ImportError:
        pass
    import medspacy
    import spacy
    from medspacy.target_matcher import TargetRule

    components = ["medspacy_target_matcher", "medspacy_context", "medspacy_sectionizer"]
    if pyrush:
        components.insert(0, "medspacy_pyrush")
    nlp = medspacy.load(spacy.blank("en"), medspacy_enable=components)
    if not pyrush:
        nlp.add_pipe("sentencizer", first=True)
    matcher = nlp.get_pipe("medspacy_target_matcher")
    matcher.add([TargetRule(lit, cat, pattern=pat) for lit, cat, pat in medspacy_rules()])
    return nlp


def run_medspacy(paths: Sequence[str], pyrush: bool, concepts: dict[str, int]) -> Row:
    nlp = load_medspacy(pyrush)
    nlp(read_text(paths[0]))  # warm up
    found: Counter[str] = Counter()
    entities = 0

    def texts() -> Iterator[str]:
        for path in paths:
            yield read_text(path)

    start = time.perf_counter()
    for doc in nlp.pipe(texts()):
        entities += len(doc.ents)
        found.update({e.label_ for e in doc.ents if not e._.is_negated})
    seconds = time.perf_counter() - start
    concepts.update(sorted(found.items()))
    splitter = "PyRuSH" if pyrush else "sentencizer"
    return Row(f"medspaCy ({splitter}), 1 core", len(paths), seconds, detail=f"{entities} entities")


def medspacy_missing() -> str | None:
    try:
        import medspacy  # noqa: F401
        import spacy  # noqa: F401
    except Exception as exc:  # ImportError, or a binary mismatch inside spaCy's stack
        return f"{type(exc).__name__}: {exc}".splitlines()[0][:160]
    return None


# --- report ----------------------------------------------------------------------------------


def table(results: Results) -> str:
    rows = results.rows
    floor = next((r for r in rows if r.name.startswith("floor")), None)
    one = next((r for r in rows if r.name == "notelint, 1 core"), None)
    lines = [
        f"corpus: {results.corpus}: {results.notes} notes, mean {results.mean_bytes:.0f} bytes",
        "",
        f"{'measure':<32} {'notes':>6} {'seconds':>8} {'notes/s':>9} {'per core':>9} "
        f"{'MB/s':>7} {'vs floor':>9} {'vs notelint':>12}  detail",
    ]
    mb = results.mean_bytes / 1e6
    for r in rows:
        vs_floor = f"{floor.rate / r.rate:.1f}x slow" if floor and r is not floor else "-"
        vs_nl = f"{r.rate / one.rate:.2f}x" if one else "-"
        lines.append(
            f"{r.name:<32} {r.notes:>6} {r.seconds:>8.2f} {r.rate:>9.1f} {r.rate / r.cores:>9.1f} "
            f"{r.rate * mb:>7.2f} {vs_floor:>9} {vs_nl:>12}  {r.detail}"
        )
    if results.medspacy_skipped:
        lines.append(f"{'medspaCy baseline':<32} skipped: {results.medspacy_skipped}")
    lines.append("")
    rss = results.rss_mb
    marks = ", ".join(f"{k} {rss[k]:.1f}" for k in ("before", "10%", "50%", "100%") if k in rss)
    growth = (rss["100%"] - rss["10%"]) / rss["10%"] if "10%" in rss and "100%" in rss else 0.0
    late = (rss["100%"] - rss["50%"]) / rss["50%"] if "50%" in rss and "100%" in rss else 0.0
    lines.append(
        f"memory (notelint, 1 core): RSS MB {marks}; growth 10%->100% {growth:+.1%}, "
        f"50%->100% {late:+.1%} (the memos are bounded: they fill, then level off)"
    )
    lines.append(
        f"peak RSS MB: this process {rss.get('peak', 0):.1f} after notelint, "
        f"{rss.get('final_peak', 0):.1f} at the end; pool workers {rss.get('children', 0):.1f}"
    )
    if results.medspacy_concepts:
        found = ", ".join(f"{k} {v}" for k, v in results.medspacy_concepts.items())
        lines.append(f"medspaCy notes with each concept (not negated): {found}")
    cores = os.cpu_count() or 1
    load = results.load
    busy = (
        " (other work was running: rates are low)"
        if max(load.values(), default=0) > cores / 2
        else ""
    )
    lines.append(
        f"machine: {cores} cores, 1-minute load average {load.get('start', 0):.2f} at the start, "
        f"{load.get('end', 0):.2f} at the end{busy}"
    )
    lines.append("")
    lines.extend(target_lines(results, growth))
    return "\n".join(lines)


def target_lines(results: Results, growth: float) -> list[str]:
    rows = {r.name: r for r in results.rows}
    one = rows.get("notelint, 1 core")
    floor = next((r for r in results.rows if r.name.startswith("floor")), None)
    med = next((r for r in results.rows if r.name.startswith("medspaCy")), None)
    out = ["targets (issue 5):"]

    def verdict(ok: bool) -> str:
        return "PASS" if ok else "FAIL"

    if one:
        out.append(
            f"  notelint per core >= {TARGETS['per_core']:.0f} notes/s: {one.rate:.1f} "
            f"{verdict(one.rate >= TARGETS['per_core'])}"
        )
    if one and med:
        ratio = one.rate / med.rate
        out.append(
            f"  notelint / medspaCy >= {TARGETS['vs_medspacy']:.0f}x: {ratio:.2f}x "
            f"{verdict(ratio >= TARGETS['vs_medspacy'])}"
        )
    if one and floor:
        slow = floor.rate / one.rate
        out.append(
            f"  within {TARGETS['floor_within']:.0f}x of the floor: {slow:.1f}x slower "
            f"{verdict(slow <= TARGETS['floor_within'])}"
        )
    out.append(
        f"  flat memory (growth <= {TARGETS['memory_growth']:.0%}): {growth:+.1%} "
        f"{verdict(growth <= TARGETS['memory_growth'])}"
    )
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("corpus", type=Path, help="folder of notes (bench/build_corpus.py)")
    parser.add_argument("--limit", type=int, help="use only the first N notes")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--profile", default="cpt", choices=("cpt", "ash"))
    parser.add_argument(
        "--medspacy",
        choices=("on", "auto", "off"),
        default="on",
        help="on: run the baseline (fail if medspaCy is missing); auto: skip it if missing",
    )
    parser.add_argument("--pyrush", action="store_true", help="medspaCy's PyRuSH splitter")
    parser.add_argument("--medspacy-limit", type=int, help="baseline on the first N notes only")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    parser.add_argument(
        "--passes",
        type=int,
        default=3,
        help="runs of the floor and of notelint on one core, each reported as its median",
    )
    args = parser.parse_args(argv)
    if args.passes < 1:
        parser.error("--passes must be 1 or more")

    paths = sorted(str(p) for p in args.corpus.glob("*.txt"))[: args.limit]
    if not paths:
        parser.error(f"no .txt notes in {args.corpus}")
    for path in paths:  # warm the page cache so every measure reads the same way
        Path(path).read_bytes()
    mean = sum(os.path.getsize(p) for p in paths) / len(paths)
    results = Results(str(args.corpus), len(paths), mean)
    results.load["start"] = os.getloadavg()[0]

    results.rows.append(run_floor(paths, args.passes))
    one, rss = run_notelint_one_core(paths, args.profile, args.passes)
    results.rows.append(one)
    results.rows.append(run_notelint_nothing_reused(paths, args.profile))
    results.rss_mb.update(rss)
    if args.workers > 1:
        results.rows.append(run_notelint_pool(paths, args.profile, args.workers))
    results.rss_mb["children"] = peak_rss_mb(resource.RUSAGE_CHILDREN)

    if args.medspacy != "off":
        missing = medspacy_missing()
        if missing and args.medspacy == "on":
            print(
                f"throughput: medspaCy is not usable ({missing}); use --medspacy auto",
                file=sys.stderr,
            )
            return 2
        if missing:
            results.medspacy_skipped = missing
        else:
            subset = paths[: args.medspacy_limit]
            results.rows.append(run_medspacy(subset, args.pyrush, results.medspacy_concepts))
    else:
        results.medspacy_skipped = "--medspacy off"
    results.rss_mb["final_peak"] = peak_rss_mb()
    results.load["end"] = os.getloadavg()[0]

    print(table(results))
    if args.json:
        data = asdict(results)
        for row, raw in zip(results.rows, data["rows"], strict=True):
            raw.update(notes_per_s=row.rate, per_core=row.rate / row.cores)
        args.json.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
