"""`LLMClient.complete_json`: ask an OpenAI-compatible model for a JSON object and get back a validated value.

Per request: cache lookup → budget check → send (JSON mode; plain if the server rejects it) with our bounded
retries → limits (`replies.over_limits`: a reply beyond them is dropped, without repair) → parse + validate → at
most one repair round trip. Every HTTP attempt and every cache hit becomes an
`LLMCall` (tokens, cost, latency, outcome) in `client.calls` and goes to the `on_call` callback. A bad reply is an
`invalid_reply` outcome, never an exception; only an endpoint that keeps failing raises `LLMUnavailableError`,
and a reached spending cap raises `BudgetExceededError` before anything is sent.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import openai
from pydantic import BaseModel

from genie_enhance.llm.cache import ResponseCache, cache_key, canonical_json, sha256_hex
from genie_enhance.llm.config import LLMSettings, Role
from genie_enhance.llm.errors import BudgetExceededError, LLMUnavailableError
from genie_enhance.llm.prompts import render, user
from genie_enhance.llm.records import CallOutcome, JsonReply, LLMCall, ReplyOutcome, utc_now
from genie_enhance.llm.replies import LIMIT_PREFIX, over_limits, parse_reply, schema_json
from genie_enhance.llm.retry import retrying
from genie_enhance.llm.selection import ModelSelector
from genie_enhance.llm.transport import ChatResult, ChatTransport

log = logging.getLogger(__name__)
T = TypeVar("T", bound=BaseModel)
_MAX_ERROR_CHARS = 500
_STATUS_PREFIX = re.compile(r"^Error code: \d+ - ")
_CHARS_PER_TOKEN = 4  # rough prompt-size estimate used only for the budget check


@dataclass(frozen=True)
class _Request:
    purpose: str
    model: str
    messages: list[dict[str, Any]]
    temperature: float

    @property
    def prompt_hash(self) -> str:
        return sha256_hex(self.messages)


@dataclass(frozen=True)
class _Sent:
    result: ChatResult
    started_at: datetime
    latency_s: float
    attempt: int


class LLMClient:
    """OpenAI-compatible chat client with accounting, caching, retries and validated JSON replies. Thread-safe."""

    def __init__(
        self,
        settings: LLMSettings,
        http_client: Any | None = None,
        *,
        on_call: Callable[[LLMCall], None] | None = None,
        budget_usd: float | None = None,
    ) -> None:
        self.settings = settings
        self.on_call = on_call
        self.budget_usd = settings.budget_usd if budget_usd is None else budget_usd
        self.calls: list[LLMCall] = []
        self.cache = ResponseCache(settings.cache_dir)
        self.selector = ModelSelector(
            settings.models, min_valid_rate=settings.min_valid_rate, min_observations=settings.min_observations
        )
        self._transport = ChatTransport(settings, http_client)
        self._plain_models: set[str] = set()  # models whose server rejected response_format
        self._lock = threading.Lock()

    # ------------------------------------------------------------------------------------------ public API
    def complete_json(
        self,
        messages: Sequence[Mapping[str, Any]],
        schema: type[T],
        *,
        purpose: str,
        model: str | None = None,
        temperature: float = 0,
        role: Role = "any",
    ) -> JsonReply[T]:
        """A reply validated against `schema` (see the module docstring for the steps)."""
        request = _Request(purpose, model or self.selector.choose(role), [dict(m) for m in messages], float(temperature))
        key = cache_key(request.model, request.messages, request.temperature, schema.__name__)
        cached = self._cached_reply(request, key, schema)
        if cached is not None:
            return cached
        made: list[LLMCall] = []
        outcome: ReplyOutcome = "ok"
        sent = self._send(request, made)
        refused = self._beyond_limits(sent)
        if refused is not None:  # no repair: a reply that breaks the decoder is not worth echoing back
            self._record_reply(request, sent, "invalid_reply", refused, made)
            return JsonReply(None, "invalid_reply", request.model, reason=refused, calls=made)
        value, problem = parse_reply(sent.result.content, schema)
        if value is None:  # one repair round trip: the problem and the schema go back to the model
            self._record_reply(request, sent, "invalid_reply", self._with_finish(problem, sent), made)
            repair = self._repair_messages(request, sent, problem, schema)
            request = _Request(purpose, request.model, repair, request.temperature)
            sent, outcome = self._send(request, made), "repaired"
            value, problem = parse_reply(sent.result.content, schema)
        if value is None:
            reason = f"still invalid after one repair attempt: {self._with_finish(problem, sent)}"
            self._record_reply(request, sent, "invalid_reply", reason, made)
            return JsonReply(None, "invalid_reply", request.model, reason=reason, content=sent.result.content, calls=made)
        self._record_reply(request, sent, outcome, None, made)
        self.cache.put(key, sent.result.content or "", model=request.model, schema_name=schema.__name__)
        return JsonReply(value, outcome, request.model, content=sent.result.content, calls=made)

    def total_cost_usd(self) -> float:
        with self._lock:
            return sum(c.cost_usd for c in self.calls)

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> LLMClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------------------------------ cache
    def _cached_reply(self, request: _Request, key: str, schema: type[T]) -> JsonReply[T] | None:
        started, clock = utc_now(), time.perf_counter()
        content = self.cache.get(key)
        if content is None:
            return None
        value, problem = parse_reply(content, schema)
        if value is None:  # the schema changed since the entry was written
            log.info("dropping cached LLM reply that no longer validates: %s", problem)
            self.cache.discard(key)
            return None
        call = LLMCall(
            purpose=request.purpose, model=request.model, prompt_hash=request.prompt_hash, outcome="cache_hit",
            latency_s=time.perf_counter() - clock, started_at=started,
        )
        made: list[LLMCall] = []
        self._record(call, made)
        return JsonReply(value, "cache_hit", request.model, content=content, calls=made)

    # ------------------------------------------------------------------------------------------ sending
    def _send(self, request: _Request, made: list[LLMCall]) -> _Sent:
        """Send with our retry policy; failed attempts are recorded here, the successful one by the caller."""
        attempts = 0

        def attempt() -> _Sent:
            nonlocal attempts
            attempts += 1
            return self._send_once(request, attempts, made)

        try:
            return retrying(self.settings)(attempt)
        except openai.APIError as exc:
            raise LLMUnavailableError(
                f"LLM endpoint failed for model {request.model!r} after {attempts} attempt(s): {self._describe(exc)}",
                model=request.model, attempts=attempts, status_code=getattr(exc, "status_code", None),
            ) from None

    def _send_once(self, request: _Request, attempt: int, made: list[LLMCall]) -> _Sent:
        json_mode = request.model not in self._plain_models
        self._check_budget(request)
        started, clock = utc_now(), time.perf_counter()
        try:
            result = self._transport.send(request.model, request.messages, request.temperature, json_mode=json_mode)
        except openai.APIError as exc:
            outcome: CallOutcome = "timeout" if isinstance(exc, openai.APITimeoutError) else "http_error"
            status = getattr(exc, "status_code", None)
            self._record(
                LLMCall(
                    purpose=request.purpose, model=request.model, prompt_hash=request.prompt_hash, outcome=outcome,
                    error=self._describe(exc), status_code=status, latency_s=time.perf_counter() - clock,
                    attempt=attempt, started_at=started, cost_known=outcome != "timeout",  # a timed-out call may be billed
                ),
                made,
            )
            if json_mode and isinstance(exc, openai.BadRequestError):
                log.info("model %s rejected response_format=json_object; resending without it", request.model)
                self._plain_models.add(request.model)
                return self._send_once(request, attempt, made)
            raise
        return _Sent(result, started, time.perf_counter() - clock, attempt)

    def _check_budget(self, request: _Request) -> None:
        if self.budget_usd is None:
            return
        spent = self.total_cost_usd()
        spec = self.settings.model_spec(request.model)
        tokens = len(canonical_json(request.messages)) // _CHARS_PER_TOKEN
        estimate = (spec.cost_usd(tokens, 0) if spec else None) or 0.0
        if spent >= self.budget_usd or spent + estimate > self.budget_usd:
            raise BudgetExceededError(spent_usd=spent, budget_usd=self.budget_usd, estimate_usd=estimate)

    # ------------------------------------------------------------------------------------------ accounting
    def _record_reply(
        self, request: _Request, sent: _Sent, outcome: CallOutcome, error: str | None, made: list[LLMCall]
    ) -> None:
        spec = self.settings.model_spec(request.model)
        result = sent.result
        cost = spec.cost_usd(result.input_tokens, result.output_tokens) if spec else None
        call = LLMCall(
            purpose=request.purpose, model=request.model, prompt_hash=request.prompt_hash,
            input_tokens=result.input_tokens, output_tokens=result.output_tokens, cost_usd=cost or 0.0,
            cost_known=cost is not None and result.usage_known, latency_s=sent.latency_s, outcome=outcome,
            error=self._redact(error) if error else None, status_code=200, attempt=sent.attempt,
            started_at=sent.started_at,
        )
        self._record(call, made)

    def _record(self, call: LLMCall, made: list[LLMCall]) -> None:
        with self._lock:
            self.calls.append(call)
        made.append(call)
        self.selector.observe(call)
        log.info(
            "llm %s model=%s outcome=%s tokens=%d/%d cost=$%.6f%s latency=%.2fs%s",
            call.purpose, call.model, call.outcome, call.input_tokens, call.output_tokens, call.cost_usd,
            "" if call.cost_known else " (price unknown)", call.latency_s, f" error={call.error}" if call.error else "",
        )
        if self.on_call is not None:
            self.on_call(call)

    # ------------------------------------------------------------------------------------------ helpers
    def _repair_messages(self, request: _Request, sent: _Sent, problem: str | None,
                         schema: type[BaseModel]) -> list[dict[str, Any]]:
        repair = render("json_repair.md.j2", problem=problem, schema_name=schema.__name__, schema=schema_json(schema))
        return [*request.messages, {"role": "assistant", "content": sent.result.content or ""}, user(repair)]

    @staticmethod
    def _beyond_limits(sent: _Sent) -> str | None:
        """Why the reply is dropped without a repair: an unreadable response body, or content beyond the limits."""
        if sent.result.malformed:
            return f"{LIMIT_PREFIX}: unreadable response body ({sent.result.malformed})"
        return over_limits(sent.result.content) if sent.result.content else None

    @staticmethod
    def _with_finish(problem: str | None, sent: _Sent) -> str:
        text = problem or "invalid reply"
        if sent.result.finish_reason == "length":
            text += " (the reply was cut off at the model's output token limit)"
        return text

    def _describe(self, exc: BaseException) -> str:
        if isinstance(exc, openai.APITimeoutError):
            return f"timed out after {self.settings.timeout_s:g}s"
        if isinstance(exc, openai.APIStatusError):
            message = _STATUS_PREFIX.sub("", exc.message)  # openai's own "Error code: 429 - " prefix
            return self._redact(f"HTTP {exc.status_code}: {message}")
        return self._redact(f"{type(exc).__name__}: {exc}")

    def _redact(self, text: str) -> str:
        """Error text without the API key (servers sometimes echo it) and of bounded length."""
        secret = self.settings.api_key.get_secret_value()
        if len(secret) >= 4:
            text = text.replace(secret, "[redacted]")
        return text if len(text) <= _MAX_ERROR_CHARS else text[: _MAX_ERROR_CHARS - 1] + "…"
