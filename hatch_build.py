"""Build hook: compile the analysis hot path with Cython, beside its pure-Python sources.

The modules in ``server/notelint/_compiled.py`` (``COMPILED``) are plain, typed Python; Cython
compiles them unchanged into extension modules placed next to them (in the source tree, so an
editable install uses them too). The sources stay in the package: ``NOTELINT_PURE=1`` runs
them instead, and an extension whose source has changed since it was built is never used
(see ``_compiled.py``). Without Cython or a C compiler, or with ``NOTELINT_PURE_BUILD=1``,
the package is built pure and works the same, only slower.
"""

from __future__ import annotations

import ast
import hashlib
import os
import sys
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

ROOT = Path(__file__).parent
PACKAGE = ROOT / "server" / "notelint"


def _compiled_names() -> tuple[str, ...]:
    """``COMPILED`` of ``_compiled.py``, read without importing the package."""
    tree = ast.parse((PACKAGE / "_compiled.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "COMPILED":
            return tuple(ast.literal_eval(node.value))
    raise LookupError("COMPILED not found in _compiled.py")


def _path(name: str, suffix: str) -> Path:
    """The file of the module ``name`` of COMPILED (dotted within a subpackage) with ``suffix``."""
    return PACKAGE.joinpath(*name.split(".")).with_suffix(suffix)


def _digest(name: str) -> str:
    return hashlib.sha256(_path(name, ".py").read_bytes()).hexdigest()


class CustomBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if os.environ.get("NOTELINT_PURE_BUILD"):
            return
        names = _compiled_names()
        try:
            built = _build(names)
        except Exception as exc:  # no Cython, no compiler: pure Python still works
            print(
                f"notelint: not compiled ({type(exc).__name__}: {exc}); pure Python",
                file=sys.stderr,
            )
            return
        build_data["pure_python"] = False
        build_data["infer_tag"] = True
        build_data["artifacts"].extend(path.relative_to(ROOT).as_posix() for path in built)


def _build(names: tuple[str, ...]) -> list[Path]:
    """Compile what changed since the last build; the extension files, and the manifest of
    the sources they were built from."""
    import sysconfig

    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    manifest = PACKAGE / "_compiled.sha256"
    known = _read_manifest(manifest)
    digests = {name: _digest(name) for name in names}
    stale = [n for n in names if known.get(n) != digests[n] or not _path(n, suffix).exists()]
    if stale:
        _cythonize(stale)
    manifest.write_text("".join(f"{digests[n]}  {n}.py\n" for n in names), encoding="utf-8")
    return [*(_path(n, suffix) for n in names), manifest]


def _read_manifest(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    entries = (line.split() for line in path.read_text(encoding="utf-8").splitlines())
    return {file.removesuffix(".py"): digest for digest, file in entries}


def _cythonize(names: list[str]) -> None:
    from Cython.Build import cythonize
    from setuptools import Distribution, Extension
    from setuptools.command.build_ext import build_ext

    extensions = cythonize(
        [Extension(f"notelint.{n}", [str(_path(n, ".py"))]) for n in names],
        compiler_directives={"language_level": 3, "annotation_typing": False},
        build_dir=str(ROOT / "build" / "cython"),
        quiet=True,
        force=True,  # stale by the manifest, whatever the file times say
    )
    distribution = Distribution({"ext_modules": extensions, "package_dir": {"": "server"}})
    command = build_ext(distribution)
    command.inplace = True
    command.force = True
    command.parallel = os.cpu_count() or 1
    command.build_temp = str(ROOT / "build" / "temp")
    command.ensure_finalized()
    command.run()
