"""An index updated after an edit equals a fresh index of the edited text, and the server's
documents keep one that the analysis of each version shares."""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import json
from pathlib import Path

import attrs
from hypothesis import given
from hypothesis import strategies as st
from lsprotocol import types
from pygls.protocol import default_converter

from notelint.core.positions import Encoding, LineIndex, Position
from notelint.lsp import convert
from notelint.lsp.documents import Document
from notelint.lsp.linting import Job, Linter, analyse
from notelint.lsp.options import ClientOptions, Resolver

# Line breaks of every kind, and characters of 1 to 4 UTF-8 bytes and 1 or 2 UTF-16 units.
TEXT = st.text(alphabet=st.sampled_from("ab\n\r µ\U0001f600"), max_size=40)
ENCODINGS = st.sampled_from(["utf-16", "utf-8", "utf-32"])
NOTE = Path(__file__).parents[1] / "fixtures" / "notes" / "08-templated-us-biopsy-unfilled.txt"


def state(index: LineIndex) -> tuple[str, str, list[int], list[int]]:
    return index.text, index.encoding, index.line_starts, index._line_ends


@given(TEXT, st.lists(st.tuples(st.integers(0, 45), st.integers(0, 45), TEXT), max_size=6))
def test_an_edited_index_equals_a_fresh_one(text: str, edits: list[tuple[int, int, str]]) -> None:
    index = LineIndex(text, "utf-8")
    for start, end, new_text in edits:
        before = state(index)
        edited = index.edited(start, end, new_text)
        head = min(start, len(text))  # offsets past the end clamp to it
        text = text[:head] + new_text + text[max(head, min(end, len(text))) :]
        assert state(edited) == state(LineIndex(text, "utf-8"))
        assert state(index) == before  # the old index, which an analysis may hold, is untouched
        index = edited


@st.composite
def changes(draw: st.DrawFn) -> list[types.TextDocumentContentChangeEvent]:
    """Changes as an editor sends them, with positions that may point past a line's end."""
    position = st.builds(types.Position, st.integers(0, 6), st.integers(0, 8))
    partial = st.builds(
        lambda a, b, text: types.TextDocumentContentChangePartial(
            types.Range(min(a, b, key=_key), max(a, b, key=_key)), text
        ),
        position,
        position,
        TEXT,
    )
    whole = st.builds(types.TextDocumentContentChangeWholeDocument, TEXT)
    return draw(st.lists(st.one_of(partial, partial, whole), max_size=8))


def _key(p: types.Position) -> tuple[int, int]:
    return p.line, p.character


@given(TEXT, changes(), ENCODINGS)
def test_documents_keep_the_index_of_their_text(
    text: str, edits: list[types.TextDocumentContentChangeEvent], encoding: Encoding
) -> None:
    doc = Document("untitled:a.txt", text, 1, None)
    expected = text
    for change in edits:
        doc.apply(change, encoding)
        if isinstance(change, types.TextDocumentContentChangeWholeDocument):
            expected = change.text
            assert doc.index(encoding) is None  # built by the analysis, not on the event loop
            continue
        fresh = LineIndex(expected, encoding)  # what the server did before it kept indexes
        start = fresh.offset(_position(change.range.start))
        end = max(start, fresh.offset(_position(change.range.end)))
        expected = expected[:start] + change.text + expected[end:]
        assert doc.text == expected
        index = doc.index(encoding)
        assert index is not None and state(index) == state(LineIndex(expected, encoding))


def _position(p: types.Position) -> Position:
    return Position(p.line, p.character)


def test_a_document_index_is_only_shared_for_its_own_text_and_encoding() -> None:
    doc = Document("untitled:a.txt", "ab\ncd", 1, None)
    assert doc.index("utf-16") is None
    doc.adopt(LineIndex("".join(["ab\n", "cd"]), "utf-16"))  # equal text, but not the same
    assert doc.index("utf-16") is None
    doc.adopt(LineIndex(doc.text, "utf-16"))
    assert doc.index("utf-16") is not None and doc.index("utf-8") is None
    doc.text = "other"
    assert doc.index("utf-16") is None


def test_an_analysis_with_the_document_index_says_the_same() -> None:
    text = "µ 😀 a lone\rbreak\r\n" + NOTE.read_text(encoding="utf-8")  # 5 findings, with fixes
    resolver = Resolver()
    for encoding in ("utf-16", "utf-8", "utf-32"):
        job = Job("untitled:a.txt", None, text, 3, 0, ClientOptions(), encoding, None)  # type: ignore[arg-type]
        shared = LineIndex(text, encoding)  # type: ignore[arg-type]
        with_index = analyse(dataclasses.replace(job, index=shared), resolver)
        without = analyse(job, resolver)
        assert with_index.index is shared
        assert with_index.diagnostics == without.diagnostics
        assert with_index.diagnostics


def test_the_linter_shares_the_document_index_with_the_analysis() -> None:
    async def run() -> None:
        linter = Linter(deliver=lambda doc, analysis: None)
        linter.ready.set()
        doc = Document("untitled:note.txt", NOTE.read_text(encoding="utf-8"), 1, None)
        first = await linter.current(doc)
        assert doc.index("utf-16") is first.index  # adopted for the next change to update
        change = types.TextDocumentContentChangePartial(
            types.Range(types.Position(1, 0), types.Position(1, 1)), "x"
        )
        doc.apply(change, "utf-16")
        doc.version = 2
        kept = doc.index("utf-16")
        second = await linter.current(doc)
        linter.close()
        assert kept is not None and second.index is kept
        assert state(kept) == state(LineIndex(doc.text, "utf-16"))

    asyncio.run(run())


def test_diagnostics_are_sent_as_the_default_converter_writes_them() -> None:
    """``data`` passed through as it is gives the same JSON as pygls's converter copying it."""
    text = "µ 😀 a lone\rbreak\r\n" + NOTE.read_text(encoding="utf-8")
    analysis = analyse(
        Job("untitled:a.txt", None, text, 3, 0, ClientOptions(), "utf-8", None), Resolver()
    )
    params = types.PublishDiagnosticsParams("untitled:a.txt", analysis.diagnostics, 3)
    plain = types.PublishDiagnosticsParams(
        "untitled:a.txt",
        [attrs.evolve(d, data=copy.deepcopy(dict(d.data))) for d in analysis.diagnostics],
        3,
    )
    assert any(d.data["fixes"] for d in plain.diagnostics)
    assert all(type(d.data) is convert.JsonData for d in params.diagnostics)
    fast = json.dumps(convert.server_converter().unstructure(params))
    assert fast == json.dumps(default_converter().unstructure(plain))
