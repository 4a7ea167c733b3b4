"""The knowledge-base cache: same results with it as without, safe when stale or corrupt."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest

from notelint.core.analysis import analyze
from notelint.kb import builtin_rules_dir, cache
from notelint.kb.loader import KnowledgeBase, _build, _fingerprint
from notelint.present.json_format import file_json

ROOT = Path(__file__).resolve().parents[1]
NOTES = sorted((ROOT / "fixtures" / "notes").glob("*.txt"))


@pytest.fixture
def where(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("NOTELINT_CACHE_DIR", str(folder))
    monkeypatch.delenv("NOTELINT_NO_CACHE", raising=False)
    return folder


def _load(dirs: tuple[str, ...]) -> KnowledgeBase:
    files = [name for name, _size, _mtime in _fingerprint(dirs)]
    return cache.load_or_build(dirs, files, lambda: _build(dirs))


def _results(kb: KnowledgeBase) -> list[str]:
    out = []
    for path in NOTES:
        text = path.read_text(encoding="utf-8")
        for variant in (text, text.upper(), text.replace("\n", "\r\n")):
            out.append(json.dumps(file_json(path.name, analyze(variant, kb))))
    return out


def test_results_from_the_cache_are_those_without_it(where: Path) -> None:
    dirs = (str(builtin_rules_dir()),)
    _load(dirs)  # writes the file
    assert len(list(where.glob("kb-*.pickle"))) == 1
    from_disk = _load(dirs)
    assert from_disk.compiled is not None  # the compiled patterns came with it
    assert from_disk.compiled._matcher is not None
    assert _results(from_disk) == _results(_build(dirs))


def test_a_corrupt_or_truncated_file_is_rebuilt_without_a_word(where: Path) -> None:
    dirs = (str(builtin_rules_dir()),)
    want = _results(_build(dirs))
    _load(dirs)
    (stored,) = where.glob("kb-*.pickle")
    good = stored.read_bytes()
    key = cache._key(dirs, [name for name, _size, _mtime in _fingerprint(dirs)])
    for broken in (b"", b"rubbish", good[: len(good) // 2], good[:-1] + b"\x00", good[:90]):
        stored.write_bytes(broken)
        assert _results(_load(dirs)) == want
        assert cache._read(stored, key) is not None  # written again, whole


def test_a_pickle_that_does_not_load_is_rebuilt(where: Path) -> None:
    dirs = (str(builtin_rules_dir()),)
    _load(dirs)
    (stored,) = where.glob("kb-*.pickle")
    data = stored.read_bytes()
    head = len(cache.FORMAT) + 64
    payload = b"\x80\x05N."  # a valid pickle of None, under a matching checksum
    checksum = hashlib.blake2b(payload, digest_size=32).digest()
    stored.write_bytes(data[: head - 32] + checksum + payload)
    assert isinstance(_load(dirs), KnowledgeBase)


def test_an_edited_rule_file_is_never_served_from_the_cache(where: Path, tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(builtin_rules_dir(), rules)
    dirs = (str(rules),)
    assert _load(dirs).rules["NL101"].summary.endswith("not interpreted in writing.")
    rule_file = rules / "rules.toml"
    before = rule_file.stat()
    text = rule_file.read_text(encoding="utf-8")
    # Same size, same modification time: only the contents tell the edit.
    rule_file.write_text(text.replace("not interpreted in", "NOT INTERPRETED IN"), encoding="utf-8")
    os.utime(rule_file, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert _load(dirs).rules["NL101"].summary.endswith("NOT INTERPRETED IN writing.")


def test_vocabularies_and_added_requirements_come_back_from_the_cache(
    where: Path, tmp_path: Path
) -> None:
    org = tmp_path / "org"
    shutil.copytree(Path(__file__).resolve().parent / "data" / "org-rules", org)
    dirs = (str(builtin_rules_dir()), str(org))
    for _ in range(2):  # built and stored, then read back
        kb = _load(dirs)
        assert list(kb.namespaces) == ["NL", "ACME"] and "ablation" in kb.code_kinds
        assert kb.codes["76942"].requires[-1].element == "time_out"
        assert kb.modifiers["RT"].side == "right"
    assert list(where.glob("kb-*.pickle"))
    # A rule file added to a folder is part of the key: a new modality is seen at once.
    (org / "optical.toml").write_text(
        '[modality.optical]\ndescription = "optical guidance"\n\n'
        '[concept."guidance.optical"]\ndescription = "optical guidance"\n'
        "patterns = ['\\boptical guidance\\b']\n",
        encoding="utf-8",
    )
    assert _load(dirs).guidance_modalities()[-1] == "optical"


def test_off_switch_and_untrusted_folders_write_nothing(
    where: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dirs = (str(builtin_rules_dir()),)
    monkeypatch.setenv("NOTELINT_NO_CACHE", "1")
    _load(dirs)
    assert not where.exists()
    monkeypatch.delenv("NOTELINT_NO_CACHE")
    where.mkdir(mode=0o777)
    where.chmod(0o777)  # writable by anyone: a planted pickle could run code
    _load(dirs)
    assert not list(where.glob("kb-*.pickle"))


def test_an_unwritable_cache_folder_is_not_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("NOTELINT_CACHE_DIR", str(blocker / "cache"))
    monkeypatch.delenv("NOTELINT_NO_CACHE", raising=False)
    dirs = (str(builtin_rules_dir()),)
    assert _results(_load(dirs)) == _results(_build(dirs))


def test_the_cache_holds_no_note_text(where: Path) -> None:
    dirs = (str(builtin_rules_dir()),)
    kb = _load(dirs)
    analyze("PATIENT Zyxwvut Qqqq had an ultrasound-guided biopsy.\nCPT: 47000\n", kb)
    _load(dirs)  # read again (and rewritten, were it stale)
    (stored,) = where.glob("kb-*.pickle")
    assert b"Zyxwvut" not in stored.read_bytes()
