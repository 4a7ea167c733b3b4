"""A cache of the validated knowledge base and its compiled patterns, between runs.

Validating the rule files and compiling their patterns takes far longer than linting a note, and
both depend on nothing but the rule files and the code that reads them. So the result is pickled
to a file in the user's cache folder and, next time, loaded in a few milliseconds.

- The file is used only when its key matches: the rule files' contents, the folders named, and
  the versions of notelint (its source files' sizes and times too), Python, regex and pydantic
  (its installed files' sizes and times: the cache is read without importing it).
  A stale, truncated or corrupt file is rebuilt without a word; a cache that cannot be read or
  written is simply not used. Results never depend on it.
- It holds rules only: it is written before any note is analysed (nothing remembered).
- It is trusted only in a folder that this user owns and no one else may write to (a pickle can
  run code).
- ``NOTELINT_NO_CACHE=1`` (or ``notelint check --no-cache``) turns it off; ``NOTELINT_CACHE_DIR``
  moves it.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import pickle
import stat
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from notelint.kb.loader import KnowledgeBase

FORMAT = b"notelint-kb-cache-1\n"
_DIGEST = 32  # bytes of each blake2b digest in the header
_KEEP = 16  # cache files kept: one per set of rule folders, the least recently written go


def enabled() -> bool:
    return os.environ.get("NOTELINT_NO_CACHE", "") in ("", "0")


def disable() -> None:
    """Turn the cache off for this process and the processes it starts."""
    os.environ["NOTELINT_NO_CACHE"] = "1"


def cache_dir() -> Path:
    """``$NOTELINT_CACHE_DIR``, else the platform's user cache folder plus ``notelint``."""
    if configured := os.environ.get("NOTELINT_CACHE_DIR"):
        return Path(configured)
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "notelint" / "cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "notelint"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "notelint"


def load_or_build(
    dirs: tuple[str, ...], files: Iterable[str], build: Callable[[], KnowledgeBase]
) -> KnowledgeBase:
    """The knowledge base of ``dirs`` (whose rule files are ``files``), from the cache when it
    holds this one, else built, compiled and stored."""
    if not enabled():
        return build()
    try:
        key = _key(dirs, files)
        name = hashlib.blake2b(repr(dirs).encode(), digest_size=12).hexdigest()
        path = cache_dir() / f"kb-{name}.pickle"
    except OSError:  # a rule file vanished while being read: the loader will say so
        return build()
    cached = _read(path, key)
    if cached is not None:
        return cached
    kb = build()
    _compile(kb)
    _write(path, key, kb)
    return kb


def _key(dirs: tuple[str, ...], files: Iterable[str]) -> bytes:
    import regex

    from notelint import __version__

    digest = hashlib.blake2b(digest_size=_DIGEST)
    versions = (__version__, sys.version, regex.__version__, _validator_version(), dirs)
    digest.update(repr(versions).encode())
    for name in files:
        digest.update(name.encode("utf-8", "surrogateescape") + b"\0")
        digest.update(Path(name).read_bytes() + b"\0")
    package = Path(__file__).resolve().parent.parent
    for source in sorted(package.rglob("*.py")):  # a changed reader makes old pickles stale
        info = source.stat()
        digest.update(f"{source.relative_to(package)}:{info.st_size}:{info.st_mtime_ns}".encode())
    return digest.digest()


def _validator_version() -> str:
    """Which pydantic validated the cached rules (what it accepts may change with it), told by
    its installed files rather than by importing it: loading from the cache needs no pydantic."""
    found = importlib.util.find_spec("pydantic")
    if found is None or found.origin is None:
        return "none"
    stamps = []
    for name in ("version.py", "../pydantic_core/__init__.py"):
        try:
            info = (Path(found.origin).parent / name).stat()
        except OSError:
            continue
        stamps.append(f"{name}:{info.st_size}:{info.st_mtime_ns}")
    return f"{found.origin} {' '.join(stamps)}"


def _compile(kb: KnowledgeBase) -> None:
    """Compile the patterns now, so that the cache holds them too (the one table of the
    compiled rules that takes long to build: see ``compiled_rules.py``)."""
    from notelint.core.compiled_rules import CompiledRules

    CompiledRules.of(kb).matcher  # noqa: B018 (built on first use)


def _trusted(folder: Path) -> bool:
    """This user's folder, writable by no one else (a planted pickle could run code)."""
    if not hasattr(os, "getuid"):
        return True  # Windows: the profile folder is private to its user
    info = folder.stat()
    return info.st_uid == os.getuid() and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _read(path: Path, key: bytes) -> KnowledgeBase | None:
    from notelint.kb.loader import KnowledgeBase

    try:
        if not _trusted(path.parent):
            return None
        data = path.read_bytes()
    except OSError:
        return None
    head = len(FORMAT) + 2 * _DIGEST
    if len(data) < head or not data.startswith(FORMAT):
        return None
    stored_key, checksum = data[len(FORMAT) : head - _DIGEST], data[head - _DIGEST : head]
    payload = memoryview(data)[head:]
    if stored_key != key or hashlib.blake2b(payload, digest_size=_DIGEST).digest() != checksum:
        return None
    try:
        kb = pickle.loads(payload)
    except Exception:  # a file that passed its checksum yet does not load: rebuild it
        return None
    return kb if isinstance(kb, KnowledgeBase) else None


def _write(path: Path, key: bytes, kb: KnowledgeBase) -> None:
    if kb.compiled is not None and kb.compiled.remembered():  # never (memos belong to
        return  # engines): but note text must not reach the disk
    try:
        payload = pickle.dumps(kb, protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError):
        return
    checksum = hashlib.blake2b(payload, digest_size=_DIGEST).digest()
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if _trusted(path.parent):
            _replace(path, FORMAT + key + checksum, payload)
            _prune(path.parent)
    except OSError:
        return


def _replace(path: Path, head: bytes, payload: bytes) -> None:
    """Write a new file beside ``path`` and rename it over: a reader never sees half a file."""
    import tempfile  # only when writing: not on the start-up path

    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".kb-", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(head)
            out.write(payload)
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _prune(folder: Path) -> None:
    """Keep the most recently written few: each set of rule folders has a file of its own."""
    files = sorted(folder.glob("kb-*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in files[_KEEP:]:
        with contextlib.suppress(OSError):
            old.unlink()
