"""Fault injection: what makes the emulator behave like a busy, flaky service, reproducibly (seeded).

Random faults (`FaultOptions`): with probability `fail_rate` a question POST either fails at the HTTP level
(503, or 429 with `Retry-After`) or is accepted and its message later ends FAILED with a retryable error type;
`rate_limit_per_minute` answers 429 + `Retry-After` to question POSTs beyond a sliding 60 s window;
`expire_rate` ends answered messages in QUERY_RESULT_EXPIRED; `latency_ms` delays every API request.

Scripted faults (tests, or `POST /emulator/faults`): the next N calls of a route fail with a given status, the
next N messages fail with a given error type or expire, every message asking a given question fails (a
persistent failure), and `concurrent_edit` edits a space behind the client's back right after it is next
exported (between a client's export and its update).
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections import deque
from dataclasses import dataclass, field

from genie_enhance.emulator.errors import ApiError, bad_request

QUESTION_ROUTES = frozenset({"start-conversation", "create-message"})
RETRYABLE_MESSAGE_ERRORS = (
    "RATE_LIMIT_EXCEEDED_GENERIC_EXCEPTION",
    "RATE_LIMIT_EXCEEDED_SPECIFIED_WAIT_EXCEPTION",
    "RETRYABLE_PROCESSING_EXCEPTION",
    "REPLY_PROCESS_TIMEOUT_EXCEPTION",
)
HTTP_FAULTS = {
    429: ("RESOURCE_EXHAUSTED", "Too many requests: the workspace's question rate limit was exceeded; retry later"),
    500: ("INTERNAL_ERROR", "Internal error (injected fault)"),
    503: ("TEMPORARILY_UNAVAILABLE", "The service is temporarily unavailable (injected fault); retry later"),
    504: ("DEADLINE_EXCEEDED", "The request took too long (injected fault)"),
}
WINDOW_S = 60.0


@dataclass
class FaultOptions:
    fail_rate: float = 0.0
    rate_limit_per_minute: float | None = None
    latency_ms: float = 0.0
    expire_rate: float = 0.0
    retry_after_s: int = 1
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("fail_rate", "expire_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {value}")
        if self.rate_limit_per_minute is not None and self.rate_limit_per_minute <= 0:
            raise ValueError(f"rate_limit_per_minute must be positive, got {self.rate_limit_per_minute}")
        if self.latency_ms < 0 or self.retry_after_s < 0:
            raise ValueError("latency_ms and retry_after_s must be >= 0")


@dataclass
class ScriptedHttp:
    route: str  # a route name (see routes.py) or "*"
    status: int
    remaining: int
    retry_after: int | None = None


@dataclass
class _Scripts:
    http: list[ScriptedHttp] = field(default_factory=list)
    message_failures: deque[str] = field(default_factory=deque)
    expiries: int = 0
    concurrent_edits: int = 0
    concurrent_edit_skips: int = 0  # exports to let pass before the armed edits start
    question_failures: dict[str, str] = field(default_factory=dict)  # question text → error type, every time


def http_fault(status: int, retry_after: int | None = None) -> ApiError:
    if status not in HTTP_FAULTS:
        raise ValueError(f"unsupported fault status {status}; use one of {sorted(HTTP_FAULTS)}")
    code, message = HTTP_FAULTS[status]
    return ApiError(status, code, message, retry_after=retry_after)


class Faults:
    """Thread-safe fault decisions for one emulator."""

    def __init__(self, options: FaultOptions | None = None) -> None:
        self.options = options or FaultOptions()
        self._rng = random.Random(self.options.seed)
        self._lock = threading.Lock()
        self._window: deque[float] = deque()
        self._scripts = _Scripts()

    # ------------------------------------------------------------------------------------------ scripting
    def script_http(self, route: str, status: int, *, times: int = 1, retry_after: int | None = None) -> None:
        """The next `times` calls of `route` ("*" = any API route) answer `status` (429/500/503/504)."""
        http_fault(status)  # validates the status
        with self._lock:
            self._scripts.http.append(ScriptedHttp(route, status, times, retry_after))

    def script_message_failure(self, error_type: str = "RATE_LIMIT_EXCEEDED_GENERIC_EXCEPTION", *, times: int = 1) -> None:
        """The next `times` accepted questions end FAILED with `error_type`."""
        with self._lock:
            self._scripts.message_failures.extend([error_type] * times)

    def fail_question(self, question: str, error_type: str = "REPLY_PROCESS_TIMEOUT_EXCEPTION") -> None:
        """Every message asking exactly `question` ends FAILED with `error_type` (a question Genie keeps failing
        on, e.g. one that always times out): a failure no retry can fix."""
        with self._lock:
            self._scripts.question_failures[question.strip()] = error_type

    def question_failure(self, question: str) -> str | None:
        """The error type every message asking `question` must end with (None: answer it)."""
        with self._lock:
            return self._scripts.question_failures.get(question.strip())

    def script_expired(self, *, times: int = 1) -> None:
        """The next `times` answered questions end QUERY_RESULT_EXPIRED."""
        with self._lock:
            self._scripts.expiries += times

    def arm_concurrent_edit(self, *, times: int = 1, skip: int = 0) -> None:
        """After each of the next `times` exports (once `skip` exports went by untouched, e.g. the admission check
        every campaign command starts with), someone else edits that space."""
        with self._lock:
            self._scripts.concurrent_edits += times
            self._scripts.concurrent_edit_skips = skip

    def configure(self, payload: dict) -> None:
        """Apply a `POST /emulator/faults` body: `http`, `message_failures`, `question_failures` (question →
        error type), `expired`, `concurrent_edit`."""
        try:
            for item in payload.get("http", []):
                self.script_http(item["route"], int(item["status"]), times=int(item.get("times", 1)),
                                 retry_after=item.get("retry_after"))
            for error_type in payload.get("message_failures", []):
                self.script_message_failure(str(error_type))
            for question, error_type in dict(payload.get("question_failures", {})).items():
                self.fail_question(str(question), str(error_type))
            if payload.get("expired"):
                self.script_expired(times=int(payload["expired"]))
            if payload.get("concurrent_edit"):
                self.arm_concurrent_edit(times=int(payload["concurrent_edit"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise bad_request(f"invalid fault script: {exc}") from exc

    # ------------------------------------------------------------------------------------------ decisions
    def delay(self) -> None:
        if self.options.latency_ms:
            time.sleep(self.options.latency_ms / 1000.0)

    def before(self, route: str) -> str | None:
        """Raise the `ApiError` this call must fail with, if any. For a question POST that is accepted, returns
        the error type its message must end FAILED with (None = answer normally)."""
        with self._lock:
            for scripted in self._scripts.http:
                if scripted.remaining > 0 and scripted.route in (route, "*"):
                    scripted.remaining -= 1
                    raise http_fault(scripted.status, scripted.retry_after)
            if route not in QUESTION_ROUTES:
                return None
            self._check_rate_limit()
            failure = self._scripts.message_failures.popleft() if self._scripts.message_failures else None
            if failure is None and self.options.fail_rate and self._rng.random() < self.options.fail_rate:
                kind = self._rng.choice(("http_503", "http_429", "message"))
                if kind == "http_503":
                    raise http_fault(503, self.options.retry_after_s)
                if kind == "http_429":
                    raise http_fault(429, self.options.retry_after_s)
                failure = self._rng.choice(RETRYABLE_MESSAGE_ERRORS)
            self._window.append(time.monotonic())
            return failure

    def _check_rate_limit(self) -> None:
        limit = self.options.rate_limit_per_minute
        if limit is None:
            return
        now = time.monotonic()
        while self._window and now - self._window[0] >= WINDOW_S:
            self._window.popleft()
        if len(self._window) >= limit:
            wait = max(1, math.ceil(self._window[0] + WINDOW_S - now))
            raise ApiError(
                429, "RESOURCE_EXHAUSTED",
                f"Too many requests: at most {limit:g} questions per minute; retry in {wait}s", retry_after=wait,
            )

    def expire(self) -> bool:
        with self._lock:
            if self._scripts.expiries > 0:
                self._scripts.expiries -= 1
                return True
            return bool(self.options.expire_rate) and self._rng.random() < self.options.expire_rate

    def take_concurrent_edit(self) -> bool:
        with self._lock:
            if self._scripts.concurrent_edits > 0 and self._scripts.concurrent_edit_skips > 0:
                self._scripts.concurrent_edit_skips -= 1
                return False
            if self._scripts.concurrent_edits > 0:
                self._scripts.concurrent_edits -= 1
                return True
            return False
