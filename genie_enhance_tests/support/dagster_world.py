"""A real Dagster world for the Dagster tests: a genie_enhance.yaml over the session's demo warehouse, the project's
Definitions built from it, a real instance, and a driver that ticks the campaign sensor directly and executes every
run it requests in-process (the daemon's job, minus the daemon: dagster_notes §4).
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dagster as dg
import yaml

from genie_enhance.defs.jobs import ITERATION_JOB, START_JOB
from genie_enhance.defs.project import build_definitions
from genie_enhance.defs.sensors import campaign_sensor
from genie_enhance.demo.build import DEMO_BENCHMARKS, build_demo
from genie_enhance.demo.space_configs import BARE_SPACE, TUNED_SPACE

BENCHMARKS = DEMO_BENCHMARKS


def write_config(root: Path, demo_dir: Path, spaces: dict[str, dict[str, Any]], **top: Any) -> Path:
    """`root/genie_enhance.yaml` with local spaces over the demo warehouse; each space gets its own copy of the
    space file named by `source` (bare by default)."""
    root.mkdir(parents=True, exist_ok=True)
    entries = {}
    for key, options in spaces.items():
        options = dict(options)
        space_file = root / f"{key}.json"
        shutil.copyfile(demo_dir / options.pop("source", BARE_SPACE), space_file)
        entries[key] = {"backend": "local", "warehouse": str(demo_dir / "demo.duckdb"), "space": space_file.name,
                        "benchmarks": str(BENCHMARKS), **options}
    path = root / "genie_enhance.yaml"
    path.write_text(yaml.safe_dump({"state_dir": "state", **top, "spaces": entries}), encoding="utf-8")
    return path


def demo_dir(tmp_path_factory) -> Path:
    """The demo warehouse and space files, built once per session."""
    root = tmp_path_factory.getbasetemp() / "dagster-demo"
    if not (root / "demo.duckdb").exists():
        build_demo(root)
    return root


def metadata(instance: dg.DagsterInstance, asset: str, partition: str | None = None) -> dict[str, Any]:
    """The latest materialization's metadata of an asset (partition), as plain values."""
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey(asset), asset_partitions=[partition] if partition else None),
        limit=1).records
    assert records, f"no materialization of {asset} {partition or ''}"
    return {k: v.value for k, v in records[0].asset_materialization.metadata.items()}


def tick(instance: dg.DagsterInstance) -> dg.SensorResult | dg.SkipReason:
    """One sensor evaluation; its partition requests applied as the daemon would."""
    result = campaign_sensor(dg.build_sensor_context(instance=instance))
    if isinstance(result, dg.SensorResult):
        for request in result.dynamic_partitions_requests or []:
            instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
    return result


@dataclass
class Driven:
    runs: list[tuple[dg.RunRequest, dg.ExecuteInProcessResult, float]] = field(default_factory=list)
    skip: str = ""

    @property
    def run_keys(self) -> list[str]:
        return [request.run_key for request, _, _ in self.runs]


def drive(defs: dg.Definitions, instance: dg.DagsterInstance, max_ticks: int = 15) -> Driven:
    """Tick the sensor and execute each requested run in-process until it skips; fails on a repeated run key."""
    job = defs.resolve_job_def(ITERATION_JOB)
    driven = Driven()
    for _ in range(max_ticks):
        result = tick(instance)
        if isinstance(result, dg.SkipReason):
            driven.skip = result.skip_message or ""
            return driven
        for request in result.run_requests:
            assert request.run_key not in driven.run_keys, f"run key requested twice: {request.run_key}"
            started = time.monotonic()
            run = job.execute_in_process(instance=instance, partition_key=request.partition_key,
                                         tags=request.tags, raise_on_error=False)
            driven.runs.append((request, run, time.monotonic() - started))
    raise AssertionError(f"the sensor still requested runs after {max_ticks} ticks: {driven.run_keys}")


def start_campaign(defs: dg.Definitions, instance: dg.DagsterInstance, **config: Any) -> dg.ExecuteInProcessResult:
    """The launchpad's path: the start_campaign job with run config."""
    return defs.resolve_job_def(START_JOB).execute_in_process(
        instance=instance, run_config={"ops": {"new_campaign": {"config": config}}})


@dataclass
class World:
    root: Path
    config: Path
    defs: dg.Definitions
    instance: dg.DagsterInstance


def make_world(root: Path, demo: Path, spaces: dict[str, dict[str, Any]], **top: Any) -> World:
    config = write_config(root, demo, spaces, **top)
    return World(root, config, build_definitions(config_file=config), dg.DagsterInstance.ephemeral())


__all__ = ["BARE_SPACE", "TUNED_SPACE", "World", "demo_dir", "drive", "make_world", "metadata", "start_campaign",
           "tick", "write_config"]
