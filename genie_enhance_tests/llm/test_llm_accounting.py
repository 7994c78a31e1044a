"""LLMClient accounting against the scripted server: cost from usage and prices, the response cache (memory and
disk), the budget cap, the on_call hook, model selection from observed validity, and that the API key never leaks."""

from __future__ import annotations

import json
import logging

import pytest
from pydantic import BaseModel

from genie_enhance.llm import BudgetExceededError, LLMClient, LLMSettings, LLMUnavailableError, ModelSpec
from genie_enhance_tests.support.scripted_openai import ScriptedOpenAI, status, text

KEY = "sk-test-accounting-SECRET-9f8e7d6c5b4a"
PRICED = ModelSpec(name="priced", input_usd_per_mtok=1.0, output_usd_per_mtok=2.0)
MESSAGES = [{"role": "user", "content": "Count the rides as JSON."}]


class Count(BaseModel):
    count: int


def settings_for(server: ScriptedOpenAI, **overrides) -> LLMSettings:
    values = dict(base_url=server.base_url, api_key=KEY, models=[PRICED], timeout_s=5, backoff_initial_s=0.01)
    values.update(overrides)
    return LLMSettings(**values)


def ask(client: LLMClient, messages=MESSAGES, **kwargs):
    return client.complete_json(messages, Count, purpose="count", **kwargs)


def test_cost_is_computed_from_usage_and_price_table(llm_client, scripted_llm):
    scripted_llm.push(text('{"count": 1}', prompt_tokens=1000, completion_tokens=500),
                      text('{"count": 2}', prompt_tokens=3000, completion_tokens=0))
    client = llm_client(settings_for(scripted_llm))
    first = ask(client)
    second = ask(client, messages=[{"role": "user", "content": "Count again, JSON."}])

    call = first.calls[0]
    assert (call.input_tokens, call.output_tokens) == (1000, 500)
    assert call.cost_usd == pytest.approx(1000 * 1.0 / 1e6 + 500 * 2.0 / 1e6) and call.cost_known
    assert second.cost_usd == pytest.approx(0.003)
    assert client.total_cost_usd() == pytest.approx(0.005)
    assert call.latency_s > 0 and call.prompt_hash and call.purpose == "count"


def test_unknown_price_or_usage_costs_zero_but_is_flagged(llm_client, scripted_llm):
    scripted_llm.push(text('{"count": 1}', prompt_tokens=999, completion_tokens=9),
                      text('{"count": 1}', include_usage=False))
    client = llm_client(settings_for(scripted_llm, models=[PRICED, ModelSpec(name="unpriced")]))
    unpriced = ask(client, model="unpriced").calls[0]
    no_usage = ask(client, model="priced").calls[0]
    assert (unpriced.cost_usd, unpriced.cost_known, unpriced.input_tokens) == (0, False, 999)
    assert (no_usage.cost_usd, no_usage.cost_known) == (0, False)


def test_second_identical_call_is_a_free_cache_hit(llm_client, scripted_llm):
    scripted_llm.push(text('{"count": 5}', prompt_tokens=100, completion_tokens=10), text('{"count": 6}'))
    client = llm_client(settings_for(scripted_llm))
    first = ask(client)
    again = ask(client)

    assert again.outcome == "cache_hit" and again.value == first.value
    assert len(scripted_llm.requests) == 1
    [hit] = again.calls
    assert hit.outcome == "cache_hit" and hit.cost_usd == 0 and hit.input_tokens == 0
    assert [c.outcome for c in client.calls] == ["ok", "cache_hit"]
    assert client.total_cost_usd() == first.cost_usd

    # a different temperature is a different request
    assert ask(client, temperature=0.7).value.count == 6
    assert len(scripted_llm.requests) == 2


def test_repaired_reply_is_cached_and_invalid_one_is_not(llm_client, scripted_llm, tmp_path):
    scripted_llm.push(text("oops"), text('{"count": 3}'), text("bad"), text("worse"))
    client = llm_client(settings_for(scripted_llm, cache_dir=tmp_path))
    assert ask(client).outcome == "repaired"
    assert ask(client).outcome == "cache_hit"
    other = [{"role": "user", "content": "Something else, JSON."}]
    assert ask(client, messages=other).outcome == "invalid_reply"
    assert len(list(tmp_path.glob("*.json"))) == 1  # only the valid reply was stored


def test_disk_cache_serves_a_new_client_and_drops_entries_that_no_longer_validate(llm_client, scripted_llm, tmp_path):
    scripted_llm.push(text('{"count": 9}'))
    ask(llm_client(settings_for(scripted_llm, cache_dir=tmp_path)))
    [entry] = list(tmp_path.glob("*.json"))
    assert json.loads(entry.read_text())["content"] == '{"count": 9}'

    fresh = llm_client(settings_for(scripted_llm, cache_dir=tmp_path))
    assert ask(fresh).outcome == "cache_hit" and len(scripted_llm.requests) == 1

    entry.write_text(json.dumps({"content": '{"count": "nine"}'}))  # e.g. written by an older schema
    scripted_llm.push(text('{"count": 10}'))
    newest = llm_client(settings_for(scripted_llm, cache_dir=tmp_path))
    assert ask(newest).value.count == 10 and len(scripted_llm.requests) == 2


def test_budget_exceeded_sends_nothing(llm_client, scripted_llm):
    scripted_llm.push(text('{"count": 1}', prompt_tokens=1000, completion_tokens=500), text('{"count": 2}'))
    client = llm_client(settings_for(scripted_llm), budget_usd=0.001)
    ask(client)  # spends $0.002: over the cap afterwards
    with pytest.raises(BudgetExceededError, match="no request was sent"):
        ask(client, messages=[{"role": "user", "content": "Once more, JSON."}])
    assert len(scripted_llm.requests) == 1 and scripted_llm.remaining == 1
    assert len(client.calls) == 1


def test_zero_budget_from_settings_blocks_the_first_request(llm_client, scripted_llm):
    scripted_llm.push(text('{"count": 1}'))
    client = llm_client(settings_for(scripted_llm, budget_usd=0))
    with pytest.raises(BudgetExceededError):
        ask(client)
    assert scripted_llm.requests == [] and client.calls == []


def test_on_call_receives_every_call(llm_client, scripted_llm):
    seen = []
    scripted_llm.push(status(500), text("nope"), text('{"count": 4}'))
    client = llm_client(settings_for(scripted_llm), on_call=seen.append)
    ask(client)
    ask(client)
    assert [c.outcome for c in seen] == ["http_error", "invalid_reply", "repaired", "cache_hit"]
    assert seen == client.calls and len({c.id for c in seen}) == 4


def test_selection_moves_off_a_cheap_model_that_keeps_failing(llm_client, scripted_llm):
    cheap = ModelSpec(name="cheap", input_usd_per_mtok=0.1, output_usd_per_mtok=0.1)
    pricey = ModelSpec(name="pricey", input_usd_per_mtok=5.0, output_usd_per_mtok=5.0)
    judge_only = ModelSpec(name="judge-only", input_usd_per_mtok=0.01, output_usd_per_mtok=0.01, role="judge")
    settings = settings_for(scripted_llm, models=[pricey, cheap, judge_only], min_observations=2, min_valid_rate=0.5)
    client = llm_client(settings)
    scripted_llm.push(text("garbage"), text("garbage"), text('{"count": 1}'))

    assert ask(client, role="proposer").outcome == "invalid_reply"
    assert ask(client, messages=[{"role": "user", "content": "JSON again"}], role="proposer").value.count == 1
    assert [r.body["model"] for r in scripted_llm.requests] == ["cheap", "cheap", "pricey"]
    assert client.selector.stats("cheap").valid_rate == 0 and client.selector.stats("pricey").valid_rate == 1
    assert client.selector.choose("judge") == "judge-only"


def test_api_key_never_leaks(llm_client, scripted_llm, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    settings = settings_for(scripted_llm, cache_dir=tmp_path / "cache", max_retries=1)
    client = llm_client(settings)
    echo = {"error": {"message": f"Incorrect API key provided: {KEY}"}}
    scripted_llm.push(status(500, echo), text("{broken"), text('{"count": 1}'), status(401, echo))

    ask(client)
    with pytest.raises(LLMUnavailableError) as caught:
        ask(client, messages=[{"role": "user", "content": "Again, JSON."}])

    assert all(r.headers["authorization"] == f"Bearer {KEY}" for r in scripted_llm.requests)  # it *was* used
    records = [c.model_dump_json() for c in client.calls] + [repr(c) for c in client.calls]
    assert any("[redacted]" in r for r in records)  # the echoed key was scrubbed, not just absent
    surfaces = {
        "records": "\n".join(records),
        "settings": repr(settings) + str(settings) + settings.model_dump_json() + str(settings.model_dump()),
        "client": repr(client.settings),
        "error": str(caught.value) + repr(caught.value),
        "logs": caplog.text,
        "cache": "\n".join(p.read_text() for p in (tmp_path / "cache").rglob("*") if p.is_file()),
    }
    assert surfaces["cache"] and surfaces["logs"]
    for name, surface in surfaces.items():
        assert KEY not in surface, f"API key leaked into {name}"
