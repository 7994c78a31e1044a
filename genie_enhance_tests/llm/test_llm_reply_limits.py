"""Replies read within limits: size, nesting depth, number length, valid Unicode.

Python's JSON decoder raises RecursionError on deep nesting and ValueError on integers beyond 4300 digits, and a
lone surrogate escape decodes into a string no UTF-8 store records: each is refused with a reason instead, by the
parser (unit tests), by `LLMClient` over HTTP (no repair round trip, an `invalid_reply` call with the reason, also
when the response *envelope* is what breaks the decoder), and by the LLM proposer, which stops asking a model
that keeps sending such replies.
"""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel

from genie_enhance.llm import LLMSettings, ModelSpec
from genie_enhance.llm.replies import LIMIT_PREFIX, ReplyLimits, over_limits, parse_reply
from genie_enhance_tests.support.scripted_openai import ScriptedOpenAI, status, text

DEEP = '{"fixes": ' + "[" * 50_000 + "]" * 50_000 + ', "notes": ""}'
HUGE_INT = '{"fixes": [], "notes": "", "n": 1' + "0" * 5000 + "}"
LONE_HIGH = '{"fixes": [], "notes": "caf\\ud800e"}'
LONE_LOW = '{"fixes": [], "notes": "\\udc00"}'
RAW_SURROGATE = '{"fixes": [], "notes": "\ud800"}'
NAN = '{"fixes": [], "notes": "", "n": NaN}'
MALFORMED = {"deep": DEEP, "huge_int": HUGE_INT, "lone_high": LONE_HIGH, "lone_low": LONE_LOW,
             "raw_surrogate": RAW_SURROGATE}


class Reply(BaseModel):
    fixes: list = []
    notes: str = ""


# ---------------------------------------------------------------------------------------------- the parser
@pytest.mark.parametrize(("content", "why"), [
    (DEEP, "nested deeper than 64 levels"),
    (HUGE_INT, "a number of 5001 characters"),
    (LONE_HIGH, "lone surrogate escape '\\\\ud800'"),
    (LONE_LOW, "lone surrogate escape '\\\\udc00'"),
    (RAW_SURROGATE, "lone surrogate (U+D800)"),
    ('{"notes": "' + "x" * 400_001 + '"}', "more than 400000"),
])
def test_replies_beyond_the_limits_are_refused_with_the_reason(content: str, why: str) -> None:
    value, reason = parse_reply(content, Reply)
    assert value is None and reason.startswith(LIMIT_PREFIX) and why in reason, reason
    assert over_limits(content) == reason


@pytest.mark.parametrize("content", [
    '{"fixes": [], "notes": "an emoji \\ud83d\\ude00 as a valid surrogate pair"}',
    '{"fixes": [], "notes": "' + "1" * 5000 + '"}',  # digits inside a string are text, not a number
    '{"fixes": [[[[[[[[[[]]]]]]]]]], "notes": "ten levels"}',
    '{"fixes": [], "notes": "a \\\\u escape written out: \\\\ud800"}',  # an escaped backslash, not an escape
    'Sure: {"fixes": [], "notes": "prose around it"} done.',
])
def test_replies_within_the_limits_parse(content: str) -> None:
    value, reason = parse_reply(content, Reply)
    assert reason is None and isinstance(value, Reply)


def test_the_limits_are_configurable_and_nan_is_not_json() -> None:
    tight = ReplyLimits(max_chars=100, max_depth=2, max_number_chars=3)
    assert "nested deeper than 2" in over_limits('{"a": [[1]]}', tight)
    assert "a number of 4 characters" in over_limits('{"a": 1234}', tight)
    assert over_limits('{"a": [123]}', tight) is None
    value, reason = parse_reply(NAN, Reply)
    assert value is None and "not valid JSON" in reason


def test_the_decoder_never_raises_even_when_prose_fools_the_scan() -> None:
    """A stray quote in prose before the JSON inverts the scan's string state; the decoder's own errors are then
    caught and reported as a limit."""
    fooled = 'He said "look: ' + "[" * 50_000 + "]" * 50_000 + '"'
    value, reason = parse_reply(fooled, Reply)
    assert value is None and reason is not None


# ---------------------------------------------------------------------------------------------- over HTTP
def settings_for(server: ScriptedOpenAI, **overrides) -> LLMSettings:
    values = dict(base_url=server.base_url, api_key="sk-limits-0123456789",
                  models=[ModelSpec(name="m", input_usd_per_mtok=1.0, output_usd_per_mtok=2.0)],
                  timeout_s=5, max_retries=0)
    values.update(overrides)
    return LLMSettings(**values)


def envelope(extra: str) -> bytes:
    """A 200 chat completion whose body itself breaks a JSON decoder (after a valid `content`)."""
    return ('{"id": "c", "object": "chat.completion", "created": 1, "model": "m", "choices": [{"index": 0, '
            '"message": {"role": "assistant", "content": "{}"}, "finish_reason": "stop"}], ' + extra + "}").encode()


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_the_client_drops_a_reply_beyond_the_limits_without_a_repair(name: str, llm_client, scripted_llm) -> None:
    scripted_llm.push(text(MALFORMED[name]))
    client = llm_client(settings_for(scripted_llm))
    reply = client.complete_json([{"role": "user", "content": name}], Reply, purpose="test")
    assert reply.value is None and reply.outcome == "invalid_reply" and reply.reason.startswith(LIMIT_PREFIX)
    assert len(scripted_llm.requests) == 1  # no repair round trip echoing the reply back
    [call] = client.calls
    assert call.outcome == "invalid_reply" and call.error.startswith(LIMIT_PREFIX)
    assert json.dumps(call.model_dump(mode="json"), ensure_ascii=False).encode("utf-8")  # recordable as UTF-8


@pytest.mark.parametrize(("extra", "why"), [
    ('"x": ' + "[" * 50_000 + "]" * 50_000, "RecursionError"),
    ('"usage": {"prompt_tokens": 1' + "0" * 5000 + ', "completion_tokens": 1, "total_tokens": 2}', "ValueError"),
])
def test_an_envelope_that_breaks_the_decoder_is_an_invalid_reply(extra: str, why: str, llm_client, scripted_llm) -> None:
    scripted_llm.push(status(200, body=envelope(extra)))
    client = llm_client(settings_for(scripted_llm))
    reply = client.complete_json([{"role": "user", "content": "x"}], Reply, purpose="test")
    assert reply.outcome == "invalid_reply" and "unreadable response body" in reply.reason and why in reply.reason
    assert [c.outcome for c in client.calls] == ["invalid_reply"]

