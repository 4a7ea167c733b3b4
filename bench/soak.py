"""Language-server memory under a long editing session: ``python bench/soak.py``.

Starts ``notelint server`` on stdio, opens a 3 KB note and sends 50,000 ``didChange``
notifications (typing and deleting one character at a time near the top, debounced as an
editor's would be), and prints the server's resident memory after opening and after every
10,000 edits. Target: under 150 MB at the end, and flat after the first 10,000 edits.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "lsp"))  # the tests' bare JSON-RPC client
sys.path.insert(0, str(ROOT / "bench"))

from lsp_bench import SERVER, note_of  # noqa: E402
from raw_client import ServerProcess  # noqa: E402

URI = "file:///soak/note.txt"


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def soak(edits: int, report_every: int) -> list[tuple[int, float]]:
    server = ServerProcess(SERVER)
    client = server.client
    client.initialize({"debounceMs": 150})
    text = note_of(3_000)
    item = {"uri": URI, "languageId": "plaintext", "version": 1, "text": text}
    client.notify("textDocument/didOpen", {"textDocument": item})
    client.notification("textDocument/publishDiagnostics", URI, timeout=30)
    pid = server.process.pid
    figures = [(0, rss_mb(pid))]
    for version in range(2, edits + 2):
        typing = version % 2 == 0  # type a character, then delete it
        end = {"line": 0, "character": 1 if not typing else 0}
        change = {"range": {"start": {"line": 0, "character": 0}, "end": end}}
        change["text"] = "x" if typing else ""
        params = {"textDocument": {"uri": URI, "version": version}, "contentChanges": [change]}
        client.notify("textDocument/didChange", params)
        if version % 500 == 0:  # let the server keep up, as a typist's pauses do
            client.request("textDocument/hover", {"textDocument": {"uri": URI}, "position": end})
            client.notifications.clear()
        if (version - 1) % report_every == 0:
            figures.append((version - 1, rss_mb(pid)))
    server.stop()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=50_000)
    parser.add_argument("--every", type=int, default=10_000)
    args = parser.parse_args()
    started = time.monotonic()
    for done, megabytes in soak(args.edits, args.every):
        print(f"after {done:6d} edits: {megabytes:6.1f} MB resident", flush=True)
    print(f"({time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
