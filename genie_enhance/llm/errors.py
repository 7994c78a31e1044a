"""Errors of the LLM layer. A bad *reply* is never an error (it is an `invalid_reply` outcome); these are for an
endpoint that cannot be used and for a spending cap that has been reached."""

from __future__ import annotations

from genie_enhance.errors import GenieEnhanceError


class LLMError(GenieEnhanceError):
    """Base class of the LLM layer's errors."""


class LLMUnavailableError(LLMError):
    """The endpoint kept failing after the bounded retries, or failed in a way retrying cannot fix (401, 404 …)."""

    def __init__(self, message: str, *, model: str, attempts: int, status_code: int | None = None) -> None:
        super().__init__(message)
        self.model = model
        self.attempts = attempts
        self.status_code = status_code


class BudgetExceededError(LLMError):
    """The next request would exceed the configured spending cap; nothing was sent."""

    def __init__(self, *, spent_usd: float, budget_usd: float, estimate_usd: float) -> None:
        super().__init__(
            f"LLM budget reached: spent ${spent_usd:.4f} of ${budget_usd:.4f}"
            f" (next request estimated at ${estimate_usd:.4f}); no request was sent"
        )
        self.spent_usd = spent_usd
        self.budget_usd = budget_usd
        self.estimate_usd = estimate_usd
