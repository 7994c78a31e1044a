"""Our retry policy for LLM requests (the openai package's own retries are off, so every attempt is recorded).

Retried: 429, 5xx, connection errors and timeouts. Waits grow exponentially (`backoff_initial_s * 2**n`, capped at
`backoff_max_s`); a server's `Retry-After`/`retry-after-ms` wins when present, capped at `retry_after_cap_s`.
Bounded twice: at most `max_retries` retries, and no retry whose wait would end after `retry_total_s`.
"""

from __future__ import annotations

import email.utils
import logging
import time

import openai
import tenacity

from genie_enhance.llm.config import LLMSettings

log = logging.getLogger(__name__)


def is_retryable(exc: BaseException) -> bool:
    if isinstance(exc, openai.APIConnectionError):  # includes APITimeoutError
        return True
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code == 429 or exc.status_code >= 500
    return False


def retry_after_s(exc: BaseException | None) -> float | None:
    """Seconds the server asked us to wait, from `retry-after-ms` or `Retry-After` (seconds or an HTTP date)."""
    if not isinstance(exc, openai.APIStatusError):
        return None
    headers = exc.response.headers
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class BackoffWait:
    """tenacity wait: the server's hint when it gives one (capped), else capped exponential backoff."""

    def __init__(self, initial_s: float, max_s: float, retry_after_cap_s: float) -> None:
        self.initial_s = initial_s
        self.max_s = max_s
        self.retry_after_cap_s = retry_after_cap_s

    def __call__(self, state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        hinted = retry_after_s(exc)
        if hinted is not None:
            return min(hinted, self.retry_after_cap_s)
        return min(self.max_s, self.initial_s * 2 ** (state.attempt_number - 1))


def _log_retry(state: tenacity.RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome else None
    wait = state.next_action.sleep if state.next_action else 0.0
    log.info("LLM request failed (%s, attempt %d); retrying in %.2fs", type(exc).__name__, state.attempt_number, wait)


def retrying(settings: LLMSettings) -> tenacity.Retrying:
    """A fresh tenacity controller for one logical request; the last error is re-raised when it gives up."""
    return tenacity.Retrying(
        stop=tenacity.stop_after_attempt(settings.max_retries + 1) | tenacity.stop_before_delay(settings.retry_total_s),
        wait=BackoffWait(settings.backoff_initial_s, settings.backoff_max_s, settings.retry_after_cap_s),
        retry=tenacity.retry_if_exception(is_retryable),
        before_sleep=_log_retry,
        reraise=True,
    )
