"""Writers for ``notelint check`` output: each takes results one at a time, in input order.

Every format streams: a file's output is written as soon as its result arrives, and a document
format (json, sarif, junit) keeps only running totals, so memory does not grow with the input.
"""

from __future__ import annotations

import json
from typing import TextIO

from notelint.present import json_format
from notelint.present.results import FileResult

_HEAD = f'{{\n  "version": {json_format.VERSION},\n  "files": '


class Emitter:
    """Base writer: ``file`` for each linted note, ``error`` for each unreadable one, then ``end``."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.started = False  # something was written: ``end`` must close the document

    def file(self, result: FileResult) -> None:
        raise NotImplementedError

    def error(self, result: FileResult) -> None:
        """Unreadable input; its one-line error already went to stderr."""

    def end(self, unreadable: int) -> None:
        """Close the document (formats that have one)."""


class SilentEmitter(Emitter):
    """Nothing per note: ``--statistics`` prints its table once every note is done."""

    def file(self, result: FileResult) -> None:
        pass


class TextEmitter(Emitter):
    def file(self, result: FileResult) -> None:
        for line in result.lines:
            self.out.write(line + "\n")


class JsonEmitter(Emitter):
    """The version 1 document, byte for byte as ``json.dump(..., indent=2)`` would write it."""

    def __init__(self, out: TextIO) -> None:
        super().__init__(out)
        self.tally = json_format.Tally()

    def file(self, result: FileResult) -> None:
        assert result.entry is not None
        self.out.write(",\n" if self.started else _HEAD + "[\n")
        block = result.block if result.block is not None else json_format.file_block(result.entry)
        self.out.write(block)
        self.started = True
        self.tally.add(result.entry)

    def end(self, unreadable: int) -> None:
        if self.started:
            self.out.write("\n  ],\n")
        else:
            self.out.write(_HEAD + "[],\n")
        summary = json.dumps(self.tally.as_json(unreadable), indent=2)
        self.out.write('  "summary": ' + summary.replace("\n", "\n  ") + "\n}\n")
        self.started = True
