"""The output formats of ``notelint check`` by name. Apart from the emitters' base module, so
that each emitter imports the base and this table imports the emitters: no cycle. The less
common formats are imported only when asked for, off the start-up path.

A format is a name in :data:`FORMATS` and a factory that makes its :class:`Emitter` for one run
from the output stream and the knowledge base. The command line's ``--format`` choices are the
table's names when its parser is built, and :func:`make_emitter` looks the name up there, so a
format added to the table (in this module, or at run time before the command line is built, as
``tests/test_add_output_format.py`` does) is one ``notelint check`` can write.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

from notelint.kb import KnowledgeBase
from notelint.present.emit import Emitter, JsonEmitter, TextEmitter

EmitterFactory = Callable[[TextIO, KnowledgeBase], Emitter]


def _text(out: TextIO, kb: KnowledgeBase) -> Emitter:
    return TextEmitter(out)


def _json(out: TextIO, kb: KnowledgeBase) -> Emitter:
    return JsonEmitter(out)


def _jsonl(out: TextIO, kb: KnowledgeBase) -> Emitter:
    from notelint.present.jsonl import JsonlEmitter

    return JsonlEmitter(out)


def _sarif(out: TextIO, kb: KnowledgeBase) -> Emitter:
    from notelint.present.sarif import SarifEmitter

    return SarifEmitter(out, kb)


def _junit(out: TextIO, kb: KnowledgeBase) -> Emitter:
    from notelint.present.junit import JunitEmitter

    return JunitEmitter(out)


def _github(out: TextIO, kb: KnowledgeBase) -> Emitter:
    from notelint.present.github import GithubEmitter

    return GithubEmitter(out)


FORMATS: dict[str, EmitterFactory] = {
    "text": _text,
    "json": _json,
    "jsonl": _jsonl,
    "sarif": _sarif,
    "junit": _junit,
    "github": _github,
}


def make_emitter(fmt: str, out: TextIO, kb: KnowledgeBase) -> Emitter:
    factory = FORMATS.get(fmt)
    if factory is None:
        raise ValueError(f"unknown format {fmt!r}")
    return factory(out, kb)
