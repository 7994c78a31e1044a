"""`ask` (one question, its SQL and result) and `score` (a benchmark run) on a backend."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import typer
from rich.syntax import Syntax
from rich.table import Table

from genie_enhance.benchmarks import load_benchmark_set, split_benchmarks
from genie_enhance.cli.app import app, console, err_console
from genie_enhance.cli.benchmark_cmds import print_benchmark_warnings
from genie_enhance.cli.campaign_io import flags_given, print_space_warnings
from genie_enhance.cli.choices import ExtraColumns
from genie_enhance.cli.progress import progress_for
from genie_enhance.cli.setting_options import setting_option
from genie_enhance.core.protocols import AnswerStatus, ResultSet
from genie_enhance.engine.admission import admit_space
from genie_enhance.engine.build import SpaceLocation, open_backend
from genie_enhance.engine.native_eval import OurVerdict, compare_native, native_ids
from genie_enhance.engine.runtime import Backend, BackendName
from genie_enhance.errors import BenchmarkError, ConfigError, GenieEnhanceError, ServiceError, SpaceFormatError
from genie_enhance.scoring.runner import ScoreReport, score_benchmarks
from genie_enhance.scoring.verdicts import CompareOptions
from genie_enhance.space.io import canonical_bytes
from genie_enhance.tracking import version_id_for

ASK_ROWS = 20


def _exit(message: str, code: int = 2) -> typer.Exit:
    err_console.print(message, markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(code)


@contextmanager
def _user_errors() -> Iterator[None]:
    """Turn a user's mistake (missing file, bad benchmark, invalid space, bad option) into one line and exit 2."""
    try:
        yield
    except SpaceFormatError as exc:
        raise _exit(f"error: {exc.source}: invalid Genie space: {'; '.join(exc.problems)}") from None
    except (BenchmarkError, ConfigError, FileNotFoundError, ServiceError) as exc:
        raise _exit(f"error: {exc}") from None


def _open_backend(backend: BackendName, warehouse: Path | None, space: Path | None, catalog: str | None,
                  remote: Remote | None = None) -> Backend:
    """The backend the flags name, from the one factory (`engine.build.open_backend`)."""
    remote = remote or Remote()
    with _user_errors():
        where = flags_given(SpaceLocation(
            backend=backend, warehouse=warehouse, space=space, catalog=catalog, space_id=remote.space_id,
            warehouse_id=remote.warehouse_id, profile=remote.profile, poll_interval_s=remote.poll_interval_s))
        return open_backend(where, max_per_minute=remote.rate_per_minute)


@dataclass
class Remote:
    """Where a Databricks space lives (host and credentials come from unified auth)."""

    space_id: str | None = None
    warehouse_id: str | None = None
    profile: str | None = None
    poll_interval_s: float = 1.0
    rate_per_minute: float | None = None


BackendOpt = typer.Option(BackendName.local, "--backend", case_sensitive=False, help="Where the space lives.")
WarehouseOpt = typer.Option(None, "--warehouse", help="DuckDB warehouse file (local backend).")
SpaceOpt = typer.Option(None, "--space", help="Space JSON file: bare serialized_space or export wrapper (local).")
CatalogOpt = typer.Option(None, "--catalog", help="Catalog name to attach the warehouse as (default: from the space).")
SpaceIdOpt = typer.Option(None, "--space-id", help="Genie space id (databricks backend).")
WarehouseIdOpt = typer.Option(None, "--warehouse-id", help="SQL warehouse id (databricks backend).")
ProfileOpt = typer.Option(None, "--profile", help="Databricks config profile (default: DATABRICKS_* variables).")
PollOpt = typer.Option(1.0, "--poll-interval", min=0.001, help="Seconds between status polls (databricks backend).")


@app.command("ask")
def ask(
    question: str = typer.Argument(..., help="The question to ask Genie."),
    backend: BackendName = BackendOpt,
    warehouse: Path | None = WarehouseOpt,
    space: Path | None = SpaceOpt,
    catalog: str | None = CatalogOpt,
    space_id: str | None = SpaceIdOpt,
    warehouse_id: str | None = WarehouseIdOpt,
    profile: str | None = ProfileOpt,
    poll_interval: float = PollOpt,
) -> None:
    """Ask one question: print the SQL Genie generated and its result (or Genie's text answer)."""
    local = _open_backend(backend, warehouse, space, catalog, Remote(space_id, warehouse_id, profile, poll_interval))
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
    backend: BackendName = BackendOpt,
    warehouse: Path | None = WarehouseOpt,
    space: Path | None = SpaceOpt,
    catalog: str | None = CatalogOpt,
    holdout: float = setting_option("holdout", help="Fraction of questions held out."),
    seed: int = setting_option("seed", help="Seed of the stable train/holdout split."),
    concurrency: int = setting_option("concurrency", help="Questions asked at once."),
    rate_per_minute: float | None = setting_option("rate_per_minute", help="Cap on Genie questions per minute."),
    extra_columns: ExtraColumns = typer.Option(ExtraColumns.fail, "--extra-columns",
                                               help="Extra columns in Genie's result: fail or allow."),
    space_id: str | None = SpaceIdOpt,
    warehouse_id: str | None = WarehouseIdOpt,
    profile: str | None = ProfileOpt,
    poll_interval: float = PollOpt,
    native_eval: bool = typer.Option(False, "--native-eval", help="Also grade with Genie's own benchmark evaluation "
                                     "(databricks; the benchmarks must live in the space)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of tables."),
) -> None:
    """Score the space against benchmark questions (train, holdout and overall)."""
    if native_eval and backend is not BackendName.databricks:
        raise _exit("error: --native-eval needs --backend databricks (Genie's own benchmark evaluation)")
    local = _open_backend(backend, warehouse, space, catalog,
                          Remote(space_id, warehouse_id, profile, poll_interval, rate_per_minute))
    native = None
    with local, _user_errors():
        print_space_warnings(admit_space(local.store, local.warehouse))  # errors: nothing is scored
        loaded = load_benchmark_set(benchmarks)
        print_benchmark_warnings(loaded.warnings)
        questions = loaded.benchmarks
        if not questions:
            raise _exit(f"error: {benchmarks}: no benchmark questions")
        split = split_benchmarks(questions, holdout, seed)
        live, etag = local.store.export()
        report = score_benchmarks(
            questions,
            local.genie,
            local.warehouse,
            split=split,
            concurrency=concurrency,
            rate_per_minute=rate_per_minute,
            options=CompareOptions(extra_columns=extra_columns.value),
            config_version=version_id_for(canonical_bytes(live)),  # the id `versions`, `diff`, `rollback` use
            progress=progress_for(as_json),
        )
        if native_eval:
            native = _native(local, questions, report)
    if as_json:
        extra = {"etag": etag, **({"native_eval": native} if native else {})}
        typer.echo(json.dumps({**report.to_dict(), **extra}, ensure_ascii=False))
    else:
        _print_report(report)
        if native:
            _print_native(native)


def _native(backend: Backend, questions: list, report: ScoreReport) -> dict:
    """Genie's evaluation of the same questions, beside our verdicts."""
    space, _ = backend.store.export()
    ids = native_ids([q.id for q in questions], space)
    ours = [OurVerdict(id=q.id, question=q.question, verdict=q.verdict.value) for q in report.questions]
    try:
        return compare_native(ours, backend.workspace().native_eval(ids))
    except ServiceError as exc:
        raise _exit(f"error: Genie's benchmark evaluation failed: {exc}") from None


def _print_native(native: dict) -> None:
    table = Table(title=f"Genie's own evaluation (run {native['eval_run_id']}, {native['status']})")
    for name in ("id", "question", "ours", "Genie", "Genie's reasons", "agree"):
        table.add_column(name, no_wrap=name in ("id", "ours", "Genie", "agree"))
    for q in native["questions"]:
        agree = "—" if q["agree"] is None else ("yes" if q["agree"] else "NO")
        table.add_row(q["id"][:8], q["question"], q["verdict"], q["native_verdict"], ", ".join(q["native_reasons"]), agree)
    console.print(table)
    console.print(f"Genie's score {_pct(native['native_score'])}; agreement {native['agreement']} of "
                  f"{native['compared']} questions graded by both", highlight=False)


def _print_report(report: ScoreReport) -> None:
    failures = report.failures()
    if failures:
        table = Table(title="Questions that did not pass")
        labels = any(q.label for q in failures)
        for name in ("id", *(("label",) if labels else ()), "question", "verdict", "reason", "details"):
            table.add_column(name, no_wrap=name in ("id", "label", "verdict", "reason"))
        for q in failures:
            reason = q.reason.value if q.reason is not None else (q.category.value if q.category else "")
            table.add_row(q.id[:8], *((q.label or "",) if labels else ()), q.question, q.verdict.value, reason,
                          _details_text(q.details))
        console.print(table)
    scores = "  ".join(f"{name} {_pct(value)}" for name, value in report.score.model_dump().items())
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
