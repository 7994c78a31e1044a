"""Model selection: the cheapest model for a role whose replies are valid often enough.

Rule (deterministic, no randomness):
1. Candidates are the configured models that serve the role (`role` equal to it or `"any"`).
2. They are ordered by list price (input + output USD per million tokens; unknown prices last), then by name.
3. A model is acceptable while it has fewer than `min_observations` replies (not yet judged) or its valid-reply
   rate — (ok + repaired) / (ok + repaired + invalid) over HTTP replies — is at least `min_valid_rate`.
4. The first acceptable candidate wins; when none is, the one with the best valid-reply rate (then cheapest) —
   or, for a caller that can do without (`usable`), none.
HTTP errors, timeouts and cache hits do not count as replies; they say nothing about the model's output quality.
A reply beyond the parser's limits (too deep, too long a number, invalid Unicode, an unreadable body) is an
invalid reply like any other: an endpoint that keeps sending them stops being chosen.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

from genie_enhance.errors import ConfigError
from genie_enhance.llm.config import ModelSpec, Role
from genie_enhance.llm.records import LLMCall


@dataclass
class ModelStats:
    """Running per-model counters."""

    calls: int = 0  # every HTTP request, including failed ones
    valid: int = 0
    invalid: int = 0
    cost_usd: float = 0.0

    @property
    def replies(self) -> int:
        return self.valid + self.invalid

    @property
    def valid_rate(self) -> float | None:
        return self.valid / self.replies if self.replies else None

    @property
    def mean_cost_usd(self) -> float | None:
        return self.cost_usd / self.calls if self.calls else None


def list_price(spec: ModelSpec) -> float:
    if not spec.price_known:
        return math.inf
    return spec.input_usd_per_mtok + spec.output_usd_per_mtok  # type: ignore[operator]


class ModelSelector:
    """Keeps `ModelStats` from observed `LLMCall`s and chooses a model per role (see the module docstring)."""

    def __init__(self, models: list[ModelSpec], *, min_valid_rate: float = 0.8, min_observations: int = 3) -> None:
        self.models = list(models)
        self.min_valid_rate = min_valid_rate
        self.min_observations = min_observations
        self._stats: dict[str, ModelStats] = {}
        self._lock = threading.Lock()

    def observe(self, call: LLMCall) -> None:
        if call.outcome == "cache_hit":
            return
        with self._lock:
            stats = self._stats.setdefault(call.model, ModelStats())
            stats.calls += 1
            stats.cost_usd += call.cost_usd
            if call.outcome in ("ok", "repaired"):
                stats.valid += 1
            elif call.outcome == "invalid_reply":
                stats.invalid += 1

    def stats(self, model: str) -> ModelStats:
        with self._lock:
            s = self._stats.get(model, ModelStats())
            return ModelStats(s.calls, s.valid, s.invalid, s.cost_usd)

    def acceptable(self, model: str) -> bool:
        stats = self.stats(model)
        if stats.replies < self.min_observations:
            return True
        return (stats.valid_rate or 0.0) >= self.min_valid_rate

    def choose(self, role: Role = "any") -> str:
        candidates = self._candidates(role)
        return self.usable(role) or min(
            candidates, key=lambda m: (-(self.stats(m.name).valid_rate or 0.0), list_price(m), m.name)).name

    def usable(self, role: Role = "any") -> str | None:
        """The first acceptable candidate (rule 3), or None when every model of the role keeps sending unusable
        replies — a caller that can go without (the LLM proposer) then stops asking."""
        return next((spec.name for spec in self._candidates(role) if self.acceptable(spec.name)), None)

    def _candidates(self, role: Role) -> list[ModelSpec]:
        candidates = sorted((m for m in self.models if m.serves(role)), key=lambda m: (list_price(m), m.name))
        if not candidates:
            configured = ", ".join(f"{m.name} ({m.role})" for m in self.models) or "none"
            raise ConfigError(f"no LLM model is configured for role {role!r} (models: {configured})")
        return candidates
