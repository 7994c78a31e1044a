"""The leakage guard end to end: `genie-enhance run --llm on` (a subprocess) against the scripted chat-completions
server, with a holdout.

The holdout (fraction 0.3, seed 6) holds "How many customers placed at least three orders in 2024?", which only
an example can teach the offline Genie. Iteration 1's LLM reply tries three ways to hand Genie its answer — the
holdout question with the year changed (2023) over its expected SQL with backticks, the backticked SQL under an
unrelated question, and a differently written query returning the same result — next to a fair example (a train
question with its own SQL, sharing no result with any holdout question).
The three are stopped (rules `question_form`, `sql`, `result`), the fair one is applied, no config version holds
the holdout, the final-space check is recorded clean, and `run --json` and the report count what was stopped.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from genie_enhance.backends.local.offline_genie import OfflineGenie
from genie_enhance.backends.local.warehouse import DuckDBWarehouse
from genie_enhance.benchmarks import load_benchmarks, split_benchmarks
from genie_enhance.proposers.guard import assert_no_leakage
from genie_enhance.scoring.compare_sql import compare_sql
from genie_enhance.scoring.verdicts import Verdict
from genie_enhance.space.fixes import AddExampleSql
from genie_enhance.space.io import load_space, parse_space
from genie_enhance.tracking import TrackingStore
from genie_enhance_tests.support.loop_world import Q_BUSY_DAYS, Q_FREQUENT, World, cli_command, cli_env, make_world, qid
from genie_enhance_tests.support.scripted_openai import ScriptedOpenAI, text

HOLDOUT_QUESTION = "How many customers placed at least three orders in 2024?"
HOLDOUT_SQL = ("SELECT COUNT(*) AS customers FROM (SELECT cust_id FROM demo.commerce.orders WHERE YEAR(ord_ts) = 2024 "
               "GROUP BY cust_id HAVING COUNT(*) >= 3) AS t")
HOLDOUT_BENCHMARK = f"""# A holdout question only an example answers

## Regular buyers in 2024

**Question:** {HOLDOUT_QUESTION}

```sql
{HOLDOUT_SQL}
```
"""
BACKTICKED = ("SELECT COUNT(*) AS `customers` FROM (SELECT `cust_id` FROM `demo`.`commerce`.`orders` "
              "WHERE YEAR(`ord_ts`) = 2024 GROUP BY `cust_id` HAVING COUNT(*) >= 3) AS `t`")
SAME_RESULT = ("SELECT COUNT(DISTINCT cust_id) AS buyers FROM (SELECT cust_id, COUNT(ord_id) AS n "
               "FROM demo.commerce.orders WHERE ord_ts >= '2024-01-01' AND ord_ts < '2025-01-01' GROUP BY cust_id) AS x "
               "WHERE n > 2")
FAIR_SQL = ("SELECT COUNT(*) AS days FROM (SELECT CAST(ord_ts AS DATE) AS d FROM demo.commerce.orders "
            "GROUP BY CAST(ord_ts AS DATE) HAVING COUNT(*) > 40) AS t")


def item(question: str, sql: str, why: str, target: str = Q_FREQUENT) -> dict:
    return {"type": "add_example_sql", "question": question, "sql": sql, "rationale": why,
            "question_ids": [qid(target)]}


CHANGED_YEAR = item("How many customers placed at least three orders in 2023?", BACKTICKED, "a close example")
BACKTICKS_ONLY = item("Count the loyal buyers of a calendar year", BACKTICKED, "an example with the year")
REWRITTEN = item("Tally distinct purchasers with several purchases in the period", SAME_RESULT, "a range filter")
FAIR = item(Q_BUSY_DAYS, FAIR_SQL, "busy days are dates with many orders", Q_BUSY_DAYS)
NOTHING = json.dumps({"fixes": [], "notes": "nothing else to fix"})
HOLDOUT, SEED = "0.3", "6"
RUN = ("--llm", "on", "--json", "--seed", SEED, "--target", "0.95", "--max-iterations", "3")


def split_of(world: World):
    return split_benchmarks(load_benchmarks(world.benchmarks), float(HOLDOUT), int(SEED))


@dataclass
class LeakRun:
    world: World
    summary: dict
    store: TrackingStore


@pytest.fixture(scope="module")
def leak_run(tmp_path_factory: pytest.TempPathFactory, demo_db: Path) -> LeakRun:
    world = make_world(tmp_path_factory.mktemp("leak"), demo_db, derived=True)
    (world.benchmarks / "holdout.md").write_text(HOLDOUT_BENCHMARK, encoding="utf-8")
    holdout = {b.question for b in split_of(world).holdout}
    assert HOLDOUT_QUESTION in holdout and not {Q_FREQUENT, Q_BUSY_DAYS} & holdout, "precondition: the split"
    reply = json.dumps({"fixes": [CHANGED_YEAR, BACKTICKS_ONLY, REWRITTEN, FAIR], "notes": "examples"})
    with ScriptedOpenAI(fallback=text(NOTHING, 300, 10)) as server:
        server.push(text(reply, 2400, 310))
        args = world.run_args(*RUN)
        args[args.index("--holdout") + 1] = HOLDOUT  # the loop world runs without a holdout by default
        done = subprocess.run([*cli_command(), *args], capture_output=True, text=True, cwd=world.root, timeout=180,
                              env=cli_env(world, OPENAI_API_KEY="sk-scripted-leak", OPENAI_BASE_URL=server.base_url))
        assert done.returncode == 0, done.stderr
        assert server.remaining == 0, "precondition: the LLM proposer was asked (derived-table train failures)"
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    return LeakRun(world, summary, TrackingStore(world.tracking))


def test_the_three_leaks_are_stopped_by_their_rules_and_the_fair_example_is_applied(leak_run: LeakRun) -> None:
    llm = [f for f in leak_run.store.fixes(leak_run.summary["campaign"]) if (f.proposer or "").startswith("llm:")]
    by_question = {f.payload["question"]: f for f in llm}
    for leak, rule in ((CHANGED_YEAR, "question_form"), (BACKTICKS_ONLY, "sql"), (REWRITTEN, "result")):
        record = by_question[leak["question"]]
        assert record.status == "rejected", (leak["question"], record.status, record.status_reason)
        assert record.status_reason.startswith("leakage:") and f"rule `{rule}`" in record.status_reason
    fair = by_question[Q_BUSY_DAYS]
    assert fair.status in ("applied", "kept"), fair.status_reason
    assert "more than 40 orders" in Path(leak_run.summary["final_space"]).read_text(encoding="utf-8")


def test_no_config_version_holds_the_holdout_and_the_final_check_is_recorded(leak_run: LeakRun) -> None:
    split = split_of(leak_run.world)
    store, cid = leak_run.store, leak_run.summary["campaign"]
    for version in store.versions(cid):
        space = parse_space(store.version_bytes(version.version_id).decode("utf-8"))
        assert assert_no_leakage(space, split.holdout, split.train) == [], version.version_id
        assert "loyal" not in json.dumps(space.instructions.model_dump(mode="json"))
    checks = [e for e in store.events(cid) if e.kind == "leak_check"]
    assert len(checks) == 1 and checks[0].data["leaks"] == [] and "no holdout question" in checks[0].message


def test_the_leak_would_have_raised_the_holdout_score(leak_run: LeakRun, demo_warehouse: DuckDBWarehouse) -> None:
    """The attack is real: the final config answers the holdout question wrongly, the same config with the stopped
    example answers it right (the offline Genie swaps the example's year)."""
    final = load_space(leak_run.summary["final_space"])
    leaked = AddExampleSql(question=CHANGED_YEAR["question"], sql=CHANGED_YEAR["sql"]).apply(final)
    verdicts = [compare_sql(demo_warehouse, HOLDOUT_SQL, OfflineGenie(space, demo_warehouse).ask(HOLDOUT_QUESTION).sql)
                .verdict for space in (final, leaked)]
    assert verdicts == [Verdict.FAIL, Verdict.PASS]


def test_run_json_and_the_report_count_what_the_guard_stopped(leak_run: LeakRun) -> None:
    guard = leak_run.summary["leak_guard"]
    assert guard["by_rule"] == {"question_form": 1, "result": 1, "sql": 1} and guard["stopped"] == 3
    assert guard["checked"] >= 4
    assert guard["final_check"]["leaks"] == 0
    report = Path(leak_run.summary["report"]).read_text(encoding="utf-8")
    assert "Leakage guard" in report and "question_form" in report and "stopped 3" in report


def test_a_leak_already_in_the_starting_config_is_reported_as_such(tmp_path: Path, demo_db: Path) -> None:
    """The final-space check runs at the end of every campaign (here the engine's own loop, no Dagster): a holdout
    example a person put in the space before the campaign is found, attributed to the starting config, counted in
    the summary and listed in the report."""
    from genie_enhance.engine.build import build_runtime, local_backend
    from genie_enhance.engine.campaign import run_campaign
    from genie_enhance.engine.runtime import CampaignSettings
    from genie_enhance.engine.summary import campaign_summary
    from genie_enhance.report.render import render_report
    from genie_enhance.space.io import space_to_json

    world = make_world(tmp_path, demo_db, derived=True)
    (world.benchmarks / "holdout.md").write_text(HOLDOUT_BENCHMARK, encoding="utf-8")
    planted = AddExampleSql(question="Loyal customers of a year?", sql=BACKTICKED).apply(load_space(world.space))
    world.space.write_text(space_to_json(planted), encoding="utf-8")
    settings = CampaignSettings(space_key="leak", benchmarks=str(world.benchmarks), holdout=float(HOLDOUT),
                                seed=int(SEED), max_iterations=1)
    rt = build_runtime(settings, local_backend(world.warehouse, world.space), world.out)
    try:
        cid = run_campaign(rt)
        final = campaign_summary(rt, cid, final_space=None, report=None)["leak_guard"]["final_check"]
        report = render_report(rt.tracking, cid, world.out / "report.html").read_text(encoding="utf-8")
    finally:
        rt.close()
    assert final["leaks"] >= 1 and final["added"] == 0 and final["rules"].get("sql", 0) >= 1
    [check] = [e for e in rt.tracking.events(cid) if e.kind == "leak_check"]
    assert all(leak["in_base"] for leak in check.data["leaks"])
    assert "instructions.example_question_sqls[0].sql" in {leak["path"] for leak in check.data["leaks"]}
    assert "already in its starting config" in check.message
    assert 'id="leak-table"' in report and "example_question_sqls[0].sql" in report
