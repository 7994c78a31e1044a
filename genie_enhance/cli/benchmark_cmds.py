"""`benchmarks`: show what benchmark files hold, without a warehouse; and the one way warnings are printed."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import typer

from genie_enhance.benchmarks import Benchmark, BenchmarkWarning, load_benchmark_paths
from genie_enhance.benchmarks.checks import location
from genie_enhance.cli.app import app, console, err_console
from genie_enhance.errors import BenchmarkError


def print_benchmark_warnings(warnings: Sequence[BenchmarkWarning]) -> None:
    """Each warning once, on stderr (`warning: <file>:<line>: …`), so stdout stays clean for `--json`."""
    for warning in warnings:
        err_console.print(f"warning: {warning}", markup=False, highlight=False, soft_wrap=True)


def question_row(bench: Benchmark) -> dict[str, Any]:
    """One question as the `--json` output shows it."""
    path, line = location(bench)
    return {
        "id": bench.id, "label": bench.label, "question": bench.question, "file": path, "line": line,
        "source": bench.source, "languages": bench.languages, "translations": bench.translations,
        "tags": bench.tags, "title": bench.title, "metadata": bench.metadata, "expected_sql": bench.expected_sql,
    }


def _line(bench: Benchmark) -> str:
    tags = ",".join(bench.tags) or "-"
    return f"{bench.id}  {bench.label or '-'}  {bench.source}  {'+'.join(bench.languages)}  {tags}  {bench.question}"


@app.command("benchmarks")
def benchmarks_cmd(
    paths: list[Path] = typer.Argument(..., metavar="PATH",
                                       help="Benchmark files or directories (markdown, JSON, space exports)."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per question, then a summary object."),
) -> None:
    """Parse benchmark files (no warehouse needed) and list every question: id, label, file:line, languages, tags;
    then the warnings (questions or files skipped, fields kept as metadata). Exit 2 on a malformed file."""
    try:
        loaded = load_benchmark_paths(paths)
    except BenchmarkError as exc:
        err_console.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    if as_json:
        for bench in loaded.benchmarks:
            typer.echo(json.dumps(question_row(bench), ensure_ascii=False))
        typer.echo(json.dumps({
            "questions": len(loaded.benchmarks), "labelled": sum(b.label is not None for b in loaded.benchmarks),
            "warnings": [w.to_dict() for w in loaded.warnings], "files": loaded.files,
            "skipped": len(loaded.skipped),
        }, ensure_ascii=False))
        return
    for bench in loaded.benchmarks:
        console.print(_line(bench), markup=False, highlight=False, soft_wrap=True)
    for warning in loaded.warnings:
        console.print(f"warning: {warning}", markup=False, highlight=False, soft_wrap=True)
    console.print(f"{len(loaded.benchmarks)} questions from {len(loaded.files)} files, {len(loaded.warnings)} "
                  "warnings", markup=False, highlight=False)
