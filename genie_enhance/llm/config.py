"""LLM endpoint settings: where to send requests, which models exist, what they cost, how hard to retry.

The API key is a `SecretStr`, so `repr`, `str`, `model_dump` and logs show `**********`; only the client that
sends requests reads the real value.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from genie_enhance.errors import ConfigError

Role = Literal["proposer", "judge", "any"]

# Editable defaults: public list prices (USD per million tokens, input / output) of a few well-known OpenAI models
# when this table was written. Prices change and discounts differ, so override them in genie_enhance.yaml. Databricks
# serving endpoints bill in DBUs per workspace contract, so none are listed: give their prices explicitly.
DEFAULT_PRICES_USD_PER_MTOK: dict[str, tuple[float, float]] = {
    "gpt-4o": (2.50, 10.00),
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
    "o4-mini": (1.10, 4.40),
}
DEFAULT_MODEL = "gpt-4o-mini"
ENV_API_KEY = "OPENAI_API_KEY"
ENV_BASE_URL = "OPENAI_BASE_URL"
ENV_MODEL = "GENIE_ENHANCE_LLM_MODEL"


class ModelSpec(BaseModel):
    """One model (or serving endpoint) and its price. A price of None means unknown: calls cost 0 but are flagged."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    input_usd_per_mtok: float | None = Field(default=None, ge=0)
    output_usd_per_mtok: float | None = Field(default=None, ge=0)
    role: Role = "any"

    @property
    def price_known(self) -> bool:
        return self.input_usd_per_mtok is not None and self.output_usd_per_mtok is not None

    def cost_usd(self, input_tokens: int, output_tokens: int) -> float | None:
        """Cost of one call from its token usage, or None when the price is unknown."""
        if not self.price_known:
            return None
        return (input_tokens * self.input_usd_per_mtok + output_tokens * self.output_usd_per_mtok) / 1_000_000  # type: ignore[operator]

    def serves(self, role: Role) -> bool:
        return role == "any" or self.role in (role, "any")


def spec_for(name: str, role: Role = "any") -> ModelSpec:
    """A ModelSpec priced from the default table (unknown price when the model is not in it)."""
    price = DEFAULT_PRICES_USD_PER_MTOK.get(name)
    if price is None:
        return ModelSpec(name=name, role=role)
    return ModelSpec(name=name, input_usd_per_mtok=price[0], output_usd_per_mtok=price[1], role=role)


class LLMSettings(BaseModel):
    """Everything `LLMClient` needs. Retry fields bound both the number of attempts and the total time spent."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    base_url: str | None = None  # None: the openai package's default (api.openai.com)
    api_key: SecretStr
    models: list[ModelSpec] = Field(min_length=1)
    timeout_s: float = Field(default=60, gt=0)
    max_retries: int = Field(default=3, ge=0)  # retries after the first attempt
    backoff_initial_s: float = Field(default=0.5, ge=0)
    backoff_max_s: float = Field(default=8.0, ge=0)
    retry_after_cap_s: float = Field(default=30.0, ge=0)  # a server's Retry-After is honoured up to this
    retry_total_s: float = Field(default=120.0, gt=0)  # no retry starts if it would end after this
    cache_dir: Path | None = None
    budget_usd: float | None = Field(default=None, ge=0)
    min_valid_rate: float = Field(default=0.8, ge=0, le=1)  # model selection: acceptable valid-reply rate
    min_observations: int = Field(default=3, ge=1)  # model selection: replies before a rate is trusted

    @field_validator("models")
    @classmethod
    def _unique_names(cls, models: list[ModelSpec]) -> list[ModelSpec]:
        names = [m.name for m in models]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"model names must be unique, repeated: {', '.join(duplicates)}")
        return models

    @property
    def default_model(self) -> str:
        return self.models[0].name

    def model_spec(self, name: str) -> ModelSpec | None:
        return next((m for m in self.models if m.name == name), None)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> LLMSettings:
        """Settings from `OPENAI_API_KEY`, `OPENAI_BASE_URL` and `GENIE_ENHANCE_LLM_MODEL` (comma-separated model
        names, priced from `DEFAULT_PRICES_USD_PER_MTOK`); keyword overrides win."""
        env = os.environ if environ is None else environ
        key = (env.get(ENV_API_KEY) or "").strip()
        if "api_key" not in overrides and not key:
            raise ConfigError(f"{ENV_API_KEY} is not set: the LLM proposer and judge need an API key")
        names = [n.strip() for n in (env.get(ENV_MODEL) or DEFAULT_MODEL).split(",") if n.strip()]
        if "models" not in overrides and not names:
            raise ConfigError(f"{ENV_MODEL} names no model")
        values: dict[str, Any] = {
            "api_key": key,
            "base_url": (env.get(ENV_BASE_URL) or "").strip() or None,
            "models": [spec_for(n) for n in names],
        }
        values.update(overrides)
        return cls(**values)

    @classmethod
    def databricks_serving(cls, host: str, token: str, models: list[ModelSpec], **overrides: Any) -> LLMSettings:
        """Settings for Databricks Model Serving's OpenAI-compatible API (`<host>/serving-endpoints`); model names
        are serving-endpoint names."""
        base = host.rstrip("/")
        if not base.startswith(("https://", "http://")):
            base = "https://" + base
        return cls(base_url=base + "/serving-endpoints", api_key=token, models=models, **overrides)
