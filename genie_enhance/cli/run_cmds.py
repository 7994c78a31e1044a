"""`run`, `report`, `diff`, `rollback` and `apply`: the enhancement loop from the command line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer

from genie_enhance.cli.app import app, console, err_console
from genie_enhance.cli.campaign_io import (
    execute_campaign,
    fail,
    open_runtime,
    print_summary,
)
from genie_enhance.cli.progress import progress_for
from genie_enhance.cli.setting_options import setting_option
from genie_enhance.cli.store_lookup import (
    READ_OUT_HELP,
    existing_store,
    leaves_no_empty_store,
    require_campaign,
    store_dir,
)
from genie_enhance.engine.native_eval import native_for_campaign
from genie_enhance.engine.review import apply_proposal, dry_run
from genie_enhance.engine.runtime import BackendName, CampaignSettings, Runtime, out_paths
from genie_enhance.engine.versions import config_diff, rollback_to
from genie_enhance.errors import GenieEnhanceError
from genie_enhance.llm.mode import LLMMode, llm_enabled
from genie_enhance.report.render import render_report
from genie_enhance.space.io import canonical_bytes, load_space
from genie_enhance.tracking import TrackingStore

BackendOpt = typer.Option(BackendName.local, "--backend", case_sensitive=False,
                          help="local (DuckDB + offline Genie) or databricks")
OutOpt = typer.Option(Path("out"), "--out", help="directory for tracking.duckdb, report.html, final_space.json")
ReadOutOpt = typer.Option(None, "--out", show_default=False, help=READ_OUT_HELP)
WarehouseOpt = typer.Option(None, "--warehouse", help="DuckDB file (local backend)")
SpaceOpt = typer.Option(None, "--space", help="space JSON file (local backend); edited in place")
SpaceIdOpt = typer.Option(None, "--space-id", help="Genie space id (databricks backend)")
WarehouseIdOpt = typer.Option(None, "--warehouse-id", help="SQL warehouse id (databricks backend)")
ProfileOpt = typer.Option(None, "--profile", help="Databricks config profile (default: DATABRICKS_* variables, "
                          "then the DEFAULT profile)")
SpaceKeyOpt = typer.Option(None, "--space-key", help="name of the space in the tracking store (as `run --space-key`)")
SupersedeOpt = typer.Option(False, "--supersede", help="with a new campaign: mark the space's running campaign "
                            "failed (superseded) instead of refusing")
WaitLeaseOpt = typer.Option(None, "--wait-for-lease", min=0, metavar="SECONDS", help="when another driver runs this "
                            "space's campaign, wait up to SECONDS for it instead of refusing")
PollOpt = typer.Option(1.0, "--poll-interval", min=0.001, help="seconds between status polls of a Genie message "
                       "or SQL statement (databricks backend; backs off from here)")


@app.command()
@leaves_no_empty_store
def run(
    benchmarks: Path = typer.Option(..., "--benchmarks", help="markdown/JSON benchmark file or directory"),
    backend: BackendName = BackendOpt,
    warehouse: Path | None = WarehouseOpt,
    space: Path | None = SpaceOpt,
    space_id: str | None = SpaceIdOpt,
    warehouse_id: str | None = WarehouseIdOpt,
    catalog: str | None = typer.Option(None, "--catalog", help="catalog name the DuckDB file is attached as"),
    target: float = setting_option("target"),
    max_iterations: int = setting_option("max_iterations"),
    holdout: float = setting_option("holdout"),
    seed: int = setting_option("seed"),
    patience: int = setting_option("patience"),
    noise_tolerance: float = setting_option("noise_tolerance"),
    max_cost_usd: float | None = setting_option("max_cost_usd"),
    max_wall_s: float | None = setting_option("max_wall_s"),
    concurrency: int = setting_option("concurrency"),
    max_fixes_per_iteration: int | None = setting_option("max_fixes_per_iteration"),
    min_answered: float = setting_option("min_answered", help="share of holdout (and train) questions that must be "
                                         "answered (not API errors) to decide; below it the failed ones are asked "
                                         "again, then the iteration is inconclusive"),
    rate_per_minute: float | None = setting_option("rate_per_minute"),
    profile: str | None = ProfileOpt,
    poll_interval: float = PollOpt,
    settle_s: float = setting_option("settle_s"),
    settle_slow_s: float = setting_option("settle_slow_s"),
    llm: LLMMode = typer.Option(LLMMode.auto, "--llm", case_sensitive=False,
                                help="auto (when OPENAI_API_KEY is set), on, off"),
    genie_latency_ms: float = typer.Option(0, "--genie-latency-ms", min=0, help="offline Genie latency"),
    genie_noise: float = typer.Option(0.0, "--genie-noise", min=0, max=1, help="offline Genie noise"),
    space_key: str | None = typer.Option(None, "--space-key", help="name of the space in the tracking store"),
    out: Path = OutOpt,
    new_campaign: bool = typer.Option(False, "--new-campaign", help="start over instead of resuming"),
    supersede: bool = SupersedeOpt,
    wait_for_lease: float | None = WaitLeaseOpt,
    dry: bool = typer.Option(False, "--dry-run", help="score, propose, validate; write a proposal; apply nothing"),
    native_eval: bool = typer.Option(False, "--native-eval", help="after the campaign, also grade the final config "
                                     "with Genie's own benchmark evaluation (databricks; benchmarks in the space)"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON summary on stdout's last line"),
) -> None:
    """Run an enhancement campaign: score, diagnose, propose, validate, apply, keep or roll back, until it stops."""
    use_llm = llm_enabled(llm)
    if native_eval and backend != BackendName.databricks:
        fail(GenieEnhanceError("--native-eval needs --backend databricks (Genie's own benchmark evaluation)"))
    try:
        settings = CampaignSettings(
            space_key=space_key or _space_key(space, space_id), backend=backend, benchmarks=str(benchmarks),
            target=target, max_iterations=max_iterations, holdout=holdout, seed=seed, patience=patience,
            noise_tolerance=noise_tolerance, max_cost_usd=max_cost_usd, max_wall_s=max_wall_s,
            concurrency=concurrency, rate_per_minute=rate_per_minute, use_llm=use_llm, min_answered=min_answered,
            max_fixes_per_iteration=max_fixes_per_iteration,
            settle_s=settle_s, settle_slow_s=settle_slow_s,
        )
        rt = open_runtime(settings, out, warehouse=warehouse, space=space, space_id=space_id,
                          warehouse_id=warehouse_id, catalog=catalog, genie_latency_ms=genie_latency_ms,
                          genie_noise=genie_noise, progress=progress_for(as_json), profile=profile,
                          poll_interval_s=poll_interval)
    except (GenieEnhanceError, FileNotFoundError, ValueError) as exc:
        fail(exc)
    try:
        if dry:
            document = dry_run(rt, out_paths(out)["proposal"])
            result = {"proposal": str(out_paths(out)["proposal"]), "fixes": len(document["fixes"]),
                      "rejected": len(document["rejected"]), "scores": document["scores"]}
            console.print_json(json.dumps(result)) if not as_json else print(json.dumps(result))
            return
        summary = execute_campaign(rt, out, new=new_campaign, as_json=as_json, wait_for_lease=wait_for_lease,
                                   supersede=supersede)
        if native_eval:
            summary["native_eval"] = native_for_campaign(rt, summary["campaign"], rt.backend.workspace().native_eval)
    except GenieEnhanceError as exc:
        fail(exc)
    finally:
        rt.close()
    print_summary(summary, as_json=as_json)


def _space_key(space: Path | None, space_id: str | None) -> str:
    raw = space_id or (space.stem if space else "space")
    return "".join(ch if ch.isalnum() else "-" for ch in raw.lower()).strip("-") or "space"


@app.command()
def report(out: Path | None = ReadOutOpt,
           campaign: str | None = typer.Option(None, "--campaign", help="campaign id (default: the latest)")) -> None:
    """Write the HTML report of a campaign (default: the latest) to OUT/report.html."""
    directory, store = existing_store(out)
    latest = store.latest_campaign()
    campaign_id = campaign or (latest.campaign_id if latest else None)
    if campaign_id is None:
        fail(GenieEnhanceError(f"{out_paths(directory)['tracking']}: no campaign recorded"))
    path = render_report(store, require_campaign(store, campaign_id), out_paths(directory)["report"])
    console.print(f"report: {path}")


@app.command()
def diff(
    old: str = typer.Argument(..., help="version id (from the tracking store) or a space JSON file"),
    new: str = typer.Argument(..., help="version id or a space JSON file"),
    out: Path | None = ReadOutOpt,
    space_key: str | None = typer.Option(None, "--space-key", help="refuse version ids of any other space"),
) -> None:
    """Show what changed between two config versions (of one space)."""
    store = _diff_store(out, [old, new])
    _same_space(store, [ref for ref in (old, new) if not Path(ref).is_file()], space_key)
    text = config_diff(_version_bytes(store, old), _version_bytes(store, new), old_name=old, new_name=new)
    console.print(text or "no differences", highlight=False, markup=False, soft_wrap=True)  # never re-wrap a diff


def _diff_store(out: Path | None, refs: list[str]) -> TrackingStore | None:
    """The store the version ids are read from; none is needed (or opened) when both refs are space files."""
    if all(Path(ref).is_file() for ref in refs):
        return None
    return existing_store(out)[1]


def _same_space(store: TrackingStore | None, version_ids: list[str], space_key: str | None) -> None:
    """Refuse a version id recorded only for another space than `space_key` (or than the other id's)."""
    if store is None:
        return
    owners = {v: set(store.version_spaces(v)) for v in version_ids}
    for version_id, spaces in owners.items():
        if space_key and spaces and space_key not in spaces:
            fail(GenieEnhanceError(f"version {version_id} belongs to space {', '.join(sorted(spaces))}, "
                                   f"not {space_key!r}"))
    known = [spaces for spaces in owners.values() if spaces]
    if len(known) == 2 and not known[0] & known[1]:
        fail(GenieEnhanceError(f"versions {' and '.join(owners)} belong to different spaces "
                               f"({', '.join(sorted(known[0]))} / {', '.join(sorted(known[1]))})"))


def _version_bytes(store: TrackingStore | None, ref: str) -> bytes:
    path = Path(ref)
    if path.is_file():
        try:
            return canonical_bytes(load_space(path))
        except GenieEnhanceError as exc:
            fail(exc)
    assert store is not None  # _diff_store opens one unless both refs are files
    try:
        return store.version_bytes(ref)
    except (KeyError, GenieEnhanceError):
        fail(GenieEnhanceError(f"unknown version {ref!r} in {store.path}, and no such space file "
                               f"(see `genie-enhance versions`)"))


@app.command()
def rollback(
    to: str = typer.Option(..., "--to", help="version id to restore (see `genie-enhance versions`)"),
    backend: BackendName = BackendOpt,
    warehouse: Path | None = WarehouseOpt,
    space: Path | None = SpaceOpt,
    space_id: str | None = SpaceIdOpt,
    warehouse_id: str | None = WarehouseIdOpt,
    profile: str | None = ProfileOpt,
    out: Path = OutOpt,
    space_key: str | None = SpaceKeyOpt,
) -> None:
    """Restore a recorded config version's exact bytes on the live space (validated; the live bytes are recorded
    first when no version of the space has them, and the output names that version)."""
    store_dir(out)  # a rollback reads a recorded version: never create an empty store to find none in it
    with _admin_runtime(backend, warehouse, space, space_id, warehouse_id, out, profile, space_key,
                        admit=False) as rt:
        latest = rt.tracking.latest_campaign(rt.settings.space_key)
        restored = rollback_to(rt, to, latest.campaign_id if latest else None)
    if restored.external_version_id:
        console.print(f"recorded the live space's unrecorded changes as version {restored.external_version_id} "
                      f"(restore them with `rollback --to {restored.external_version_id}`)", highlight=False)
    console.print(f"restored version {to} (etag {restored.etag})", highlight=False)


@app.command("apply")
@leaves_no_empty_store
def apply_cmd(
    proposal: Path = typer.Option(..., "--proposal", help="proposal file written by `run --dry-run`"),
    backend: BackendName = BackendOpt,
    warehouse: Path | None = WarehouseOpt,
    space: Path | None = SpaceOpt,
    space_id: str | None = SpaceIdOpt,
    warehouse_id: str | None = WarehouseIdOpt,
    profile: str | None = ProfileOpt,
    out: Path = OutOpt,
    as_json: bool = typer.Option(False, "--json", help="print one JSON object instead of lines"),
    space_key: str | None = SpaceKeyOpt,
) -> None:
    """Re-validate a reviewed proposal against the live config and etag, then apply it as one batch."""
    with _admin_runtime(backend, warehouse, space, space_id, warehouse_id, out, profile, space_key) as rt:
        outcome = apply_proposal(rt, proposal)
    if as_json:
        print(json.dumps(outcome))
        return
    if outcome.get("external_version"):
        console.print(f"recorded the live space's unrecorded changes as version {outcome['external_version']}",
                      highlight=False)
    if outcome["version"] is None:
        console.print("nothing to apply: the live config already has the proposal's valid fixes"
                      if outcome["accepted"] else "nothing applied: the proposal has no valid fix", highlight=False)
    for line in outcome["applied"]:
        console.print(f"[green]applied[/] {line}")
    if outcome["version"]:
        console.print(f"new config version {outcome['version']} (undo with `rollback --to {outcome['parent']}`)",
                      highlight=False)
    for item in outcome["invalid"]:
        console.print(f"[red]dropped[/] {item['fix']}: {item['reason']}")
    if outcome["base_changed"]:
        err_console.print("note: the live config changed since the proposal; fixes were re-validated against it")


@contextmanager
def _admin_runtime(backend: BackendName, warehouse: Path | None, space: Path | None, space_id: str | None,
                   warehouse_id: str | None, out: Path, profile: str | None = None,
                   space_key: str | None = None, admit: bool = True) -> Iterator[Runtime]:
    """The live space of a one-off admin command (no benchmarks): errors become one clear line, and it is closed.
    `admit=False` (rollback) skips the validity gate: restoring a recorded version must work on a broken space."""
    settings = CampaignSettings(space_key=space_key or _space_key(space, space_id), backend=backend, benchmarks="",
                                holdout=0)
    try:
        rt = open_runtime(settings, out, warehouse=warehouse, space=space, space_id=space_id,
                          warehouse_id=warehouse_id, benchmarks_required=False, profile=profile, admit=admit)
    except (GenieEnhanceError, FileNotFoundError, ValueError) as exc:
        fail(exc)
    try:
        yield rt
    except GenieEnhanceError as exc:
        fail(exc)
    finally:
        rt.close()
