"""`compare-sql`: compare two queries' results on a DuckDB warehouse (for debugging a benchmark question).

Exit codes: 0 pass, 1 fail or needs_review, 2 error (the expected SQL is broken, or bad input such as a missing
warehouse file).
"""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path

import duckdb
import typer
from rich.markup import escape
from rich.table import Table

from genie_enhance.backends.local.warehouse import DuckDBWarehouse
from genie_enhance.cli.app import app, console, err_console
from genie_enhance.scoring import CompareOptions, Comparison, Verdict, compare_sql

_COLORS = {Verdict.PASS: "green", Verdict.FAIL: "red", Verdict.NEEDS_REVIEW: "yellow", Verdict.ERROR: "magenta"}
EXIT_CODES = {Verdict.PASS: 0, Verdict.FAIL: 1, Verdict.NEEDS_REVIEW: 1, Verdict.ERROR: 2}


class ExtraColumns(str, Enum):
    fail = "fail"
    allow = "allow"


@app.command("compare-sql")
def compare_sql_command(
    warehouse: Path = typer.Option(..., "--warehouse", help="DuckDB file to run both queries on (read-only)."),
    expected: str = typer.Option(..., "--expected", help="The known-good SQL (Databricks dialect)."),
    actual: str = typer.Option(..., "--actual", help="The SQL to judge (Databricks dialect)."),
    catalog: str | None = typer.Option(None, "--catalog", help="Catalog name to attach the file under "
                                       "(default: the file stem)."),
    extra_columns: ExtraColumns = typer.Option(ExtraColumns.fail, "--extra-columns",
                                               help="Whether extra answer columns fail the comparison."),
    rtol: float = typer.Option(1e-4, "--rtol", help="Relative tolerance for numbers."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON line instead of a table."),
) -> None:
    """Run EXPECTED and ACTUAL and say whether ACTUAL's result matches, with the reason.

    Exit code 0 = pass, 1 = fail or needs_review, 2 = error (broken expected SQL or bad input).
    """
    if not warehouse.is_file():
        err_console.print(f"[red]error:[/red] warehouse file not found: {escape(str(warehouse))}")
        raise typer.Exit(2)
    try:
        options = CompareOptions(rtol=rtol, extra_columns=extra_columns.value)
    except ValueError as exc:
        err_console.print(f"[red]error:[/red] invalid option: {escape(str(exc).splitlines()[-1])}")
        raise typer.Exit(2) from exc
    try:
        wh = DuckDBWarehouse(warehouse, catalog=catalog)
    except duckdb.Error as exc:
        err_console.print(f"[red]error:[/red] cannot open warehouse {escape(str(warehouse))}: {escape(str(exc))}")
        raise typer.Exit(2) from exc
    try:
        result = compare_sql(wh, expected, actual, options)
    finally:
        wh.close()
    if as_json:
        typer.echo(json.dumps(result.to_dict(), ensure_ascii=False))
    else:
        _print(result)
    raise typer.Exit(EXIT_CODES[result.verdict])


def _print(result: Comparison) -> None:
    color = _COLORS[result.verdict]
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    table.add_row("verdict", f"[{color}]{result.verdict.value}[/{color}]")
    table.add_row("reason", result.reason.value)
    table.add_row("details", escape(result.details))
    if result.expected_rows is not None:
        table.add_row("rows", f"expected {result.expected_rows}, actual "
                              f"{'-' if result.actual_rows is None else result.actual_rows}")
    if result.column_mapping:
        pairs = [f"{escape(result.expected_columns[i])} ← {escape(result.actual_columns[j])}"
                 for i, j in result.column_mapping.items()]
        table.add_row("columns", ", ".join(pairs))
    if result.order != "none":
        table.add_row("order", result.order)
    for note in result.notes:
        table.add_row("note", escape(note))
    console.print(table)
