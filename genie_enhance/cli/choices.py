"""The value sets of enumerated options: typer turns each Enum into a choice, so `--help` lists the values and a
wrong one is refused before the command runs (exit 2, naming the choices)."""

from __future__ import annotations

from enum import Enum

from genie_enhance.sql import KNOWN_DIALECTS


class ExtraColumns(str, Enum):
    """What a result column the expected SQL does not have means: a failed question, or nothing."""

    fail = "fail"
    allow = "allow"


Dialect = Enum("Dialect", {name: name for name in KNOWN_DIALECTS}, type=str)  # type: ignore[misc]
Dialect.__doc__ = "The SQL dialects sqlglot reads (`compare-sql --dialect`)."
