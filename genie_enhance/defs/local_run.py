"""The CLI's campaign loop through the Dagster iteration job: in-process, partition by partition.

`genie-enhance run` (and `demo`) call `run_campaign_in_dagster`: the engine's `run_campaign` loop (same decision
function) with each iteration executed as the `enhancement_iteration` job on that iteration's partition, against
a persistent instance, so `dagster dev` on the same DAGSTER_HOME afterwards shows every iteration the CLI ran.
The resources come from the CLI's flags (`FixedRuntime` around the runtime it built), never from
genie_enhance.yaml. Before the first iteration, the `benchmarks` asset (the lineage root) is materialized from the
same files, so the UI shows what the campaign ran on instead of "never materialized".

DAGSTER_HOME: the `DAGSTER_HOME` environment variable when set, else `./dagster_home` (the repository's committed
instance when run from the repository root, which `make dev` also uses). A home without `dagster.yaml` gets the
project's instance config (telemetry off, one run at a time).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from genie_enhance.defs.assets import LOOP_ASSETS, benchmarks
from genie_enhance.defs.jobs import ITERATION_JOB, iteration_job
from genie_enhance.defs.launch import CAMPAIGN_TAG, DRIVER_TAG, ITERATION_TAG, SPACE_TAG
from genie_enhance.defs.partitions import ITERATIONS
from genie_enhance.defs.resources import FixedRuntime, LLMResource
from genie_enhance.engine.campaign import run_campaign
from genie_enhance.engine.iteration.snapshot import partition_key
from genie_enhance.engine.iteration.state import IterationOutcome
from genie_enhance.engine.lease import DriverLease, guarded
from genie_enhance.engine.runtime import Runtime

DEFAULT_HOME = Path("dagster_home")
INSTANCE_YAML = """telemetry:
  enabled: false
concurrency:
  runs:
    max_concurrent_runs: 1
"""
# Dagster's own step logs stay in the instance (the UI shows them); the CLI prints its progress lines.
QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


def dagster_home(environ: dict[str, str] | None = None, cwd: Path | None = None) -> Path:
    """$DAGSTER_HOME, else `./dagster_home`."""
    env = os.environ if environ is None else environ
    named = env.get("DAGSTER_HOME", "").strip()
    return Path(named).expanduser().resolve() if named else ((cwd or Path.cwd()) / DEFAULT_HOME).resolve()


def open_instance(home: Path) -> dg.DagsterInstance:
    """The persistent instance at `home` (created with the project's instance config when new)."""
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(INSTANCE_YAML, encoding="utf-8")
    return dg.DagsterInstance.from_config(str(home))


class JobIterationRunner:
    """Runs one iteration as the iteration job on its partition; returns the engine's outcome."""

    def __init__(self, rt: Runtime, instance: dg.DagsterInstance) -> None:
        self.instance = instance
        self.defs = dg.Definitions(
            assets=[benchmarks, *LOOP_ASSETS], jobs=[iteration_job], executor=dg.in_process_executor,
            resources={"genie": FixedRuntime(rt), "tracking_db": DuckDBResource(database=str(rt.tracking.path)),
                       "llm": LLMResource()},
        )
        self.job = self.defs.resolve_job_def(ITERATION_JOB)

    def materialize_benchmarks(self, rt: Runtime) -> None:
        """The `benchmarks` asset, materialized in-process as the UI's "Materialize" button would."""
        job = self.defs.resolve_implicit_global_asset_job_def()
        tags = {SPACE_TAG: rt.settings.space_key, DRIVER_TAG: "cli"}
        job.execute_in_process(instance=self.instance, asset_selection=[benchmarks.key], tags=tags, run_config=QUIET)

    def __call__(self, rt: Runtime, campaign_id: str, iteration: int) -> IterationOutcome:
        key = partition_key(rt.settings.space_key, campaign_id, iteration)
        self.instance.add_dynamic_partitions(ITERATIONS, [key])
        tags = {CAMPAIGN_TAG: campaign_id, SPACE_TAG: rt.settings.space_key, ITERATION_TAG: str(iteration),
                DRIVER_TAG: "cli"}
        result = self.job.execute_in_process(instance=self.instance, partition_key=key, tags=tags, run_config=QUIET)
        return result.output_for_node("evolution_metrics").outcome


def run_campaign_in_dagster(
    rt: Runtime, *, new: bool = False, on_iteration: Callable[[IterationOutcome], None] | None = None,
    home: Path | None = None, lease: DriverLease | None = None,
) -> str:
    """`engine.campaign.run_campaign`, each iteration materialized by the iteration job; returns the campaign id.
    Under `lease`, each iteration first names the campaign in it and stops if another driver took it over."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", module=r"dagster(\..*)?$")
        with open_instance(home or dagster_home()) as instance:
            runner = JobIterationRunner(rt, instance)
            runner.materialize_benchmarks(rt)
            run_one = runner if lease is None else guarded(lease, runner)
            return run_campaign(rt, new=new, on_iteration=on_iteration, run_one=run_one)
