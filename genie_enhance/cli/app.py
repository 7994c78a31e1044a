"""The `genie-enhance` Typer application; command modules register themselves on `app`."""

from __future__ import annotations

import typer
from rich.console import Console

app = typer.Typer(
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
