"""JSON Lines: one object per linted note, the json format's file entry plus FHIR ``id``/``date``.

Each line is flushed as it is written, so a consumer can follow a long run as it goes.
"""

from __future__ import annotations

import json

from notelint.present.emit import Emitter
from notelint.present.results import FileResult


class JsonlEmitter(Emitter):
    def file(self, result: FileResult) -> None:
        assert result.entry is not None
        self.out.write(json.dumps({**result.entry, **result.meta}) + "\n")
        self.out.flush()
