"""JUnit XML: one testsuite per note, one failing testcase per finding, a passing case when clean.

Unreadable input becomes a testsuite with one errored case. Suites are written as they arrive;
the root element carries no totals, so nothing has to be held until the end.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from notelint.present.emit import Emitter
from notelint.present.results import FileResult

# Characters XML 1.0 cannot carry even escaped (a control character in a file name).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _clean(value: str) -> str:
    return _NOT_XML.sub("\ufffd", value)


class JunitEmitter(Emitter):
    def _begin(self) -> None:
        if not self.started:
            self.out.write('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="notelint">\n')
            self.started = True

    def file(self, result: FileResult) -> None:
        assert result.entry is not None
        name = _clean(result.shown)
        findings = result.entry["findings"]
        suite = self._suite(name, tests=max(len(findings), 1), failures=len(findings), errors=0)
        for finding in findings:
            start = finding["range"]["start"]
            where = f"{start['line'] + 1}:{start['character'] + 1}"
            case = ET.SubElement(
                suite, "testcase", classname=name, name=f"{finding['rule']} at {where}"
            )
            failure = ET.SubElement(
                case, "failure", message=_clean(finding["message"]), type=finding["rule"]
            )
            failure.text = _clean(f"{result.shown}:{where}: {finding['rule']} {finding['message']}")
        if not findings:
            ET.SubElement(suite, "testcase", classname=name, name="notelint")
        self._write(suite)

    def error(self, result: FileResult) -> None:
        name = _clean(result.shown)
        suite = self._suite(name, tests=1, failures=0, errors=1)
        case = ET.SubElement(suite, "testcase", classname=name, name="read")
        ET.SubElement(case, "error", message=_clean(result.error or "unreadable"), type="input")
        self._write(suite)

    def end(self, unreadable: int) -> None:
        self._begin()
        self.out.write("</testsuites>\n")

    @staticmethod
    def _suite(name: str, tests: int, failures: int, errors: int) -> ET.Element:
        return ET.Element(
            "testsuite",
            name=name,
            tests=str(tests),
            failures=str(failures),
            errors=str(errors),
            skipped="0",
        )

    def _write(self, suite: ET.Element) -> None:
        self._begin()
        ET.indent(suite, space="  ", level=1)
        self.out.write("  " + ET.tostring(suite, encoding="unicode") + "\n")
