"""Space commands (`validate-space`)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import typer

from genie_enhance.backends.databricks.client import workspace_client
from genie_enhance.backends.databricks.warehouse import DatabricksWarehouse
from genie_enhance.backends.local.warehouse import DuckDBWarehouse
from genie_enhance.cli.app import app
from genie_enhance.cli.campaign_io import fail
from genie_enhance.errors import GenieEnhanceError, SpaceFormatError
from genie_enhance.space.io import load_document
from genie_enhance.space.model import SerializedSpace
from genie_enhance.space.normalize import upgrade_to_v2
from genie_enhance.space.validation import (
    Problem,
    errors,
    instruction_count,
    problems_from_format_error,
    snippet_count,
    table_count,
    validate_space,
)


def _load(file: Path) -> tuple[SerializedSpace | None, list[Problem], bool]:
    """(space upgraded to v2, parse problems, whether it was v1)."""
    try:
        space = load_document(file).space
    except SpaceFormatError as exc:
        return None, problems_from_format_error(exc.problems), False
    if space.version < 2:
        return upgrade_to_v2(space), [], True
    return space, [], False


def _validate(space: SerializedSpace, warehouse_path: Path | None, catalog: str | None) -> list[Problem]:
    """Structure and SQL checks; with a warehouse file also its catalog and a LIMIT 0 run of every statement."""
    if warehouse_path is None:
        return validate_space(space)
    try:
        warehouse = DuckDBWarehouse(warehouse_path, catalog)
    except duckdb.Error as exc:
        message = f"cannot open {warehouse_path} as a DuckDB warehouse: {exc}"
        raise typer.BadParameter(message, param_hint="--warehouse") from exc
    try:
        return validate_space(space, catalog=warehouse.catalog(), warehouse=warehouse)
    finally:
        warehouse.close()


def _validate_on_databricks(space: SerializedSpace, warehouse_id: str, profile: str | None) -> list[Problem]:
    """The same checks against a Databricks SQL warehouse (statement API; unified auth from env or `profile`)."""
    try:
        w = workspace_client(profile=profile)
        warehouse = DatabricksWarehouse(w, warehouse_id, poll_interval_s=0.2,
                                        catalog_source=lambda: [t.identifier for t in space.all_tables()])
        catalog = warehouse.catalog()
    except (GenieEnhanceError, ValueError) as exc:
        fail(exc)
    return validate_space(space, catalog=catalog, warehouse=warehouse)


def _summary(space: SerializedSpace) -> str:
    return (
        f"tables {table_count(space)}, instructions {instruction_count(space)}, snippets {snippet_count(space)}, "
        f"benchmarks {len(space.benchmarks.questions)}"
    )


@app.command("validate-space")
def validate_space_cmd(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="serialized_space JSON or a space export"),
    warehouse: Path | None = typer.Option(
        None, "--warehouse", exists=True, dir_okay=False, help="DuckDB file: check tables/columns and run SQL (LIMIT 0)"
    ),
    catalog: str | None = typer.Option(None, "--catalog", help="catalog name to attach the DuckDB file under"),
    backend: str = typer.Option("local", "--backend", help="local (--warehouse DuckDB file) or databricks"),
    warehouse_id: str | None = typer.Option(
        None, "--warehouse-id", help="SQL warehouse id (databricks backend): check tables/columns and run SQL"
    ),
    profile: str | None = typer.Option(None, "--profile", help="Databricks config profile (databricks backend)"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object instead of text"),
) -> None:
    """Check a space the way the Genie API would: one `<json path>: <message>` line per problem, warnings prefixed
    `warning:`; exit 1 when there is an error (warnings alone exit 0)."""
    if catalog and warehouse is None:
        raise typer.BadParameter("--catalog needs --warehouse", param_hint="--catalog")
    if backend not in ("local", "databricks"):
        raise typer.BadParameter(f"unknown backend {backend!r}: local or databricks", param_hint="--backend")
    if (backend == "databricks") != (warehouse_id is not None) or (backend == "databricks" and warehouse):
        raise typer.BadParameter("--backend databricks takes --warehouse-id (and no --warehouse)",
                                 param_hint="--warehouse-id")
    space, problems, was_v1 = _load(file)
    if was_v1:
        typer.echo(f"note: {file} is a version 1 space; upgraded to version 2 for validation", err=True)
    if space is not None and warehouse_id is not None:
        problems = _validate_on_databricks(space, warehouse_id, profile)
    elif space is not None:
        problems = _validate(space, warehouse, catalog)
    failed = bool(errors(problems))
    if as_json:
        payload = {"file": str(file), "valid": not failed, "problems": [p.to_dict() for p in problems]}
        typer.echo(json.dumps(payload, ensure_ascii=False))
    else:
        for problem in problems:
            prefix = "" if problem.is_error else "warning: "
            typer.echo(prefix + " ".join(str(problem).splitlines()))
        if not failed and space is not None:
            typer.echo(f"{file}: valid: {_summary(space)}")
    raise typer.Exit(1 if failed else 0)
