"""Demo command (`demo`): build the offline demo, then run a whole campaign on it the way `run` does."""

from __future__ import annotations

from pathlib import Path

import typer

from genie_enhance.cli.app import app, console, err_console
from genie_enhance.cli.campaign_io import execute_campaign, fail, open_runtime, print_summary
from genie_enhance.cli.progress import progress_for
from genie_enhance.cli.run_cmds import SupersedeOpt, WaitLeaseOpt
from genie_enhance.cli.setting_options import setting_option
from genie_enhance.cli.store_lookup import leaves_no_empty_store
from genie_enhance.demo.build import DEMO_BENCHMARKS, build_demo, fresh_working_space
from genie_enhance.demo.warehouse import DEFAULT_SEED
from genie_enhance.engine.launch import supersede_or_refuse
from genie_enhance.engine.lease import driving
from genie_enhance.engine.runtime import CampaignSettings, out_paths
from genie_enhance.errors import ConfigError, GenieEnhanceError
from genie_enhance.llm.mode import LLMMode, llm_enabled
from genie_enhance.tracking import TrackingStore

DEMO_SPACE_KEY = "demo"


@app.command("demo")
@leaves_no_empty_store
def demo_cmd(
    build_only: bool = typer.Option(
        False, "--build-only", help="Only write demo.duckdb, space_bare.json and space_tuned.json into --out"
    ),
    out: Path = typer.Option(Path("out/demo"), "--out", file_okay=False, help="Directory for the demo files"),
    seed: int = setting_option("seed", help="Seed of the campaign's train/holdout split (as `run --seed`)"),
    data_seed: int = typer.Option(DEFAULT_SEED, "--data-seed", help="Seed of the demo data (same seed, same data)"),
    llm: LLMMode = typer.Option(LLMMode.off, "--llm", case_sensitive=False, help="off (default: the demo is "
                                "offline), on, auto (when OPENAI_API_KEY is set)"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON summary on stdout's last line (as `run`)"),
    supersede: bool = SupersedeOpt,
    wait_for_lease: float | None = WaitLeaseOpt,
) -> None:
    """Build the offline demo (a DuckDB warehouse and two space configs) and, unless --build-only, improve a fresh
    copy of the bare space with a whole campaign: offline Genie, default settings, the repository's benchmarks.
    Everything happens under the demo space's driver lease: a demo (or run) already driving it is never
    overwritten."""
    try:
        store = TrackingStore(out_paths(out)["tracking"])
        with driving(store, DEMO_SPACE_KEY, "demo", wait_s=wait_for_lease):
            if not build_only:
                supersede_or_refuse(store, DEMO_SPACE_KEY, supersede, hint="pass --supersede")
            _demo(out, seed, data_seed, llm, as_json, build_only)
    except GenieEnhanceError as exc:
        fail(exc)


def _demo(out: Path, seed: int, data_seed: int, llm: LLMMode, as_json: bool, build_only: bool) -> None:
    files = build_demo(out, data_seed)
    if build_only:
        for path in files.paths():
            console.print(str(path), soft_wrap=True, highlight=False)
        return
    if not DEMO_BENCHMARKS.is_dir():
        fail(ConfigError(f"{DEMO_BENCHMARKS}: the demo benchmarks are missing from the installed package"))
    space = fresh_working_space(files)
    settings = CampaignSettings(space_key=DEMO_SPACE_KEY, benchmarks=str(DEMO_BENCHMARKS), seed=seed,
                                use_llm=llm_enabled(llm))
    if not as_json:
        err_console.print(f"demo: warehouse {files.warehouse}, space {space} (a fresh copy of {files.bare_space})",
                          highlight=False, soft_wrap=True)
    try:
        rt = open_runtime(settings, out, warehouse=files.warehouse, space=space, space_id=None, warehouse_id=None,
                          progress=progress_for(as_json))
    except (FileNotFoundError, ValueError) as exc:
        fail(exc)
    try:
        summary = execute_campaign(rt, out, new=True, as_json=as_json, command="demo")
    finally:
        rt.close()
    print_summary(summary, as_json=as_json)
