"""Demo command (`demo`): build the offline demo (warehouse + bare and tuned space configs)."""

from __future__ import annotations

from pathlib import Path

import typer

from genie_enhance.cli.app import app, console, err_console
from genie_enhance.demo.build import build_demo
from genie_enhance.demo.warehouse import DEFAULT_SEED


@app.command("demo")
def demo_cmd(
    build_only: bool = typer.Option(
        False, "--build-only", help="Only write demo.duckdb, space_bare.json and space_tuned.json into --out"
    ),
    out: Path = typer.Option(Path("out/demo"), "--out", file_okay=False, help="Directory for the demo files"),
    seed: int = typer.Option(DEFAULT_SEED, "--seed", help="Seed of the demo data (same seed, same data)"),
) -> None:
    """Build the offline demo: a DuckDB warehouse (commerce + community) and two Genie space configs."""
    if not build_only:
        err_console.print(
            "genie-enhance demo: the offline improvement campaign is not part of this version yet; "
            "run `genie-enhance demo --build-only --out DIR` to build the demo warehouse and space configs."
        )
        raise typer.Exit(2)
    files = build_demo(out, seed)
    for path in files.paths():
        console.print(str(path), soft_wrap=True, highlight=False)
