"""The `genie-enhance` Typer application; command modules register themselves on `app`."""

from __future__ import annotations

import errno
from typing import Any

import duckdb
import typer
import typer.core
from rich.console import Console
from rich.markup import escape

from genie_enhance.errors import GenieEnhanceError


def os_error_line(exc: BaseException) -> str:
    """One line for a failed file operation, naming the path: disk full, read-only folder, permission denied."""
    if isinstance(exc, OSError):
        path = exc.filename or "a file"
        reason = exc.strerror or str(exc)
        if exc.errno == errno.ENOSPC:
            reason += " (the disk is full)"
        return f"{path}: {reason}"
    return " ".join(str(exc).split())  # DuckDB's IO errors name the file already


_FILE_FAILURES = ("No space left on device", "Read-only file system", "Permission denied", "Could not write file",
                  "Cannot open file")


def is_file_failure(exc: BaseException) -> bool:
    """An OS refusal to write a file, raised as such or inside a DuckDB error (its commit hit a full disk)."""
    return isinstance(exc, OSError) or (isinstance(exc, duckdb.Error) and any(m in str(exc) for m in _FILE_FAILURES))


class _OneLineErrors(typer.core.TyperGroup):
    """Every command: a user error the package names (`GenieEnhanceError`: bad file, unknown id, refused
    option) or a file the OS refuses to write (disk full, read-only folder) ends in one `error:` line, exit 2,
    not a traceback."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except GenieEnhanceError as exc:
            err_console.print(f"[red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None
        except (OSError, duckdb.Error) as exc:
            if not is_file_failure(exc):
                raise
            err_console.print(f"[red]error:[/] {escape(os_error_line(exc))}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None


app = typer.Typer(
    cls=_OneLineErrors,
    name="genie-enhance",
    help="Make a Databricks AI/BI Genie space measurably better: score, diagnose, fix, keep or roll back, learn.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

console = Console()
err_console = Console(stderr=True)


@app.callback()
def _root() -> None:
    """Make a Databricks AI/BI Genie space measurably better (see `genie-enhance COMMAND --help`)."""
