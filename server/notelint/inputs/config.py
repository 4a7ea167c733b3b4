"""Project configuration: ``[tool.notelint]`` in pyproject.toml or a notelint.toml, found upward.

Errors name the config file and line. Paths in a config file are relative to that file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from notelint.core.findings import Severity
from notelint.core.settings import ALL_RULES, Settings
from notelint.kb.tomlpos import key_lines, line_of

if TYPE_CHECKING:
    from notelint.inputs.config_schema import ConfigModel

CONFIG_FILES = ("notelint.toml", "pyproject.toml")


class ConfigError(Exception):
    def __init__(self, file: str, line: int, message: str) -> None:
        super().__init__(f"{file}:{line}: {message}")


@dataclass(frozen=True)
class Config:
    """Settings for analysis plus run options, as merged from a config file and the command line."""

    settings: Settings = field(default_factory=Settings)
    fail_on: str = "warning"
    rule_dirs: tuple[str, ...] = ()
    max_file_size: int | None = None
    path: str | None = None  # the config file, if any


def find_config(start: Path) -> Path | None:
    """The nearest config file at or above ``start`` (a pyproject.toml counts only with [tool.notelint])."""
    directory = start if _is(start, Path.is_dir) else start.parent
    for folder in (directory.resolve(), *directory.resolve().parents):
        for name in CONFIG_FILES:
            candidate = folder / name
            if _is(candidate, Path.is_file) and (
                name != "pyproject.toml" or _has_tool_table(candidate)
            ):
                return candidate
    return None


def _is(path: Path, test: Callable[[Path], bool]) -> bool:
    """``test(path)``, False where the answer cannot be had (a folder that cannot be searched:
    reading the note then reports it)."""
    try:
        return test(path)
    except (OSError, ValueError):
        return False


def _has_tool_table(path: Path) -> bool:
    try:
        return "[tool.notelint" in path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


def load_config(path: Path, known_rules: frozenset[str]) -> Config:
    """The config in ``path``, read again whenever the file changes (size or modification time)."""
    try:
        stat = path.stat()
        stamp = (stat.st_size, stat.st_mtime_ns)
    except OSError:
        stamp = (-1, -1)  # unreadable: _load_config reports it
    return _load_config(path, known_rules, stamp)


@cache
def _load_config(path: Path, known_rules: frozenset[str], stamp: tuple[int, int]) -> Config:
    import tomllib  # only with a config file to read

    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(name, 1, f"cannot read config ({type(exc).__name__})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(name, 1, f"invalid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(name, 1, "invalid TOML: nested too deeply to read") from None
    prefix: tuple[str, ...] = ()
    table: Any = data
    if path.name == "pyproject.toml":
        prefix = ("tool", "notelint")
        tool = data.get("tool", {})
        table = tool.get("notelint", {}) if isinstance(tool, dict) else {}
    lines = key_lines(text)
    from notelint.inputs.config_schema import (  # pydantic: only with a file
        ConfigModel,
        ValidationError,
    )

    try:
        model = ConfigModel.model_validate(table)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(str(p) for p in err["loc"])
        raise ConfigError(
            name, line_of(lines, (*prefix, *loc)), f"{'.'.join(loc)}: {err['msg']}"
        ) from None
    _check_rules(model, name, lines, prefix, known_rules)
    select = tuple(model.select) if model.select is not None else ALL_RULES
    settings = Settings(
        profile=model.profile or "cpt",
        select=select + tuple(model.extend_select),
        ignore=tuple(model.ignore or ()),
        severity={rule: Severity.parse(sev) for rule, sev in model.severity.items()},
    )
    dirs = tuple(str((path.parent / d).resolve()) for d in model.rules)
    return Config(settings, model.fail_on or "warning", dirs, model.max_file_size, name)


def _check_rules(
    model: ConfigModel,
    name: str,
    lines: dict[Any, int],
    prefix: tuple[str, ...],
    known: frozenset[str],
) -> None:
    for key in ("select", "ignore", "extend_select"):
        for code in getattr(model, key) or ():
            if not any(rule.startswith(code) for rule in known):
                raise ConfigError(
                    name,
                    line_of(lines, (*prefix, key.replace("_", "-"))),
                    f"{key}: no rule matches {code!r}",
                )
    for rule in model.severity:
        if rule not in known:
            raise ConfigError(
                name,
                line_of(lines, (*prefix, "severity", rule)),
                f"severity: unknown rule {rule!r}",
            )
    both = set(model.select or ()) & set(model.ignore or ())
    if both:
        raise ConfigError(
            name,
            line_of(lines, (*prefix, "ignore")),
            f"rules both selected and ignored: {sorted(both)}",
        )
