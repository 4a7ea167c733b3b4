"""The README's examples are the tool's real output: each ``printf '…' | notelint …`` block
must print exactly what the README shows, and an ``explain`` block whose elided parts are
marked ``...`` must show the rest in order. ``python tests/test_readme.py`` rewrites the
printf blocks from the tool's current output."""

from __future__ import annotations

import contextlib
import io
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import regex

from notelint.cli import main

README = Path(__file__).resolve().parents[1] / "README.md"
PRINTF_BLOCK = regex.compile(
    r"```console\n\$ printf '(?P<note>[^']*)' \| notelint (?P<args>[^\n]*)\n(?P<output>.*?)```",
    regex.DOTALL,
)
EXPLAIN_BLOCK = regex.compile(
    r"```console\n\$ notelint (?P<args>explain [^\n]*)\n(?P<output>.*?)```", regex.DOTALL
)


def run_notelint(args: str, stdin: str = "") -> str:
    """What ``notelint ARGS`` prints on stdout, in this process (one job: no worker pool)."""
    argv = shlex.split(args)
    if argv[0] == "check":
        argv.insert(1, "--jobs=1")
    out = io.StringIO()
    with _stdin(stdin), contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        main(argv)
    return out.getvalue()


@contextlib.contextmanager
def _stdin(text: str) -> Iterator[None]:
    saved = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(text.encode("utf-8")), encoding="utf-8")
    try:
        yield
    finally:
        sys.stdin = saved


def _printf_blocks() -> list[regex.Match[str]]:
    return list(PRINTF_BLOCK.finditer(README.read_text(encoding="utf-8")))


def test_the_readme_has_the_examples_this_test_checks() -> None:
    assert len(_printf_blocks()) >= 2 and EXPLAIN_BLOCK.search(README.read_text("utf-8"))


@pytest.mark.parametrize("block", _printf_blocks(), ids=lambda m: m["args"])
def test_each_printf_example_shows_the_real_output(block: regex.Match[str]) -> None:
    actual = run_notelint(block["args"], block["note"])
    assert block["output"] == actual, "run `python tests/test_readme.py` to regenerate"


def test_the_explain_example_shows_real_lines_in_order() -> None:
    block = EXPLAIN_BLOCK.search(README.read_text(encoding="utf-8"))
    assert block is not None
    actual, at = run_notelint(block["args"]), 0
    shown = [part for part in regex.split(r"(?m)^\.\.\.\n", block["output"]) if part]
    assert len(shown) >= 2  # the elisions are marked, and something is shown between them
    for part in shown:
        found = actual.find(part, at)
        assert found >= 0, f"not in `notelint {block['args']}` as shown: {part!r}"
        at = found + len(part)


def test_the_first_set_up_command_ends_as_the_readme_says() -> None:
    """`notelint check fixtures/notes/` ends with the summary line and exits 1, as Set up says."""
    readme = " ".join(README.read_text(encoding="utf-8").split())  # wrapping aside
    assert "pip install . && notelint check fixtures/notes/" in readme
    assert "**Its exit status is 1, and that is expected:**" in readme
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["check", "--jobs=1", str(README.parent / "fixtures" / "notes")])
    assert code == 1
    assert regex.fullmatch(
        r"Found \d+ findings in \d+ of 30 notes; .*\.", out.getvalue().splitlines()[-1]
    )


def regenerate() -> None:
    text = README.read_text(encoding="utf-8")

    def real(block: regex.Match[str]) -> str:
        output = run_notelint(block["args"], block["note"])
        return block.group(0).replace(block["output"], output, 1)

    README.write_text(PRINTF_BLOCK.sub(real, text), encoding="utf-8")


if __name__ == "__main__":
    regenerate()
