"""LLMClient against the scripted chat-completions server, through the real `openai` package: JSON validation and
repair, retries (429 / 5xx / timeouts), fallback without JSON mode, and the Databricks serving path."""

from __future__ import annotations

import time

import pytest
from pydantic import BaseModel

from genie_enhance.llm import LLMClient, LLMSettings, LLMUnavailableError, ModelSpec
from genie_enhance_tests.support.scripted_openai import ScriptedOpenAI, delay, status, text

KEY = "sk-test-client-0123456789"
MODEL = "test-model"
MESSAGES = [{"role": "system", "content": "Reply in JSON."}, {"role": "user", "content": "How many rides?"}]


class Answer(BaseModel):
    answer: int
    unit: str


def settings_for(server: ScriptedOpenAI, **overrides) -> LLMSettings:
    values = dict(
        base_url=server.base_url,
        api_key=KEY,
        models=[ModelSpec(name=MODEL, input_usd_per_mtok=1.0, output_usd_per_mtok=2.0)],
        timeout_s=5,
        max_retries=3,
        backoff_initial_s=0.01,
        backoff_max_s=0.05,
    )
    values.update(overrides)
    return LLMSettings(**values)


def ask(client: LLMClient, messages=MESSAGES, **kwargs):
    return client.complete_json(messages, Answer, purpose="test", **kwargs)


def test_valid_reply_is_validated_and_sent_in_json_mode(llm_client, scripted_llm):
    scripted_llm.push(text('{"answer": 42, "unit": "rides"}'))
    reply = ask(llm_client(settings_for(scripted_llm)))

    assert reply.outcome == "ok" and reply.value == Answer(answer=42, unit="rides")
    [request] = scripted_llm.requests
    assert request.path == "/v1/chat/completions"
    assert request.body["model"] == MODEL
    assert request.body["messages"] == MESSAGES
    assert request.body["response_format"] == {"type": "json_object"}
    assert request.body["temperature"] == 0
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.headers["x-stainless-retry-count"] == "0"  # the openai package's own retries are off


def test_fenced_reply_with_prose_is_accepted(llm_client, scripted_llm):
    scripted_llm.push(text('Here you go:\n```json\n{"answer": 7, "unit": "trips"}\n```\nAnything else?'))
    reply = ask(llm_client(settings_for(scripted_llm)))
    assert reply.outcome == "ok" and reply.value.answer == 7
    assert len(scripted_llm.requests) == 1


def test_malformed_json_gets_one_repair_call(llm_client, scripted_llm):
    scripted_llm.push(text('{"answer": 42, "unit": "rides"'), text('{"answer": 42, "unit": "rides"}'))
    client = llm_client(settings_for(scripted_llm))
    reply = ask(client)

    assert reply.outcome == "repaired" and reply.value.answer == 42
    assert [c.outcome for c in reply.calls] == ["invalid_reply", "repaired"]
    assert "not valid JSON" in reply.calls[0].error
    first, second = scripted_llm.requests
    repair_messages = second.body["messages"]
    assert repair_messages[: len(MESSAGES)] == MESSAGES
    assert repair_messages[-2] == {"role": "assistant", "content": '{"answer": 42, "unit": "rides"'}
    assert repair_messages[-1]["role"] == "user"
    assert "not valid JSON" in repair_messages[-1]["content"]
    assert '"unit"' in repair_messages[-1]["content"]  # the schema travels with the repair request


def test_still_malformed_after_repair_is_invalid_reply_after_exactly_two_calls(llm_client, scripted_llm):
    scripted_llm.push(text("not json at all"), text("{still: not json}"), text('{"answer": 1, "unit": "x"}'))
    client = llm_client(settings_for(scripted_llm))
    reply = ask(client)

    assert reply.value is None and reply.outcome == "invalid_reply"
    assert "still invalid after one repair attempt" in reply.reason and "not valid JSON" in reply.reason
    assert len(scripted_llm.requests) == 2 and scripted_llm.remaining == 1
    assert [c.outcome for c in client.calls] == ["invalid_reply", "invalid_reply"]


def test_schema_invalid_reply_is_repaired_with_the_field_named(llm_client, scripted_llm):
    scripted_llm.push(text('{"answer": "many", "unit": 3}'), text('{"answer": 12, "unit": "rides"}'))
    reply = ask(llm_client(settings_for(scripted_llm)))

    assert reply.outcome == "repaired" and reply.value == Answer(answer=12, unit="rides")
    repair_prompt = scripted_llm.requests[1].body["messages"][-1]["content"]
    assert "answer:" in repair_prompt and "unit:" in repair_prompt and "Answer schema" in repair_prompt


def test_truncated_reply_reason_mentions_the_token_limit(llm_client, scripted_llm):
    scripted_llm.push(text('{"answer": 4', finish_reason="length"), text('{"answer": 4', finish_reason="length"))
    reply = ask(llm_client(settings_for(scripted_llm)))
    assert reply.outcome == "invalid_reply" and "output token limit" in reply.reason


def test_429_with_retry_after_then_success_records_both_attempts(llm_client, scripted_llm):
    scripted_llm.push(status(429, headers={"Retry-After": "0"}), text('{"answer": 1, "unit": "u"}'))
    client = llm_client(settings_for(scripted_llm))
    reply = ask(client)

    assert reply.outcome == "ok"
    assert [(c.outcome, c.status_code, c.attempt) for c in client.calls] == [("http_error", 429, 1), ("ok", 200, 2)]
    assert "429" in client.calls[0].error
    assert len(scripted_llm.requests) == 2


def test_retry_after_is_honoured(llm_client, scripted_llm):
    scripted_llm.push(status(429, headers={"Retry-After": "0.4"}), text('{"answer": 1, "unit": "u"}'))
    ask(llm_client(settings_for(scripted_llm, backoff_initial_s=0, backoff_max_s=0)))
    first, second = scripted_llm.requests
    assert second.received_at - first.received_at >= 0.4


def test_retry_after_is_capped(llm_client, scripted_llm):
    scripted_llm.push(status(503, headers={"Retry-After": "600"}), text('{"answer": 1, "unit": "u"}'))
    started = time.monotonic()
    reply = ask(llm_client(settings_for(scripted_llm, retry_after_cap_s=0.05)))
    assert reply.outcome == "ok" and time.monotonic() - started < 5


def test_500_then_success(llm_client, scripted_llm):
    scripted_llm.push(status(500), text('{"answer": 2, "unit": "u"}'))
    client = llm_client(settings_for(scripted_llm))
    assert ask(client).value.answer == 2
    assert [c.outcome for c in client.calls] == ["http_error", "ok"]


def test_timeout_then_success(llm_client, scripted_llm):
    scripted_llm.push(delay(1.5, then=text('{"answer": 0, "unit": "late"}')), text('{"answer": 3, "unit": "u"}'))
    client = llm_client(settings_for(scripted_llm, timeout_s=0.3))
    reply = ask(client)

    assert reply.value == Answer(answer=3, unit="u")
    timeout, ok = client.calls
    assert timeout.outcome == "timeout" and 0.25 <= timeout.latency_s < 1.5 and not timeout.cost_known
    assert ok.outcome == "ok" and ok.attempt == 2


def test_persistent_500_raises_unavailable_after_bounded_retries(llm_client, scripted_llm):
    scripted_llm.push(*[status(500) for _ in range(6)])
    client = llm_client(settings_for(scripted_llm, max_retries=2))
    with pytest.raises(LLMUnavailableError) as caught:
        ask(client)

    assert caught.value.attempts == 3 and caught.value.status_code == 500
    assert len(scripted_llm.requests) == 3 and scripted_llm.remaining == 3
    assert [(c.outcome, c.attempt) for c in client.calls] == [("http_error", 1), ("http_error", 2), ("http_error", 3)]


def test_total_retry_time_is_bounded(llm_client, scripted_llm):
    scripted_llm.push(*[status(502) for _ in range(20)])
    client = llm_client(settings_for(scripted_llm, max_retries=15, backoff_initial_s=0.2, backoff_max_s=0.2,
                                    retry_total_s=0.7))
    started = time.monotonic()
    with pytest.raises(LLMUnavailableError):
        ask(client)
    assert time.monotonic() - started < 1.5
    assert 2 <= len(scripted_llm.requests) <= 5  # far fewer than the 16 attempts max_retries allows


def test_non_retryable_error_raises_at_once(llm_client, scripted_llm):
    scripted_llm.push(status(404, {"error": {"message": "endpoint does not exist"}}), text("{}"))
    client = llm_client(settings_for(scripted_llm))
    with pytest.raises(LLMUnavailableError, match="endpoint does not exist") as caught:
        ask(client)
    assert caught.value.attempts == 1 and len(scripted_llm.requests) == 1


def test_server_rejecting_json_mode_gets_plain_requests(llm_client, scripted_llm):
    scripted_llm.push(
        status(400, {"error": {"message": "response_format is not supported"}}),
        text('{"answer": 5, "unit": "u"}'),
        text('{"answer": 6, "unit": "u"}'),
    )
    client = llm_client(settings_for(scripted_llm))
    assert ask(client).value.answer == 5
    assert ask(client, messages=[{"role": "user", "content": "another question, JSON please"}]).value.answer == 6

    formats = ["response_format" in r.body for r in scripted_llm.requests]
    assert formats == [True, False, False]  # remembered per model after the first rejection
    assert [c.outcome for c in client.calls] == ["http_error", "ok", "ok"]


def test_databricks_serving_endpoint_path(llm_client, scripted_llm):
    settings = LLMSettings.databricks_serving(
        scripted_llm.host, "dapi-test-token", [ModelSpec(name="databricks-claude-sonnet-4")], timeout_s=5
    )
    scripted_llm.push(text('{"answer": 8, "unit": "u"}'))
    reply = ask(llm_client(settings))

    assert reply.value.answer == 8
    [request] = scripted_llm.requests
    assert request.path == "/serving-endpoints/chat/completions"
    assert request.body["model"] == "databricks-claude-sonnet-4"
    assert request.headers["authorization"] == "Bearer dapi-test-token"
    assert reply.calls[0].cost_known is False and reply.calls[0].cost_usd == 0  # no price configured
