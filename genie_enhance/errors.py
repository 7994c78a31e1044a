"""Exceptions shared across layers.

Every error a user can cause carries enough context (file and line, or JSON path / field) to be fixed without
reading our code.
"""

from __future__ import annotations


class GenieEnhanceError(Exception):
    """Base class of every error this package raises on purpose."""


class ReadOnlySqlError(GenieEnhanceError):
    """SQL that is not a single read-only SELECT/WITH statement (DDL, DML, several statements)."""


class SqlParseError(GenieEnhanceError):
    """SQL that sqlglot cannot parse in the Databricks dialect."""


class SqlExecutionError(GenieEnhanceError):
    """A warehouse failed to run a (read-only) statement."""

    def __init__(self, message: str, *, sql: str | None = None, sql_state: str | None = None) -> None:
        super().__init__(message)
        self.sql = sql
        self.sql_state = sql_state


class SpaceFormatError(GenieEnhanceError):
    """A serialized_space document that cannot be parsed; `problems` holds one `path: message` per issue."""

    def __init__(self, source: str, problems: list[str]) -> None:
        listed = f" {problems[0]}" if len(problems) == 1 else "\n" + "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{source}: invalid Genie space:{listed}")  # one problem: one line
        self.source = source
        self.problems = problems


class BenchmarkError(GenieEnhanceError):
    """A malformed benchmark file; names the file and (1-based) line."""

    def __init__(self, path: str, line: int | None, message: str) -> None:
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {message}")
        self.path = path
        self.line = line
        self.message = message


class ServiceError(GenieEnhanceError):
    """A backend service failed to do its job (throttled, unavailable, an API error): says nothing about the SQL
    or the space, so scoring reports it apart instead of counting a wrong answer. A `fatal` one (bad credentials)
    stops the run instead, since asking again cannot help."""

    fatal: bool = False


class ConcurrentEditError(GenieEnhanceError):
    """The space changed since it was exported (stale etag); nothing was written."""


class ConfigError(GenieEnhanceError):
    """Invalid genie_enhance.yaml or command-line configuration; names the field."""


class FixError(GenieEnhanceError):
    """A fix that cannot apply to this space (e.g. it names a table the space does not have)."""
