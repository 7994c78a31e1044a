"""Whether a campaign uses the LLM: one rule for `run --llm`, `demo --llm` and genie_enhance.yaml's `llm.mode`.

Why one rule: each front end used to test the mode itself (only a lower-case `on` counted, so `ON` silently meant
off); a typed mode and one function make every front end decide alike.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from enum import StrEnum

from genie_enhance.llm.config import ENV_API_KEY


class LLMMode(StrEnum):
    """`auto`: on when an LLM endpoint is configured (its API key is set); `on`; `off`."""

    auto = "auto"
    on = "on"
    off = "off"

    @classmethod
    def _missing_(cls, value: object) -> LLMMode | None:
        """Any case is accepted (`ON`, `Off`)."""
        return next((m for m in cls if isinstance(value, str) and m.value == value.lower()), None)


def llm_enabled(mode: LLMMode | str, environ: Mapping[str, str] | None = None, key_env: str = ENV_API_KEY) -> bool:
    """The LLM is used when the mode is `on`, or `auto` with an API key in `key_env` (default OPENAI_API_KEY)."""
    env = os.environ if environ is None else environ
    chosen = LLMMode(mode)
    return chosen is LLMMode.on or (chosen is LLMMode.auto and bool((env.get(key_env) or "").strip()))
