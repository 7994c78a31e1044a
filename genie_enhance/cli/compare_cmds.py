"""`compare-sql`: compare two queries' results on a DuckDB warehouse (for debugging a benchmark question), or a
whole file of pairs (`--pairs`).

Exit codes: one pair: 0 pass, 1 fail or needs_review, 2 error (the expected SQL is broken, or bad input such as a
missing warehouse file). `--pairs`: 0 once every pair is judged (verdicts are in the output), 2 bad input.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import NoReturn

import duckdb
import typer
from rich.markup import escape
from rich.table import Table

from genie_enhance.backends.local.warehouse import DuckDBWarehouse
from genie_enhance.cli.app import app, console, err_console
from genie_enhance.cli.choices import Dialect, ExtraColumns
from genie_enhance.errors import BenchmarkError
from genie_enhance.scoring import CompareOptions, Comparison, Verdict, compare_sql
from genie_enhance.scoring.batch import PairOutcome, SqlPair, compare_pairs, read_pairs, summarize
from genie_enhance.sql import DIALECT

_COLORS = {Verdict.PASS: "green", Verdict.FAIL: "red", Verdict.NEEDS_REVIEW: "yellow", Verdict.ERROR: "magenta"}
EXIT_CODES = {Verdict.PASS: 0, Verdict.FAIL: 1, Verdict.NEEDS_REVIEW: 1, Verdict.ERROR: 2}


DEFAULT_DIALECT = Dialect(DIALECT)


@app.command("compare-sql")
def compare_sql_command(
    warehouse: Path = typer.Option(..., "--warehouse", help="DuckDB file to run both queries on (read-only)."),
    expected: str | None = typer.Option(None, "--expected", help="The known-good SQL."),
    actual: str | None = typer.Option(None, "--actual", help="The SQL to judge."),
    pairs: Path | None = typer.Option(None, "--pairs", help='JSON Lines file of {"id", "expected", "actual"} '
                                      "to judge instead of --expected/--actual."),
    dialect: Dialect = typer.Option(DEFAULT_DIALECT, "--dialect", help="sqlglot dialect the SQL is written in "
                                    "(e.g. sqlite, postgres, duckdb); transpiled to the warehouse's."),
    catalog: str | None = typer.Option(None, "--catalog", help="Catalog name to attach the file under "
                                       "(default: the file stem)."),
    extra_columns: ExtraColumns = typer.Option(ExtraColumns.fail, "--extra-columns",
                                               help="Whether extra answer columns fail the comparison."),
    rtol: float = typer.Option(1e-4, "--rtol", help="Relative tolerance for numbers."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON lines instead of a table."),
) -> None:
    """Run EXPECTED and ACTUAL and say whether ACTUAL's result matches, with the reason; or every pair of --pairs.

    Exit code 0 = pass, 1 = fail or needs_review, 2 = error (broken expected SQL or bad input); with --pairs,
    0 = all pairs judged (the verdicts are in the output), 2 = bad input.
    """
    one_pair = expected is not None or actual is not None
    if (pairs is not None and one_pair) or (pairs is None and (expected is None or actual is None)):
        _bad_input("give either --pairs FILE or both --expected and --actual")
    if not warehouse.is_file():
        _bad_input(f"warehouse file not found: {warehouse}")
    try:
        options = CompareOptions(rtol=rtol, extra_columns=extra_columns.value)
    except ValueError as exc:
        _bad_input(f"invalid option: {str(exc).splitlines()[-1]}")
    batch = _read(pairs) if pairs is not None else None
    try:
        wh = DuckDBWarehouse(warehouse, catalog=catalog)
    except duckdb.Error as exc:
        _bad_input(f"cannot open warehouse {warehouse}: {exc}")
    try:
        if batch is not None:
            outcomes = compare_pairs(wh, batch, options, dialect=dialect.value)
        else:
            result = compare_sql(wh, str(expected), actual, options, dialect=dialect.value)
    finally:
        wh.close()
    if batch is not None:
        _print_batch(outcomes, as_json)
        raise typer.Exit(0)
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


def _bad_input(message: str) -> NoReturn:
    err_console.print(f"[red]error:[/red] {escape(message)}")
    raise typer.Exit(2)


def _read(path: Path) -> list[SqlPair]:
    if not path.is_file():
        _bad_input(f"pairs file not found: {path}")
    try:
        return read_pairs(path)
    except (BenchmarkError, UnicodeDecodeError) as exc:
        _bad_input(str(exc) if isinstance(exc, BenchmarkError) else f"{path}: not UTF-8 text ({exc.reason})")


def _print_batch(outcomes: list[PairOutcome], as_json: bool) -> None:
    """One line per pair and the summary last (JSON lines), or a table and the summary."""
    summary = summarize(outcomes)
    if as_json:
        lines = [json.dumps(o.to_dict(), ensure_ascii=False) for o in outcomes]
        typer.echo("\n".join([*lines, json.dumps({"summary": summary}, ensure_ascii=False)]))
        return
    table = Table("id", "verdict", "reason", "details")
    table.columns[3].overflow = "fold"
    for o in outcomes:
        c = o.comparison
        color = _COLORS[c.verdict]
        table.add_row(escape(o.id), f"[{color}]{c.verdict.value}[/{color}]", c.reason.value, escape(c.details))
    console.print(table)
    counts = ", ".join(f"{v} {n}" for v, n in summary["verdicts"].items())
    accuracy = summary["execution_accuracy"]
    console.print(f"{summary['pairs']} pair(s): {counts}; execution accuracy (pass / (pass + fail)): "
                  f"{'-' if accuracy is None else f'{accuracy:.1%}'}")
    console.print("reasons: " + ", ".join(f"{r} {n}" for r, n in summary["reasons"].items()))
