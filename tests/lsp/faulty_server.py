"""``notelint server`` with a core that fails on one rule, its exception quoting the note.

Started as a script by test_lsp_robustness.py: the failure must be logged with the rule, the code
and the line, never the exception's message, and the server must go on serving other notes.
"""

from __future__ import annotations

import sys
from typing import Any

import notelint.checks.context
import notelint.core.decide
from notelint.cli import main

CANARY = "ZZCANARY-PATIENT-JANE-DOE"
_make_finding = notelint.checks.context.make_finding


def failing_make_finding(kb: Any, settings: Any, rule_id: str, span: Any, **kwargs: Any) -> Any:
    if rule_id == "NL401":
        raise ValueError(f"cannot word the finding for {CANARY}'s note")
    return _make_finding(kb, settings, rule_id, span, **kwargs)


notelint.checks.context.make_finding = failing_make_finding

if __name__ == "__main__":
    sys.exit(main(["server", *sys.argv[1:]]))
