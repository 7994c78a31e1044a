"""Loop scale: one iteration over N benchmark questions, per stage, against scoring alone.

Builds the offline demo in a temporary directory, generates N distinct benchmark questions from the demo
benchmarks (each demo question holding a number — a year, a threshold, a top-N — templated over other values of
that number, in the question and its expected SQL alike), writes them to a JSON benchmark file, and runs one
iteration the way `genie-enhance run` does (`cli.campaign_io.execute_campaign`): the `benchmarks` asset, the
Dagster iteration job on the iteration's partition (`JobIterationRunner`, in-process, fresh instance), the
campaign's finish with its final leak check, then the final config and the report (`write_outputs`). The campaign
allows 2 iterations and stops after the first, so that iteration proposes, validates and applies as in a real
campaign (with `--max-iterations 1` the policy stops before proposing). Printed, in seconds: `load` (reading the
benchmark file into a runtime), `benchmarks_asset` (its Dagster materialization), `scoring` (asking
and comparing every question: `ScoreReport.wall_s`), each step's recorded duration (snapshot; score = scoring +
diagnose + record results; plan = decide + propose, with the leakage guard; validate; apply; complete = record the
iteration), `dagster+finish` (Dagster's own work and the final leak check), `outputs` (report), `total`, and
`total/scoring` (total counts from `load`) — 1.0 would mean the loop costs nothing beyond scoring.

    .venv/bin/python perf/loop_scale.py --questions 1000 10000 --json

Measured on the shared 2-core machine (offline Genie, latency 0, concurrency 8), before = main at ad37b81, after =
this branch; the machine was loaded ~4x over (load average 8-9), so absolute seconds are inflated and noisy. The
1k pair ran at the same time, side by side, so it compares fairly. Seconds:

    stage            1k before  1k after   10k before  10k after
    scoring              69.34      70.3           -      472.5
    snapshot              1.02      0.68           -       0.47
    score               109.53     82.48           -     549.77
    diagnose+record      40.19     12.18           -      77.26
    plan                 70.62     64.12           -     520.35
    validate               1.6      3.76           -       2.28
    apply                 0.41      1.05           -       0.87
    complete              0.08      0.11           -       0.12
    dagster+finish       10.08     15.44           -      19.96
    outputs               1.86      4.88           -      10.37
    total               195.21    172.53           -    1104.18
    total/scoring         2.82      2.45           -       2.34

10k before: not finished — still in its iteration after 57 min; its loading and `benchmarks` asset alone took ~14
min against ~2 min after. Plan at 10k after is mostly the leakage guard's canonical SQL of 3,000 holdout questions
(sqlglot's optimizer, O(n), kept as is). The table's runs predate the `load` and `benchmarks_asset` columns: their
`total` starts after loading. Loading the benchmark file alone (`load_benchmark_set`): 1k 9.1 s before / 2.8 s
after, 2k 23.1 / 3.1, 10k 25.7 s after; before it grows quadratically (≈10 min at 10k by extrapolation), twice
per `run` (the runtime and the `benchmarks` asset each load the file).

What made it slow, each fixed without changing a result (`test_loop_scale.py` compares seeded demo campaigns
with traces recorded from main): tracking writes one DuckDB statement per row (`executemany`; now multi-row
INSERTs of 500), JSON benchmark loading looking up every item's line from the top of the file (quadratic; now
only for a failing item), the heuristic proposer's phrase check stemming the phrase and analysing the SQL of every
train question for every fix (now once per fix, and only for questions that say the phrase), a parse cache of
4,096 SQLs cycled by 20,000 (every pass missed; now 32,768), and read-only readers copying parsed trees.
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg

from genie_enhance.benchmarks import Benchmark, load_benchmark_set
from genie_enhance.cli.campaign_io import write_outputs
from genie_enhance.defs.launch import CAMPAIGN_TAG, ITERATION_TAG
from genie_enhance.defs.local_run import QUIET, JobIterationRunner, open_instance
from genie_enhance.defs.partitions import ITERATIONS
from genie_enhance.demo.build import DEMO_BENCHMARKS, build_demo, fresh_working_space
from genie_enhance.engine.build import build_runtime, local_backend
from genie_enhance.engine.campaign import finish, start_or_resume
from genie_enhance.engine.iteration.snapshot import partition_key
from genie_enhance.engine.iteration.state import STEPS, IterationOutcome, IterationState
from genie_enhance.engine.runtime import CampaignSettings, Runtime

_NUMBER = re.compile(r"\b\d+\b")


def _variable_number(b: Benchmark) -> str | None:
    """The number a demo question can be templated over: in its question and as a literal of its SQL."""
    for token in _NUMBER.findall(b.question):
        if re.search(rf"\b{token}\b", b.expected_sql):
            return token
    return None


def _values(token: str) -> Iterator[int]:
    """Other values of `token`, nearest first: years around it, counts and thresholds from 1 up."""
    start = int(token)
    if 1900 <= start <= 2100:
        return itertools.chain.from_iterable((start - k, start + k) for k in itertools.count(1))
    return (v for v in itertools.count(1) if v != start)


def generate(n: int) -> list[dict[str, Any]]:
    """N distinct benchmark items (JSON benchmark file form): the demo benchmarks first, then templated ones."""
    demo = load_benchmark_set(DEMO_BENCHMARKS).benchmarks
    items = [{"question": b.question, "expected_sql": b.expected_sql} for b in demo][:n]
    templates = [(b, t) for b in demo if (t := _variable_number(b))]
    streams = [(b, t, _values(t)) for b, t in templates]
    seen = {b.question.lower() for b in demo}
    while len(items) < n:
        for b, token, values in streams:
            if len(items) >= n:
                break
            v = str(next(values))
            question = re.sub(rf"\b{token}\b", v, b.question)
            if question.lower() in seen:
                continue
            seen.add(question.lower())
            items.append({"question": question, "expected_sql": re.sub(rf"\b{token}\b", v, b.expected_sql)})
    return items


class StateKeepingRunner(JobIterationRunner):
    """The CLI's iteration runner (the Dagster iteration job on the iteration's partition), keeping each
    iteration's final state: its `durations` are the times the steps recorded."""

    def __init__(self, rt: Runtime, instance: dg.DagsterInstance) -> None:
        super().__init__(rt, instance)
        self.states: list[IterationState] = []

    def __call__(self, rt: Runtime, campaign_id: str, iteration: int) -> IterationOutcome:
        key = partition_key(rt.settings.space_key, campaign_id, iteration)
        self.instance.add_dynamic_partitions(ITERATIONS, [key])
        result = self.job.execute_in_process(instance=self.instance, partition_key=key, run_config=QUIET,
                                             tags={CAMPAIGN_TAG: campaign_id, ITERATION_TAG: str(iteration)})
        self.states.append(result.output_for_node("evolution_metrics"))
        return self.states[-1].outcome


def run_once(n: int, root: Path, *, seed: int = 0) -> dict[str, Any]:
    """One iteration over `n` questions as `run --max-iterations 1` runs it; seconds per stage."""
    files = build_demo(root / "demo")
    bench = root / f"bench_{n}.json"
    bench.write_text(json.dumps(generate(n)), encoding="utf-8")
    space = fresh_working_space(files)
    # max_iterations=2: the first iteration continues (proposes, validates, applies) as in any real campaign; the
    # run stops after it, finishing the campaign as `run` does (final leak check), then writes the outputs.
    settings = CampaignSettings(space_key="demo", benchmarks=str(bench), max_iterations=2, seed=seed)
    times: dict[str, float] = {}
    started = time.perf_counter()
    rt = build_runtime(settings, local_backend(files.warehouse, space, seed=seed), root / "out")
    times["load"] = time.perf_counter() - started
    try:
        with open_instance(root / "dagster") as instance:
            runner = StateKeepingRunner(rt, instance)
            mark = time.perf_counter()
            runner.materialize_benchmarks(rt)
            times["benchmarks_asset"] = time.perf_counter() - mark
            mark = time.perf_counter()
            campaign_id = start_or_resume(rt, new=True)
            runner(rt, campaign_id, 1)
            finish(rt, campaign_id)
            times["campaign"] = time.perf_counter() - mark
        mark = time.perf_counter()
        write_outputs(rt, campaign_id, root / "out")
        times["outputs"] = time.perf_counter() - mark
        times["total"] = time.perf_counter() - started
        record = rt.tracking.history(campaign_id)[0]
    finally:
        rt.close()
    state = runner.states[0]
    steps = {step: state.durations.get(step, 0.0) for step in STEPS}
    iteration = sum(steps.values())
    scoring = state.scored.report.wall_s
    return {
        "questions": n, "load": round(times["load"], 2), "benchmarks_asset": round(times["benchmarks_asset"], 2),
        "scoring": round(scoring, 2), **{k: round(v, 2) for k, v in steps.items()},
        "diagnose+record": round(steps["score"] - scoring, 2), "iteration": round(iteration, 2),
        "dagster+finish": round(times["campaign"] - iteration, 2), "outputs": round(times["outputs"], 2),
        "total": round(times["total"], 2), "total/scoring": round(times["total"] / scoring, 2) if scoring else None,
        "decision": record.decision, "fixes_proposed": record.fixes_proposed, "fixes_applied": record.fixes_applied,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--questions", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--json", action="store_true", help="one JSON line per size")
    args = parser.parse_args(argv)
    for n in args.questions:
        with tempfile.TemporaryDirectory(prefix="loop_scale_") as tmp:
            row = run_once(n, Path(tmp))
        print(json.dumps(row) if args.json else "  ".join(f"{k}={v}" for k, v in row.items()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
