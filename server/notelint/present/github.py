"""GitHub Actions workflow commands: ``::warning file=…,line=…,col=…,title=NL102::message``.

Values are escaped as the runner expects: ``%``, CR and LF in the message; also ``:`` and ``,`` in
properties. Lines and columns are 1-based.
"""

from __future__ import annotations

from notelint.present.emit import Emitter
from notelint.present.results import FileResult

_COMMAND = {"error": "error", "warning": "warning", "information": "notice", "hint": "notice"}


def escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def command(kind: str, message: str, **properties: str | int) -> str:
    props = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items())
    return f"::{kind} {props}::{escape_data(message)}"


class GithubEmitter(Emitter):
    def file(self, result: FileResult) -> None:
        assert result.entry is not None
        for finding in result.entry["findings"]:
            start = finding["range"]["start"]
            line = command(
                _COMMAND[finding["severity"]],
                finding["message"],
                file=result.shown,
                line=start["line"] + 1,
                col=start["character"] + 1,
                title=finding["rule"],
            )
            self.out.write(line + "\n")

    def error(self, result: FileResult) -> None:
        self.out.write(command("error", result.error or "unreadable", file=result.shown) + "\n")
