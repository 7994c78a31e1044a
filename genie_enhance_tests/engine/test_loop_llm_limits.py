"""Malformed LLM replies through whole campaigns: `genie-enhance run --llm on` (subprocesses) against the scripted
chat-completions server, which answers only replies that break a JSON decoder.

The first run's LLM proposer gets deeply nested JSON, then a 5000-digit integer; the reruns on the same world —
which used to crash again for as long as the endpoint answered so — get a lone `\\ud800` escape, then response
*body* that breaks the decoder (nesting); any further call gets lone surrogates.
Every run finishes, every reply is recorded as an `invalid_reply` LLM call with the limit it broke, and the
proposer's error event names it.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from genie_enhance.tracking import TrackingStore
from genie_enhance_tests.support.loop_world import World, cli_command, cli_env, make_world
from genie_enhance_tests.support.scripted_openai import Reply, ScriptedOpenAI, status, text

DEEP = '{"fixes": ' + "[" * 50_000 + "]" * 50_000 + ', "notes": ""}'
HUGE_INT = '{"fixes": [], "notes": "", "n": 1' + "0" * 5000 + "}"
LONE_SURROGATE = '{"fixes": [{"type": "add_synonym", "table": "demo.commerce.orders", "column": "cust_id", ' \
                 '"synonym": "buyer\\ud800", "rationale": "r", "question_ids": ["x"]}], "notes": "\\ud800"}'


def envelope(extra: str) -> Reply:
    body = ('{"id": "c", "object": "chat.completion", "created": 1, "model": "gpt-4o-mini", "choices": [{"index": 0, '
            '"message": {"role": "assistant", "content": "{}"}, "finish_reason": "stop"}], ' + extra + "}")
    return status(200, body=body.encode())


RUNS = (  # the replies each run's LLM proposer gets, in order (then lone surrogates for any further call)
    (text(DEEP), text(HUGE_INT)),
    (text(LONE_SURROGATE),),
    (envelope('"x": ' + "[" * 50_000 + "]" * 50_000),),
)
LIMITS = ("nested deeper than 64 levels", "a number of 5001 characters", "lone surrogate escape",
          "unreadable response body (RecursionError")


@dataclass
class Runs:
    world: World
    summaries: list[dict]
    store: TrackingStore


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, demo_db: Path) -> Runs:
    world = make_world(tmp_path_factory.mktemp("limits"), demo_db, derived=True)
    summaries = []
    for queued in RUNS:
        with ScriptedOpenAI(fallback=text(LONE_SURROGATE)) as server:
            server.push(*queued)
            env = cli_env(world, OPENAI_API_KEY="sk-scripted-limits", OPENAI_BASE_URL=server.base_url)
            done = subprocess.run([*cli_command(), *world.run_args("--llm", "on", "--json", "--target", "1.0",
                                                                  "--max-iterations", "3")],
                                  capture_output=True, text=True, env=env, cwd=world.root, timeout=180)
            assert done.returncode == 0, done.stderr[-3000:]
            assert "Traceback" not in done.stderr
            assert server.remaining == 0, "precondition: every scripted reply was asked for"
            summaries.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return Runs(world, summaries, TrackingStore(world.tracking))


def test_every_run_finishes_as_a_campaign(runs: Runs) -> None:
    assert len({s["campaign"] for s in runs.summaries}) == len(RUNS)  # each rerun is a campaign of its own
    for summary in runs.summaries:
        assert summary["stop_reason"] in {"converged", "stalled", "max_iterations", "no_fixes"}
        assert runs.store.campaign(summary["campaign"]).status == "finished"


def test_each_malformed_reply_is_recorded_with_the_limit_it_broke(runs: Runs) -> None:
    calls = [c for s in runs.summaries for c in runs.store.llm_calls(s["campaign"])]
    assert calls and all(c.outcome == "invalid_reply" for c in calls)
    assert all(c.error and c.error.startswith("reply beyond the parser's limits") for c in calls)
    errors = " | ".join(c.error for c in calls)
    for limit in LIMITS:
        assert limit in errors, limit
    assert len(calls) == sum(len(queued) for queued in RUNS)  # one call per reply: none sent back for a repair


def test_the_proposer_error_names_the_limit_and_no_fix_came_from_the_replies(runs: Runs) -> None:
    for summary in runs.summaries:
        cid = summary["campaign"]
        errors = [e for e in runs.store.events(cid) if e.kind == "proposer_error"]
        assert errors and all("beyond the parser's limits" in e.message or "not asking the LLM" in e.message
                              for e in errors)
        assert not [f for f in runs.store.fixes(cid) if (f.proposer or "").startswith("llm:")]
    assert "buyer" not in Path(runs.summaries[-1]["final_space"]).read_text(encoding="utf-8")
