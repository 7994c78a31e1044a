"""What the LLM layer reports: one `LLMCall` per HTTP request (or cache hit), and one `JsonReply` per question."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

CallOutcome = Literal["ok", "cache_hit", "invalid_reply", "repaired", "http_error", "timeout"]
ReplyOutcome = Literal["ok", "cache_hit", "repaired", "invalid_reply"]
T = TypeVar("T", bound=BaseModel)


def utc_now() -> datetime:
    return datetime.now(UTC)


class LLMCall(BaseModel):
    """One HTTP request to the model endpoint (or one cache hit), as the tracking store records it.

    `cost_known` is False when the model's price or the reply's token usage is unknown (then `cost_usd` is 0).
    `error` is the reason for a failed or invalid call, with secrets removed.
    """

    model_config = ConfigDict(frozen=True)

    id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    purpose: str
    model: str
    prompt_hash: str
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    cost_known: bool = True
    latency_s: float = 0.0
    outcome: CallOutcome
    error: str | None = None
    status_code: int | None = None
    attempt: int = 1  # 1 = first try; >1 = a retry of the same request
    started_at: datetime = Field(default_factory=utc_now)


@dataclass(frozen=True)
class JsonReply(Generic[T]):
    """A validated reply (`value`), or `value=None` with `outcome="invalid_reply"` and the `reason`."""

    value: T | None
    outcome: ReplyOutcome
    model: str
    reason: str | None = None
    content: str | None = None  # the last raw reply text
    calls: list[LLMCall] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.value is not None

    @property
    def cost_usd(self) -> float:
        return sum(c.cost_usd for c in self.calls)
