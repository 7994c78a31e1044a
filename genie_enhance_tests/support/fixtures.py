"""Fixtures for the scripted LLM server, registered once for every test (a plugin listed in the top conftest.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from genie_enhance.llm import LLMClient, LLMSettings
from genie_enhance_tests.support.scripted_openai import ScriptedOpenAI


@pytest.fixture
def scripted_llm() -> Iterator[ScriptedOpenAI]:
    """A started scripted chat-completions server with an empty reply queue; stopped after the test."""
    with ScriptedOpenAI() as server:
        yield server


@pytest.fixture
def llm_client() -> Iterator[Callable[..., LLMClient]]:
    """`llm_client(settings, **kwargs)` builds an `LLMClient` that is closed (its HTTP pool too) after the test."""
    made: list[LLMClient] = []

    def build(settings: LLMSettings, *args: Any, **kwargs: Any) -> LLMClient:
        client = LLMClient(settings, *args, **kwargs)
        made.append(client)
        return client

    yield build
    for client in made:
        client.close()
