"""`ask` (one question, its SQL and result) and `score` (a benchmark run) on a backend."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path

import typer
from rich.syntax import Syntax
from rich.table import Table

from genie_enhance.backends.local.factory import LocalBackend, open_local_backend
from genie_enhance.backends.protocols import AnswerStatus, ResultSet
from genie_enhance.benchmarks import load_benchmarks, split_benchmarks
from genie_enhance.cli.app import app, console, err_console
from genie_enhance.errors import BenchmarkError, ConfigError, GenieEnhanceError, SpaceFormatError
from genie_enhance.scoring.runner import ScoreReport, score_benchmarks
from genie_enhance.scoring.verdicts import CompareOptions

ASK_ROWS = 20


class Backend(str, Enum):
    local = "local"
    databricks = "databricks"


class ExtraColumns(str, Enum):
    fail = "fail"
    allow = "allow"


def _exit(message: str, code: int = 2) -> typer.Exit:
    err_console.print(message, markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(code)


@contextmanager
def _user_errors() -> Iterator[None]:
    """Turn a user's mistake (missing file, bad benchmark, invalid space, bad option) into one line and exit 2."""
    try:
        yield
    except SpaceFormatError as exc:
        raise _exit(f"{exc.source}: invalid Genie space: {'; '.join(exc.problems)}") from None
    except (BenchmarkError, ConfigError, FileNotFoundError) as exc:
        raise _exit(f"error: {exc}") from None


def _open_backend(backend: Backend, warehouse: Path | None, space: Path | None, catalog: str | None) -> LocalBackend:
    if backend is Backend.databricks:
        raise _exit("error: --backend databricks is not available for this command yet; use --backend local")
    missing = [flag for flag, value in (("--warehouse", warehouse), ("--space", space)) if value is None]
    if missing:
        raise _exit(f"error: --backend local needs {' and '.join(missing)}")
    with _user_errors():
        return open_local_backend(warehouse, space, catalog=catalog)


BackendOpt = typer.Option(Backend.local, "--backend", help="Where the space lives.")
WarehouseOpt = typer.Option(None, "--warehouse", help="DuckDB warehouse file (local backend).")
SpaceOpt = typer.Option(None, "--space", help="Space JSON file: bare serialized_space or export wrapper (local).")
CatalogOpt = typer.Option(None, "--catalog", help="Catalog name to attach the warehouse as (default: from the space).")


@app.command("ask")
def ask(
    question: str = typer.Argument(..., help="The question to ask Genie."),
    backend: Backend = BackendOpt,
    warehouse: Path | None = WarehouseOpt,
    space: Path | None = SpaceOpt,
    catalog: str | None = CatalogOpt,
) -> None:
    """Ask one question: print the SQL Genie generated and its result (or Genie's text answer)."""
    local = _open_backend(backend, warehouse, space, catalog)
    with local:
        answer = local.genie.ask(question)
        if answer.status is not AnswerStatus.COMPLETED:
            raise _exit(f"error: Genie {answer.status.value}: {answer.error_type or ''} {answer.error or ''}".rstrip(), 1)
        if answer.text:
            console.print(answer.text, markup=False)
        if not answer.sql:
            return
        console.print(Syntax(answer.sql, "sql", word_wrap=True))
        try:
            result = local.warehouse.execute(answer.sql, limit=ASK_ROWS)
        except GenieEnhanceError as exc:
            raise _exit(f"error: the generated SQL failed: {exc}", 1) from None
        console.print(_result_table(result))


def _result_table(result: ResultSet) -> Table:
    caption = f"first {ASK_ROWS} rows" if result.truncated else f"{result.row_count} row(s)"
    table = Table(*result.columns, caption=caption)
    for row in result.rows:
        table.add_row(*("NULL" if v is None else str(v) for v in row))
    return table


@app.command("score")
def score(
    benchmarks: Path = typer.Option(..., "--benchmarks", help="Benchmark file or directory (markdown/JSON/space)."),
    backend: Backend = BackendOpt,
    warehouse: Path | None = WarehouseOpt,
    space: Path | None = SpaceOpt,
    catalog: str | None = CatalogOpt,
    holdout: float = typer.Option(0.3, "--holdout", min=0.0, max=0.99, help="Fraction of questions held out."),
    seed: int = typer.Option(0, "--seed", help="Seed of the stable train/holdout split."),
    concurrency: int = typer.Option(8, "--concurrency", min=1, help="Questions asked at once."),
    rate_per_minute: float | None = typer.Option(None, "--rate-per-minute", min=0.1, help="Cap on Genie questions per minute."),
    extra_columns: ExtraColumns = typer.Option(ExtraColumns.fail, "--extra-columns", help="Extra columns in Genie's result: fail or allow."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of tables."),
) -> None:
    """Score the space against benchmark questions (train, holdout and overall)."""
    local = _open_backend(backend, warehouse, space, catalog)
    with local, _user_errors():
        questions = load_benchmarks(benchmarks)
        if not questions:
            raise _exit(f"error: {benchmarks}: no benchmark questions")
        split = split_benchmarks(questions, holdout, seed)
        _, etag = local.store.export()
        report = score_benchmarks(
            questions,
            local.genie,
            local.warehouse,
            split=split,
            concurrency=concurrency,
            rate_per_minute=rate_per_minute,
            options=CompareOptions(extra_columns=extra_columns.value),
            config_version=etag,
            progress=not as_json,
        )
    if as_json:
        typer.echo(json.dumps(report.to_dict(), ensure_ascii=False))
    else:
        _print_report(report)


def _print_report(report: ScoreReport) -> None:
    failures = report.failures()
    if failures:
        table = Table(title="Questions that did not pass")
        for name in ("id", "question", "verdict", "reason", "details"):
            table.add_column(name, no_wrap=name in ("id", "verdict", "reason"))
        for q in failures:
            reason = q.reason.value if q.reason is not None else (q.category.value if q.category else "")
            table.add_row(q.id[:8], q.question, q.verdict.value, reason, _details_text(q.details))
        console.print(table)
    scores = "  ".join(f"{name} {_pct(value)}" for name, value in report.score.items())
    counts = ", ".join(f"{name} {value}" for name, value in report.counts.items())
    console.print(f"[bold]score[/bold]  {scores}", highlight=False)
    console.print(f"counts: {counts}; genie calls {report.genie_calls}; {report.wall_s:.1f}s", highlight=False)


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def _details_text(details: object) -> str:
    if details is None:
        return ""
    if isinstance(details, str):
        return details
    return json.dumps(details, ensure_ascii=False, default=str)
