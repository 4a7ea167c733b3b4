"""Which modules run compiled, and the switch back to their pure-Python reference.

The build (``hatch_build.py``) compiles the analysis hot path below with Cython into extension
modules beside the sources, and records each source's SHA-256 in ``_compiled.sha256``. Python
would import an extension in preference to its source; :func:`install` puts a finder first
that imports the source instead when

* ``NOTELINT_PURE`` is set (the reference mode: tests compare the two), or
* the source no longer matches what its extension was built from (an edited checkout: the
  edit takes effect at once, pure, until the next ``pip install``).

Both run the same code, so their results are identical; only speed differs.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

# Modules of the package by dotted name within it ("core.match": the file core/match.py). The
# check modules run for every note; the registry (checks/__init__.py) only loops over them, and
# stays pure.
COMPILED = (
    "checks.context",
    "checks.coverage",
    "checks.laterality",
    "checks.modifiers",
    "checks.policies",
    "checks.reported",
    "checks.requirements",
    "checks.units",
    "checks.unresolved",
    "core.analysis",
    "core.context",
    "core.decide",
    "core.episodes",
    "core.findings",
    "core.match",
    "core.memo",
    "core.note",
    "core.positions",
    "core.prefix",
)

_HERE = Path(__file__).parent
_MANIFEST = _HERE / "_compiled.sha256"


def source(name: str) -> Path:
    """The source file of the module ``name`` of COMPILED."""
    return _HERE.joinpath(*name.split(".")).with_suffix(".py")


class _SourceFirst(importlib.abc.MetaPathFinder):
    """Imports ``notelint.<name>`` from its ``.py`` file for the names given."""

    def __init__(self, names: frozenset[str]) -> None:
        self.names = names

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        package, _, name = fullname.partition(".")
        if package != __package__ or name not in self.names:
            return None
        return importlib.util.spec_from_file_location(fullname, source(name))


def _built() -> dict[str, str]:
    """Module -> the SHA-256 of the source its extension was built from ({} when none was)."""
    try:
        lines = _MANIFEST.read_text(encoding="utf-8").splitlines()
    except OSError:
        return {}
    entries = (line.split() for line in lines)
    return {file.removesuffix(".py"): digest for digest, file in entries}


def _sources_to_run(built: dict[str, str]) -> frozenset[str]:
    if os.environ.get("NOTELINT_PURE"):
        return frozenset(COMPILED)
    stale = set()
    for name in COMPILED:
        digest = built.get(name)
        try:
            current = hashlib.sha256(source(name).read_bytes()).hexdigest()
        except OSError:
            continue  # shipped without its source: the extension is all there is
        if digest != current:
            stale.add(name)
    return frozenset(stale)


def install() -> None:
    """Put the source-first finder in place, where some module must run from its source."""
    built = _built()
    names = _sources_to_run(built) if built else frozenset()
    if names and not any(isinstance(f, _SourceFirst) for f in sys.meta_path):
        sys.meta_path.insert(0, _SourceFirst(names))


def running_compiled() -> dict[str, bool]:
    """Module -> whether it was imported compiled (for ``notelint --version`` and tests)."""
    out = {}
    for name in COMPILED:
        module = sys.modules.get(f"{__package__}.{name}")
        origin = getattr(module, "__file__", "") or ""
        out[name] = not origin.endswith(".py")
    return out
