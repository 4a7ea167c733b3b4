"""The output formats of ``notelint check`` by name. Apart from the emitters' base module, so
that each emitter imports the base and this table imports the emitters: no cycle. The less
common formats are imported only when asked for, off the start-up path."""

from __future__ import annotations

from typing import TextIO

from notelint.kb import KnowledgeBase
from notelint.present.emit import Emitter, JsonEmitter, TextEmitter

FORMATS = ("text", "json", "jsonl", "sarif", "junit", "github")


def make_emitter(fmt: str, out: TextIO, kb: KnowledgeBase) -> Emitter:
    if fmt == "text":
        return TextEmitter(out)
    if fmt == "json":
        return JsonEmitter(out)
    if fmt == "jsonl":
        from notelint.present.jsonl import JsonlEmitter

        return JsonlEmitter(out)
    if fmt == "sarif":
        from notelint.present.sarif import SarifEmitter

        return SarifEmitter(out, kb)
    if fmt == "junit":
        from notelint.present.junit import JunitEmitter

        return JunitEmitter(out)
    if fmt == "github":
        from notelint.present.github import GithubEmitter

        return GithubEmitter(out)
    raise ValueError(f"unknown format {fmt!r}")
