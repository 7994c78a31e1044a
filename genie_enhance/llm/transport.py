"""One chat-completions request through the real `openai` package, nothing more: no retries, no accounting.

Works against any OpenAI-compatible server: api.openai.com, a proxy, or Databricks Model Serving
(`<host>/serving-endpoints`, where the model name is the serving-endpoint name).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import openai

from genie_enhance.llm.config import LLMSettings

JSON_MODE = {"type": "json_object"}


@dataclass(frozen=True)
class ChatResult:
    """The parts of a chat completion the LLM layer uses."""

    content: str | None
    input_tokens: int
    output_tokens: int
    usage_known: bool
    finish_reason: str | None
    malformed: str | None = None  # why the response body could not be read (then content is None)


class ChatTransport:
    """Owns the `openai.OpenAI` client; `max_retries=0` because retries are ours (see `retry.py`)."""

    def __init__(self, settings: LLMSettings, http_client: Any | None = None) -> None:
        self._client = openai.OpenAI(
            base_url=settings.base_url,
            api_key=settings.api_key.get_secret_value(),
            max_retries=0,
            timeout=settings.timeout_s,
            http_client=http_client,
        )

    def send(self, model: str, messages: list[dict[str, Any]], temperature: float, *, json_mode: bool) -> ChatResult:
        """Send one request; raises the openai package's exceptions (`APIStatusError`, `APITimeoutError` …). A
        response body the JSON decoder cannot read comes back as a `ChatResult` with `malformed` set: the endpoint
        answered, badly, and that is a bad reply (recorded, counted against the model), not a crash."""
        extra: dict[str, Any] = {"response_format": JSON_MODE} if json_mode else {}
        try:
            response = self._client.chat.completions.create(
                model=model, messages=messages, temperature=temperature, **extra  # type: ignore[arg-type]
            )
        except (RecursionError, ValueError) as exc:  # a 200 whose body breaks the JSON decoder (deep, huge numbers)
            return ChatResult(None, 0, 0, False, None, malformed=f"{type(exc).__name__}: {str(exc)[:160]}")
        choice = response.choices[0] if response.choices else None
        usage = response.usage
        return ChatResult(
            content=choice.message.content if choice else None,
            input_tokens=(usage.prompt_tokens or 0) if usage else 0,
            output_tokens=(usage.completion_tokens or 0) if usage else 0,
            usage_known=usage is not None,
            finish_reason=choice.finish_reason if choice else None,
        )

    def close(self) -> None:
        self._client.close()
