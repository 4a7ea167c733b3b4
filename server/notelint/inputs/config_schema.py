"""The schema of a config file's ``[tool.notelint]`` table or notelint.toml (pydantic): imported
by :mod:`notelint.inputs.config` only when there is a config file to read."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

__all__ = ["ConfigModel", "ValidationError"]


class ConfigModel(BaseModel):
    # defer_build: the schema is built on the first config file read, not at every start-up
    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)

    profile: Literal["cpt", "ash"] | None = None
    select: list[str] | None = None
    ignore: list[str] | None = None
    extend_select: list[str] = Field(default_factory=list, alias="extend-select")
    severity: dict[str, Literal["error", "warning", "information", "hint"]] = Field(
        default_factory=dict
    )
    fail_on: Literal["error", "warning", "information", "hint", "never"] | None = Field(
        default=None, alias="fail-on"
    )
    rules: list[str] = Field(default_factory=list)  # extra rule folders
    max_file_size: int | None = Field(default=None, alias="max-file-size", ge=1024)
