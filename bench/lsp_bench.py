"""Language-server latency and memory: ``python bench/lsp_bench.py``.

Measures, against ``notelint server`` on stdio, the time from sending ``didChange`` to receiving
the ``publishDiagnostics`` for that version (debounce set to 0, so it is excluded), on notes of
3 KB, 30 KB and 300 KB, typing one character at a time near the top (at least 200 rounds at each
size, so that the p99 is not simply the slowest round); the same round trip for a request that needs no analysis (hover on
text with no code, already analysed) as the baseline; analyze() called in this process as the
floor; and the server's resident memory after opening 100 notes.

Targets: median under 5 ms at 3 KB, p99 under 50 ms at 300 KB, under 150 MB resident.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "lsp"))  # the tests' bare JSON-RPC client

from raw_client import RawClient, ServerProcess  # noqa: E402

from notelint.core.analysis import analyze, collect_garbage_rarely  # noqa: E402
from notelint.core.engine import Engine  # noqa: E402
from notelint.kb import load_knowledge_base  # noqa: E402

SERVER = [sys.executable, "-m", "notelint.cli", "server"]
SIZES = {"3 KB": 3_000, "30 KB": 30_000, "300 KB": 300_000}
CAPABILITIES = {"textDocument": {"publishDiagnostics": {"versionSupport": True}}}


SHARED = ROOT.parent / "shared" / "corpus" / "dev"


def corpus() -> str:
    notes = sorted((ROOT / "fixtures" / "notes").glob("*.txt"))
    if not SHARED.is_dir():
        print(
            f"lsp_bench: WARNING: {SHARED} is absent: the test notes are built from fewer "
            "source notes; figures are not comparable with runs that had it",
            file=sys.stderr,
        )
    notes += sorted(SHARED.glob("*.txt"))
    return "\n\n".join(p.read_text(encoding="utf-8") for p in notes)


def note_of(size: int, seed: str = "") -> str:
    text = corpus()
    text = f"{seed}\n" + text * (size // len(text) + 1)
    return text[:size]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f}"


class Bench:
    def __init__(self) -> None:
        self.server = ServerProcess(SERVER)
        self.client: RawClient = self.server.client
        self.client.request(
            "initialize",
            {
                "processId": None,
                "capabilities": CAPABILITIES,
                "initializationOptions": {"debounceMs": 0},
            },
        )
        self.client.notify("initialized", {})
        self.versions: dict[str, int] = {}
        self.texts: dict[str, str] = {}

    def open(self, uri: str, text: str) -> None:
        self.versions[uri], self.texts[uri] = 1, text
        item = {"uri": uri, "languageId": "plaintext", "version": 1, "text": text}
        self.client.notify("textDocument/didOpen", {"textDocument": item})
        self.published(uri, 1)

    def published(self, uri: str, version: int) -> dict[str, Any]:
        while True:
            message = self.client.notification("textDocument/publishDiagnostics", uri, 120)
            if message["params"].get("version") == version:
                return message

    def change(self, uri: str) -> float:
        """Type one character at the start of line 1 (so every version is new text, and all
        that follows moves) and time until the new diagnostics arrive."""
        self.versions[uri] += 1
        version = self.versions[uri]
        change = {
            "range": {"start": {"line": 1, "character": 0}, "end": {"line": 1, "character": 0}},
            "text": "ab"[version % 2],
        }
        text = self.texts[uri]
        line = text.index("\n") + 1
        self.texts[uri] = text[:line] + change["text"] + text[line:]
        started = time.perf_counter()
        self.client.notify(
            "textDocument/didChange",
            {"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]},
        )
        self.published(uri, version)
        return time.perf_counter() - started

    def hover(self, uri: str) -> float:
        started = time.perf_counter()
        response = self.client.request(
            "textDocument/hover",
            {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 0}},
        )
        assert response.get("result") is None and "error" not in response
        return time.perf_counter() - started

    def rss_mb(self) -> float:
        status = Path(f"/proc/{self.server.process.pid}/status").read_text()
        line = next(li for li in status.splitlines() if li.startswith("VmRSS:"))
        return int(line.split()[1]) / 1024

    def stop(self) -> None:
        self.server.stop()


def timed(run: Callable[[], float], rounds: int) -> list[float]:
    return [run() for _ in range(rounds)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200, help="didChange rounds at 3 KB")
    args = parser.parse_args()
    collect_garbage_rarely()  # analyze() here as in the server, which does the same
    kb = load_knowledge_base()
    engine = Engine(kb)  # as the server keeps one: an edit of a long note is reparsed in part
    bench = Bench()
    rss_start = bench.rss_mb()

    rows = []
    baseline: list[float] = []
    for label, size in SIZES.items():
        text = note_of(size)
        uri = f"untitled:bench-{size}.txt"
        bench.open(uri, text)
        rounds = max(200, args.rounds * 3_000 // size)  # so that p99 is not just the slowest
        timed(lambda uri=uri: bench.change(uri), 3)  # warm up
        latencies, floor = [], []
        for _ in range(rounds):  # paired, so that both see the same machine load
            latencies.append(bench.change(uri))
            floor.append(_analyze_time(bench.texts[uri], kb, engine))
        baseline += timed(lambda uri=uri: bench.hover(uri), 50)
        rows.append((label, rounds, latencies, floor))

    for number in range(100):
        bench.open(f"untitled:memory-{number}.txt", note_of(3_000, seed=f"note {number}"))
    rss_100 = bench.rss_mb()
    bench.stop()
    report(rows, baseline, rss_start, rss_100)
    return 0


def _analyze_time(text: str, kb: Any, engine: Engine) -> float:
    started = time.perf_counter()
    analyze(text, kb, None, engine)
    return time.perf_counter() - started


def report(
    rows: list[tuple[str, int, list[float], list[float]]],
    baseline: list[float],
    rss_start: float,
    rss_100: float,
) -> None:
    base = statistics.median(baseline)
    print("didChange -> publishDiagnostics (debounce 0), milliseconds")
    print(
        f"{'note':>7} {'rounds':>6} {'median':>8} {'p99':>8} {'analyze()':>9} "
        f"{'server':>8} {'x round trip':>12} {'x analyze()':>11}"
    )
    for label, rounds, latencies, floor in rows:
        median, floor_median = statistics.median(latencies), statistics.median(floor)
        server = statistics.median(a - b for a, b in zip(latencies, floor, strict=True))
        print(
            f"{label:>7} {rounds:>6} {ms(median)} {ms(percentile(latencies, 0.99))} "
            f"{ms(floor_median):>9} {ms(server)} "
            f"{median / base:>12.1f} {median / floor_median:>11.2f}"
        )
    print(
        "(analyze(): the core alone on the same text, in this process, after each round;"
        " server: median of the per-round differences)"
    )
    print(
        f"baseline round trip (hover, no analysis needed): median {ms(base).strip()} ms, "
        f"p99 {ms(percentile(baseline, 0.99)).strip()} ms"
    )
    print(f"server RSS: {rss_start:.0f} MB after initialize, {rss_100:.0f} MB with 100 notes open")
    small, large = rows[0][2], rows[-1][2]
    print(
        "targets: median at 3 KB < 5 ms: "
        f"{'met' if statistics.median(small) < 0.005 else 'NOT met'}; "
        f"p99 at 300 KB < 50 ms: {'met' if percentile(large, 0.99) < 0.050 else 'NOT met'}; "
        f"RSS < 150 MB: {'met' if rss_100 < 150 else 'NOT met'}"
    )


if __name__ == "__main__":
    sys.exit(main())
