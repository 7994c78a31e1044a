"""Per-iteration time of the loop in-process: the Dagster iteration job against the engine alone.

Builds the offline demo in a temporary directory and runs the same campaign twice, each on its own copy of the bare
space and its own tracking store: once with `engine.campaign.run_iteration` (no Dagster), once with every iteration
materialized by the `enhancement_iteration` job through `execute_in_process` on its partition, against a temporary
persistent instance (what `genie-enhance run` does). Both runs take the same decisions from the same history, which
the script checks. The difference is Dagster's in-process overhead per iteration (plan, events, IO manager,
instance writes). Under `dagster dev` each run additionally pays a fresh process and the run queue: see
`genie_enhance_tests/defs/test_dagster_dev_smoke.py`.

    .venv/bin/python perf/dagster_iteration_time.py --iterations 4 --json
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

from genie_enhance.defs.local_run import JobIterationRunner, open_instance
from genie_enhance.demo.build import DEMO_BENCHMARKS, build_demo
from genie_enhance.engine.build import build_runtime, local_backend
from genie_enhance.engine.campaign import IterationOutcome, IterationRunner, run_campaign, run_iteration
from genie_enhance.engine.runtime import CampaignSettings, Runtime

BENCHMARKS = DEMO_BENCHMARKS


Decisions = list[tuple[str, str | None]]


def timed_campaign(root: Path, demo_bare: Path, warehouse: Path, settings: CampaignSettings,
                   make_runner: Callable[[Runtime], IterationRunner]) -> tuple[list[float], Decisions]:
    """Seconds per iteration and (decision, stop_reason) per iteration of one campaign run with `make_runner`."""
    root.mkdir()
    space = root / "space.json"
    shutil.copyfile(demo_bare, space)
    rt = build_runtime(settings, local_backend(warehouse, space), root / "out")
    seconds: list[float] = []
    try:
        runner = make_runner(rt)

        def timed(rt: Runtime, campaign_id: str, iteration: int) -> IterationOutcome:
            started = time.perf_counter()
            outcome = runner(rt, campaign_id, iteration)
            seconds.append(time.perf_counter() - started)
            return outcome

        campaign_id = run_campaign(rt, new=True, run_one=timed)
        decisions = [(h.decision, h.stop_reason) for h in rt.tracking.history(campaign_id)]
    finally:
        rt.close()
    return seconds, decisions


def measure(iterations: int, target: float) -> dict[str, object]:
    settings = CampaignSettings(space_key="demo", benchmarks=str(BENCHMARKS), target=target,
                                max_iterations=iterations)
    with tempfile.TemporaryDirectory(prefix="genie-dagster-perf-") as tmp:
        root = Path(tmp)
        demo = build_demo(root / "demo")
        engine_s, engine_decisions = timed_campaign(root / "engine", demo.bare_space, demo.warehouse, settings,
                                                    lambda rt: run_iteration)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", module=r"dagster(\..*)?$")
            with open_instance(root / "dagster_home") as instance:
                dagster_s, dagster_decisions = timed_campaign(
                    root / "dagster", demo.bare_space, demo.warehouse, settings,
                    lambda rt: JobIterationRunner(rt, instance))
    if dagster_decisions != engine_decisions:
        raise SystemExit(f"the two campaigns decided differently: {engine_decisions} vs {dagster_decisions}")
    return {
        "iterations": len(dagster_s),
        "per_iteration_s_mean": round(statistics.mean(dagster_s), 3),
        "per_iteration_s_max": round(max(dagster_s), 3),
        "engine_only_s_mean": round(statistics.mean(engine_s), 3),
        "engine_only_s_max": round(max(engine_s), 3),
        "dagster_overhead_s_mean": round(statistics.mean(dagster_s) - statistics.mean(engine_s), 3),
        "per_iteration_s": [round(s, 3) for s in dagster_s],
        "engine_only_s": [round(s, 3) for s in engine_s],
        "stop_reason": dagster_decisions[-1][1],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=4, help="max_iterations of each campaign")
    parser.add_argument("--target", type=float, default=0.99, help="objective that stops the campaign early")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if args.iterations < 1 or not 0 <= args.target <= 1:
        parser.error("--iterations must be at least 1 and --target within [0, 1]")
    result = measure(args.iterations, args.target)
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{result['iterations']} iterations (stop: {result['stop_reason']}): Dagster in-process "
              f"{result['per_iteration_s_mean']:.2f}s mean / {result['per_iteration_s_max']:.2f}s max per iteration; "
              f"engine alone {result['engine_only_s_mean']:.2f}s mean; "
              f"overhead {result['dagster_overhead_s_mean']:.2f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
