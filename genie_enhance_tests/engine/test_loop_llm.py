"""The LLM path end to end: `genie-enhance run --llm on` (a subprocess) against the scripted chat-completions server.

The benchmark adds two derived-table questions the heuristic proposer cannot read, so they reach the LLM proposer.
Iteration 1's call is throttled (429), then fails (500), then answers one valid fix, a fix of a type that does not
exist (dropped by the proposer), and a synonym on a missing column and an example whose SQL reads a missing table
(both dropped by validation).
Iteration 2's call answers malformed JSON twice (the reply and its one repair), so it is dropped with the reason.
Every call is recorded with tokens, cost and outcome; the API key appears nowhere: not in the tracking file, the
report, the final space, stdout or stderr.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from genie_enhance.engine.build import build_runtime, local_backend
from genie_enhance.engine.campaign import start_or_resume
from genie_enhance.engine.iteration.plan import train_failures
from genie_enhance.engine.iteration.score import score
from genie_enhance.engine.iteration.snapshot import snapshot
from genie_enhance.engine.proposing import propose
from genie_enhance.engine.runtime import CampaignSettings
from genie_enhance.llm import LLMSettings, failure_analysis_messages
from genie_enhance.proposers.llm_proposer import LLMProposer
from genie_enhance.proposers.llm_reply import ItemMeta
from genie_enhance.tracking import TrackingStore
from genie_enhance_tests.support.loop_world import Q_BUSY_DAYS, Q_FREQUENT, World, cli_command, cli_env, make_world, qid
from genie_enhance_tests.support.scripted_openai import ScriptedOpenAI, status, text

API_KEY = "sk-scripted-9f3c2a71e5b84d06aa17"
MODEL = "gpt-4o-mini"
VALID = {"type": "add_synonym", "table": "demo.commerce.orders", "column": "cust_id", "synonym": "purchaser",
         "rationale": "questions name customers as purchasers", "question_ids": [qid(Q_FREQUENT)]}
NO_SUCH_COLUMN = {"type": "add_synonym", "table": "demo.commerce.orders", "column": "no_such_col",
                  "synonym": "buyer", "rationale": "made up", "question_ids": [qid(Q_FREQUENT)]}
BROKEN_EXAMPLE = {"type": "add_example_sql", "question": "How many shipments were late?",
                  "sql": "SELECT COUNT(*) FROM demo.commerce.shipments", "rationale": "shipments explain busy days",
                  "question_ids": [qid(Q_BUSY_DAYS)]}
UNKNOWN_TYPE = {"type": "rename_table", "table": "demo.commerce.orders", "new_name": "sales",
                "rationale": "a clearer name", "question_ids": [qid(Q_FREQUENT)]}
NOTHING = json.dumps({"fixes": [], "notes": "nothing else to fix"})


def proposer_reply(*items: dict) -> str:
    return json.dumps({"fixes": list(items), "notes": "two derived-table questions"})


@dataclass
class LLMRun:
    world: World
    server: ScriptedOpenAI
    summary: dict
    stdout: str
    stderr: str
    store: TrackingStore


@pytest.fixture(scope="module")
def llm_run(tmp_path_factory: pytest.TempPathFactory, demo_db: Path) -> LLMRun:
    world = make_world(tmp_path_factory.mktemp("llm"), demo_db, derived=True)
    with ScriptedOpenAI(fallback=text(NOTHING, 300, 10)) as server:
        server.push(
            status(429, headers={"Retry-After": "0"}),
            status(500, headers={"retry-after-ms": "10"}),
            text(proposer_reply(VALID, UNKNOWN_TYPE, NO_SUCH_COLUMN, BROKEN_EXAMPLE), 2400, 310),
            text('{"fixes": [{"type": "add_synonym", ', 2300, 12),
            text("Sorry, here it is: fixes = none", 2600, 9),
        )
        env = cli_env(world, OPENAI_API_KEY=API_KEY, OPENAI_BASE_URL=server.base_url)
        args = world.run_args("--llm", "on", "--json", "--target", "0.95", "--max-iterations", "3")
        done = subprocess.run([*cli_command(), *args], capture_output=True, text=True, env=env, cwd=world.root,
                              timeout=120)
        assert done.returncode == 0, done.stderr
        assert server.remaining == 0, ("precondition: every scripted reply was asked for (the LLM proposer only sees "
                                       "train failures no heuristic proposal targets: the derived-table questions)")
        summary = json.loads(done.stdout.strip().splitlines()[-1])
        return LLMRun(world, server, summary, done.stdout, done.stderr, TrackingStore(world.tracking))


def test_every_llm_call_is_recorded_with_tokens_cost_and_outcome(llm_run: LLMRun) -> None:
    calls = llm_run.store.llm_calls(llm_run.summary["campaign"])
    assert [(c.iteration, c.outcome, c.status_code) for c in calls][:5] == [
        (1, "http_error", 429), (1, "http_error", 500), (1, "ok", 200),
        (2, "invalid_reply", 200), (2, "invalid_reply", 200),
    ]
    ok = calls[2]
    assert (ok.model, ok.input_tokens, ok.output_tokens, ok.purpose) == (MODEL, 2400, 310, "propose")
    assert ok.cost_usd == pytest.approx((2400 * 0.15 + 310 * 0.60) / 1e6) and ok.cost_known
    assert all(c.cost_usd == 0 for c in calls[:2]) and all(c.cost_usd > 0 for c in calls[2:])
    assert [r.path for r in llm_run.server.requests] == ["/v1/chat/completions"] * len(llm_run.server.requests)
    summary = llm_run.summary
    assert summary["llm_calls"] == len(calls)
    assert summary["cost_usd"] == pytest.approx(sum(c.cost_usd for c in calls), abs=1e-6)
    assert summary["cost_usd"] > 0


def test_the_valid_fix_is_applied_and_the_invalid_ones_dropped_with_reasons(llm_run: LLMRun) -> None:
    store, cid = llm_run.store, llm_run.summary["campaign"]
    llm_fixes = {f"{f.fix_type}:{f.target}": f for f in store.fixes(cid) if f.proposer == f"llm:{MODEL}"}
    valid = llm_fixes["add_synonym:demo.commerce.orders.cust_id"]
    assert valid.status in ("applied", "kept") and valid.rationale == VALID["rationale"]
    assert valid.question_ids == [qid(Q_FREQUENT)]
    assert '"purchaser"' in Path(llm_run.summary["final_space"]).read_text()
    broken = next(f for f in llm_fixes.values() if f.fix_type == "add_example_sql")
    assert broken.status == "invalid" and "demo.commerce.shipments does not exist" in broken.status_reason
    missing = llm_fixes["add_synonym:demo.commerce.orders.no_such_col"]
    assert missing.status == "invalid" and "column no_such_col does not exist" in missing.status_reason
    dropped = [e for e in store.events(cid) if e.kind == "llm_fix_dropped"]
    assert [(e.iteration, "rename_table" in e.message) for e in dropped] == [(1, True)]
    assert dropped[0].data["fix"]["new_name"] == "sales"
    assert llm_run.summary["fixes_rejected"] >= 2


def test_a_reply_still_malformed_after_one_repair_is_dropped_with_the_reason(llm_run: LLMRun) -> None:
    store, cid = llm_run.store, llm_run.summary["campaign"]
    repair = llm_run.server.requests[4]
    assert repair.messages[-2]["content"].startswith('{"fixes": [{"type": "add_synonym", ')  # the bad reply went back
    assert "ProposerReply" in repair.messages[-1]["content"]  # with the schema to repair it against
    errors = [e for e in store.events(cid) if e.kind == "proposer_error"]
    assert [(e.iteration, e.data["proposer"]) for e in errors] == [(2, f"llm:{MODEL}")]
    assert "still invalid after one repair attempt" in errors[0].message
    assert not any(f.iteration == 2 and f.proposer.startswith("llm:") for f in store.fixes(cid))


def test_the_api_key_appears_nowhere(llm_run: LLMRun) -> None:
    assert all(r.headers["authorization"] == f"Bearer {API_KEY}" for r in llm_run.server.requests)  # it was used
    key = API_KEY.encode()
    files = [p for p in llm_run.world.root.rglob("*") if p.is_file()]  # outputs, the Dagster instance, the space
    assert {p.name for p in files} >= {"tracking.duckdb", "report.html", "final_space.json", "runs.db"}
    for path in files:
        assert key not in path.read_bytes(), path
    assert API_KEY not in llm_run.stdout and API_KEY not in llm_run.stderr
    assert API_KEY[-8:] not in llm_run.stdout + llm_run.stderr


def test_rejections_are_recorded_only_for_a_round_the_llm_proposer_took_part_in(
    tmp_path: Path, demo_db: Path,
) -> None:
    world = make_world(tmp_path, demo_db, derived=True)
    with ScriptedOpenAI() as server:
        server.push(text(proposer_reply(UNKNOWN_TYPE), prompt_tokens=100, completion_tokens=20),
                    status(503, headers={"retry-after-ms": "1"}))
        llm = LLMSettings.from_env({"OPENAI_API_KEY": API_KEY, "OPENAI_BASE_URL": server.base_url}, max_retries=0)
        settings = CampaignSettings(space_key="loop", benchmarks=str(world.benchmarks), holdout=0, use_llm=True)
        rt = build_runtime(settings, local_backend(world.warehouse, world.space), world.out, llm_settings=llm)
        try:
            assert any(isinstance(p, LLMProposer) for p in rt.proposers)
            cid = start_or_resume(rt)
            snap = snapshot(rt, cid, 1)
            scored = score(rt, cid, 1, snap)
            failures = train_failures([(r, scored.diagnoses.get(r.id)) for r in scored.report.questions])
            propose(rt, cid, 1, snap.space, failures)  # the LLM sees the derived-table questions: one item dropped
            propose(rt, cid, 2, snap.space, [])  # nothing left for the LLM: it does not run
            busy_days = [f for f in failures if f[0].id == qid(Q_BUSY_DAYS)]  # another prompt: no cached reply
            propose(rt, cid, 3, snap.space, busy_days)  # it runs and its endpoint fails (503, no retries)
        finally:
            rt.close()
        assert len(server.requests) == 2
    events = [(e.iteration, e.kind) for e in rt.tracking.events(cid) if e.kind in ("llm_fix_dropped", "proposer_error")]
    assert events == [(1, "llm_fix_dropped"), (3, "proposer_error")]


def test_the_failure_analysis_prompt_asks_for_the_fields_the_reply_items_require() -> None:
    messages = failure_analysis_messages(space_summary="Tables (0):", failures=[], lessons=[], fix_schema="{}",
                                         max_fixes=3)
    prompt = "\n".join(m["content"] for m in messages)
    assert "carry only the fields" not in prompt  # the old rule sent rationale and ids to `notes`
    rules = prompt[prompt.index("Rules:"):]
    assert "`rationale`" in rules and "`question_ids`" in rules
    example = rules[rules.rindex("```json"):]
    assert '"rationale"' in example and '"question_ids"' in example
    assert set(ItemMeta.model_fields) == {"rationale", "question_ids"}  # what `parse_item` requires of each item


def test_a_fix_found_invalid_is_not_proposed_again_in_the_campaign(tmp_path: Path, demo_db: Path) -> None:
    """Every call answers the example whose SQL reads a missing table: validation finds it invalid in iteration 1;
    in iteration 2 the proposer drops it as blocked (naming why), so it is neither proposed nor validated again."""
    from genie_enhance.engine.iteration.steps import run_iteration

    world = make_world(tmp_path, demo_db, derived=True)
    with ScriptedOpenAI(fallback=text(proposer_reply(BROKEN_EXAMPLE), 100, 20)) as server:
        llm = LLMSettings.from_env({"OPENAI_API_KEY": API_KEY, "OPENAI_BASE_URL": server.base_url}, max_retries=0)
        settings = CampaignSettings(space_key="loop", benchmarks=str(world.benchmarks), holdout=0, use_llm=True,
                                    target=1.0)
        rt = build_runtime(settings, local_backend(world.warehouse, world.space), world.out, llm_settings=llm)
        try:
            cid = start_or_resume(rt)
            run_iteration(rt, cid, 1)
            run_iteration(rt, cid, 2)
        finally:
            rt.close()
        assert len(server.requests) == 2, "precondition: the LLM proposer was asked in both iterations"
    examples = [f for f in rt.tracking.fixes(cid) if f.fix_type == "add_example_sql"]
    assert [(f.iteration, f.status) for f in examples] == [(1, "invalid")]
    assert "demo.commerce.shipments does not exist" in examples[0].status_reason
    dropped = [e for e in rt.tracking.events(cid, 2) if e.kind == "llm_fix_dropped"]
    assert len(dropped) == 1 and "blocked, found invalid in iteration 1 of this campaign" in dropped[0].message
    assert "demo.commerce.shipments does not exist" in dropped[0].message
