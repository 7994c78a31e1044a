"""Shared plumbing of the campaign commands: opening a runtime from flags, printing progress and summaries."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.markup import escape
from rich.table import Table

from genie_enhance.cli.app import console, err_console
from genie_enhance.cli.benchmark_cmds import print_benchmark_warnings
from genie_enhance.core.progress import ProgressCallback
from genie_enhance.engine import build
from genie_enhance.engine.build import SpaceLocation
from genie_enhance.engine.campaign import IterationOutcome
from genie_enhance.engine.launch import supersede_or_refuse
from genie_enhance.engine.lease import driving
from genie_enhance.engine.runtime import CampaignSettings, Runtime, out_paths
from genie_enhance.engine.summary import campaign_summary
from genie_enhance.errors import ConfigError
from genie_enhance.fileio import atomic_write
from genie_enhance.report.render import render_report
from genie_enhance.space.io import canonical_bytes
from genie_enhance.space.validation import Problem


def fail(exc: BaseException) -> NoReturn:
    """One clear line on stderr (never re-wrapped; the message is not read as markup), exit 2."""
    err_console.print(f"[red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def print_space_warnings(problems: Sequence[Problem]) -> None:
    """The warnings of a space a command starts from, one `warning: <path>: <message>` line each, on stderr."""
    for problem in problems:
        err_console.print(f"warning: {problem}", markup=False, highlight=False, soft_wrap=True)


def open_runtime(settings: CampaignSettings, out: Path, *, warehouse: Path | None, space: Path | None,
                 space_id: str | None, warehouse_id: str | None, catalog: str | None = None,
                 genie_latency_ms: float = 0, genie_noise: float = 0.0, progress: ProgressCallback | None = None,
                 benchmarks_required: bool = True, profile: str | None = None,
                 poll_interval_s: float = 1.0, admit: bool = True) -> Runtime:
    """The runtime of the space the flags name, from the one factory (`engine.build.open_runtime`), which refuses
    an invalid space (`admit`; off only for `rollback`). The warnings of the benchmark files and of the space are
    printed here, once, on stderr (the campaign records them as events when it starts)."""
    where = flags_given(SpaceLocation(
        backend=settings.backend, warehouse=warehouse, space=space, catalog=catalog, space_id=space_id,
        warehouse_id=warehouse_id, profile=profile, poll_interval_s=poll_interval_s,
        genie_latency_ms=genie_latency_ms, genie_noise=genie_noise))
    rt = build.open_runtime(settings, where, out, progress=progress, admit=admit)
    print_benchmark_warnings(rt.benchmark_warnings)
    print_space_warnings(rt.space_warnings)
    return rt


def flags_given(where: SpaceLocation) -> SpaceLocation:
    """`where`, once it names its space: a `ConfigError` names the flags its backend needs and lacks (a local
    space by --warehouse and --space, a workspace's by --space-id and --warehouse-id)."""
    missing = [f"--{name.replace('_', '-')}" for name in where.missing()]
    if missing:
        raise ConfigError(f"--backend {where.backend} needs {' and '.join(missing)}")
    return where


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def print_iteration(outcome: IterationOutcome) -> None:
    """One progress line per iteration (stderr, so stdout stays clean)."""
    s = outcome.scored.report.score
    applied = len(outcome.batch.accepted) if outcome.batch and outcome.applied_version_id else 0
    invalid = len(outcome.batch.invalid) if outcome.batch else 0
    d = outcome.decision
    action = "rollback + " if d.rollback else ""
    action += ("inconclusive, " if d.inconclusive else "") + d.action.value
    action += f" ({d.stop_reason.value})" if d.stop_reason else ""
    err_console.print(
        f"iteration {outcome.iteration}: train {_fmt(s.train)}  holdout {_fmt(s.holdout)}  "
        f"all {_fmt(s.all)}  |  fixes applied {applied}, invalid {invalid}  |  {action}", highlight=False,
        soft_wrap=True)


def execute_campaign(rt: Runtime, out: Path, *, new: bool = False, as_json: bool = False, command: str = "run",
                     wait_for_lease: float | None = None, supersede: bool = False) -> dict[str, Any]:
    """Run (or resume) the campaign until the policy stops it — each iteration as the Dagster iteration job — then
    write the final config and the report; returns the JSON summary. `run` and `demo` both go through here, so the
    demo shows exactly what `run` does. Progress lines go to stderr unless `as_json`.

    All of it under the space's driver lease (waiting up to `wait_for_lease` s for another driver); a new
    campaign on a space with a running one is refused unless `supersede`."""
    from genie_enhance.defs.local_run import run_campaign_in_dagster  # imports Dagster only when a campaign runs

    with driving(rt.tracking, rt.settings.space_key, command, wait_s=wait_for_lease) as lease:
        if new:
            supersede_or_refuse(rt.tracking, rt.settings.space_key, supersede, hint="pass --supersede")
        campaign_id = run_campaign_in_dagster(rt, new=new, on_iteration=None if as_json else print_iteration,
                                              lease=lease)
        return write_outputs(rt, campaign_id, out)


def write_outputs(rt: Runtime, campaign_id: str, out: Path) -> dict[str, Any]:
    """The final config file, the HTML report, and the JSON summary."""
    paths = out_paths(out)
    space, _ = rt.backend.store.export()
    atomic_write(paths["final_space"], canonical_bytes(space) + b"\n")
    render_report(rt.tracking, campaign_id, paths["report"])
    return campaign_summary(rt, campaign_id, final_space=paths["final_space"], report=paths["report"])


def print_summary(summary: dict[str, Any], *, as_json: bool) -> None:
    if summary["stop_reason"] == "max_iterations" and summary["iterations"] == 1:
        err_console.print("note: stopped after the baseline score: --max-iterations 1 scores the config and "
                          "applies nothing (pass 2 or more to let the loop propose and apply fixes)",
                          highlight=False, soft_wrap=True)
    if as_json:
        print(json.dumps(summary))
        return
    table = Table(title=f"campaign {summary['campaign']} — {summary['stop_reason']}", show_header=True)
    table.add_column("")
    for col in ("train", "holdout", "all"):
        table.add_column(col, justify="right")
    table.add_row("initial", *(_fmt(summary["initial"][k]) for k in ("train", "holdout", "all")))
    table.add_row("final", *(_fmt(summary["final"][k]) for k in ("train", "holdout", "all")))
    console.print(table)
    console.print(
        f"iterations {summary['iterations']} · fixes applied {summary['fixes_applied']} · rejected "
        f"{summary['fixes_rejected']} · rollbacks {summary['rollbacks']} · genie calls {summary['genie_calls']} · "
        f"LLM calls {summary['llm_calls']} (${summary['cost_usd']:.4f})")
    native = summary.get("native_eval")
    if native:
        console.print(f"Genie's own evaluation (run {native['eval_run_id']}, {native['status']}): score "
                      f"{_fmt(native['native_score'])}; agrees with ours on {native['agreement']} of "
                      f"{native['compared']} questions")
    console.print(f"final space: {summary['final_space']} (config version {summary['final_version']})")
    console.print(f"report: {summary['report']}")
