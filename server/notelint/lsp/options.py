"""Settings for one document: the project's config file, overridden by the editor's options.

Editor options come from ``initializationOptions``, then ``workspace/configuration`` (section
``notelint``) and ``workspace/didChangeConfiguration``; either may be nested under a
``"notelint"`` key. Only the options the editor sets override the project's file; the rest come
from the file, as on the command line::

    {"profile": "cpt" | "ash",
     "select": ["NL1", "NL401"], "ignore": ["NL7"],      # or "NL1,NL401" as on the CLI
     "severity": {"NL202": "hint"},
     "rules": ["policies/"],                            # extra rule folders, from the root
     "run": "onType" | "onSave",
     "debounceMs": 150}
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from notelint.core.findings import Severity
from notelint.core.settings import PROFILES, Settings
from notelint.inputs.config import Config, ConfigError, find_config, load_config
from notelint.inputs.files import DEFAULT_MAX_BYTES
from notelint.kb import KnowledgeBase, KnowledgeBaseError, load_knowledge_base

log = logging.getLogger(__name__)

RunMode = Literal["onType", "onSave"]
DEFAULT_DEBOUNCE = 0.15  # seconds


@dataclass(frozen=True)
class ClientOptions:
    profile: str | None = None
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] | None = None
    severity: Mapping[str, Severity] = field(default_factory=dict)
    rules: tuple[str, ...] = ()  # extra rule folders
    run: RunMode = "onType"
    debounce: float = DEFAULT_DEBOUNCE

    def apply(self, settings: Settings) -> Settings:
        return settings.overridden(self.profile, self.select, self.ignore, dict(self.severity))


def parse_options(
    *sources: object, root: Path | None, rule_folders: bool = True
) -> tuple[ClientOptions, list[str]]:
    """Options from the editor's JSON objects (later ones win), and a message per ignored value.
    Without ``rule_folders`` (a client over the network) no rule folder may be named."""
    problems: list[str] = []
    raw: dict[str, Any] = {}
    for source in sources:
        nested = source.get("notelint") if isinstance(source, Mapping) else None
        values = nested if isinstance(nested, Mapping) else source  # some clients nest it
        if isinstance(values, Mapping):
            raw.update((k, v) for k, v in values.items() if v is not None)
        elif values is not None:
            problems.append("notelint settings: expected an object")
    parsed: dict[str, Any] = {}
    for key, parse in _PARSERS.items():
        if key in raw:
            try:
                parsed[key] = parse(raw[key])
            except (TypeError, ValueError) as exc:
                problems.append(f"notelint settings: {key}: {exc}")
    if "debounceMs" in parsed:
        parsed["debounce"] = parsed.pop("debounceMs") / 1000
    if parsed.get("rules") and not rule_folders:
        problems.append(
            "notelint settings: rules: this server reads no rule folder a client names"
            " (start it with --allow-client-rules)"
        )
        del parsed["rules"]
    if "rules" in parsed:
        base = root or Path.cwd()
        parsed["rules"] = tuple(str((base / d).resolve()) for d in parsed["rules"])
    return ClientOptions(**parsed), problems


def _profile(value: object) -> str:
    if value not in PROFILES:
        raise ValueError(f"expected one of {', '.join(PROFILES)}")
    return str(value)


def _strings(value: object) -> tuple[str, ...]:
    """A list of strings, or one comma-separated string as on the command line."""
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise TypeError("expected a list of strings")
    return tuple(i.strip() for i in items if i.strip())


def _severity(value: object) -> dict[str, Severity]:
    if not isinstance(value, Mapping) or not all(isinstance(v, str) for v in value.values()):
        raise TypeError('expected {"NL102": "error", ...}')
    return {str(rule): Severity.parse(level) for rule, level in value.items()}


def _run(value: object) -> RunMode:
    if value in ("onType", "onSave"):
        return value
    raise ValueError('expected "onType" or "onSave"')


MAX_DEBOUNCE_MS = 10_000  # longer, and a pull request would wait as long for its answer


def _milliseconds(value: object) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not 0 <= value <= MAX_DEBOUNCE_MS  # also refuses NaN
    ):
        raise ValueError(f"expected a number of milliseconds from 0 to {MAX_DEBOUNCE_MS}")
    return float(value)


_PARSERS = {
    "profile": _profile,
    "select": _strings,
    "ignore": _strings,
    "severity": _severity,
    "rules": _strings,
    "run": _run,
    "debounceMs": _milliseconds,
}


@dataclass(frozen=True)
class Resolved:
    kb: KnowledgeBase
    settings: Settings
    max_bytes: int
    problems: tuple[str, ...]  # config and rule-file errors, for the user (they quote no note)


class Resolver:
    """Finds and loads each document's project config; safe to call from worker threads
    (load_config reads a file again when it changes, so nothing here needs invalidating)."""

    def resolve(self, path: Path | None, options: ClientOptions, root: Path | None) -> Resolved:
        problems: list[str] = []
        base = self._kb(options.rules, problems)
        config = self._config(path or root, frozenset(base.rules), problems)
        kb = self._kb((*options.rules, *config.rule_dirs), problems) if config.rule_dirs else base
        settings = options.apply(config.settings)
        problems.extend(
            f"notelint settings: severity: unknown rule {rule!r}"
            for rule in options.severity
            if rule not in kb.rules
        )
        return Resolved(kb, settings, config.max_file_size or DEFAULT_MAX_BYTES, tuple(problems))

    @staticmethod
    def _kb(dirs: tuple[str, ...], problems: list[str]) -> KnowledgeBase:
        try:
            return load_knowledge_base(dirs)
        except KnowledgeBaseError as exc:
            problems.extend(str(e) for e in exc.errors)
            return load_knowledge_base()

    def _config(self, where: Path | None, known: frozenset[str], problems: list[str]) -> Config:
        try:
            found = find_config(where) if where else None
            if found is None:
                return Config()
            return load_config(found, known)
        except ConfigError as exc:
            problems.append(str(exc))
        except OSError as exc:  # an unreadable folder on the way up
            problems.append(f"notelint: cannot look for a config file ({exc.strerror or exc})")
        return Config()
