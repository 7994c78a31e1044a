"""The Databricks backend as a whole through the real `databricks-sdk`: unified auth (arguments, environment,
profile) with the lowered retry budget, `open_databricks_backend`, clear auth errors, the token never in a log
or an exception, and LLM settings for serving endpoints."""

from __future__ import annotations

import logging
import os

import pytest
from pydantic import BaseModel

from genie_enhance.backends.databricks import (
    DatabricksAuthError,
    DatabricksBackendError,
    databricks_llm_settings,
    open_databricks_backend,
    workspace_client,
)
from genie_enhance.backends.databricks.genie import DatabricksGenie
from genie_enhance.core.protocols import AnswerStatus, Genie, Warehouse
from genie_enhance.emulator import Emulator
from genie_enhance.errors import ConcurrentEditError, ConfigError, SqlExecutionError
from genie_enhance.llm import LLMClient
from genie_enhance.space.store import SpaceStore
from genie_enhance_tests.support.emulator import ORDERS, SPACE_ID, TOKEN, client_for
from genie_enhance_tests.support.scripted_openai import text

WRONG_TOKEN = "dapi-wrong-token-5be0c1d2e3f4a596"


class Answer(BaseModel):
    answer: int
    unit: str


@pytest.fixture
def no_ambient_auth(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """No DATABRICKS_* variables and no ~/.databrickscfg leak into a test."""
    for name in [n for n in os.environ if n.startswith("DATABRICKS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(tmp_path / "databrickscfg"))


def test_open_backend_gives_the_three_protocols_over_one_client(emulator: Emulator) -> None:
    backend = open_databricks_backend(SPACE_ID, emulator.warehouse_id, host=emulator.host, token=TOKEN,
                                      max_per_minute=None, poll_interval_s=0.01)
    try:
        assert isinstance(backend.genie, Genie) and isinstance(backend.store, SpaceStore)
        assert isinstance(backend.warehouse, Warehouse)
        assert backend.client.config.retry_timeout_seconds == 30 and backend.client.config.http_timeout_seconds == 60
        answer = backend.genie.ask("How many orders are there?")
        assert backend.warehouse.execute(answer.sql).rows == [(2500,)]
        assert set(backend.warehouse.catalog().tables) == {ORDERS, "emu.sales.customers"}  # the space's tables
    finally:
        backend.close()


def test_unified_auth_from_environment_and_profile(emulator: Emulator, no_ambient_auth, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("DATABRICKS_HOST", emulator.host)
    monkeypatch.setenv("DATABRICKS_TOKEN", TOKEN)
    assert workspace_client().genie.get_space(SPACE_ID).space_id == SPACE_ID
    monkeypatch.delenv("DATABRICKS_HOST")
    monkeypatch.delenv("DATABRICKS_TOKEN")
    (tmp_path / "databrickscfg").write_text(f"[emu]\nhost = {emulator.host}\ntoken = {TOKEN}\n", encoding="utf-8")
    w = workspace_client(profile="emu", retry_timeout_s=7)
    assert w.config.retry_timeout_seconds == 7
    assert w.genie.get_space(SPACE_ID).title == "emu_space"


def test_missing_configuration_is_a_config_error_without_the_token(no_ambient_auth) -> None:
    with pytest.raises(ConfigError, match="DATABRICKS_HOST") as caught:
        workspace_client(token=WRONG_TOKEN)
    assert WRONG_TOKEN not in str(caught.value)


def test_wrong_token_is_a_clear_auth_error_everywhere(emulator: Emulator) -> None:
    w = client_for(emulator, token=WRONG_TOKEN)
    with pytest.raises(DatabricksAuthError, match="HTTP_401.*DATABRICKS_TOKEN") as opened:
        open_databricks_backend(SPACE_ID, emulator.warehouse_id, client=w)
    answer = DatabricksGenie(w, SPACE_ID, max_per_minute=None).ask("How many orders are there?")
    assert (answer.status, answer.error_type, answer.retryable) == (AnswerStatus.FAILED, "HTTP_401", False)
    assert WRONG_TOKEN not in str(opened.value) and WRONG_TOKEN not in (answer.error or "")
    served = {r.status for r in emulator.requests() if r.route != "host-metadata"}  # discovery needs no token
    assert served == {401}  # nothing was served to the wrong token


def test_unknown_space_is_a_not_found_backend_error(emulator: Emulator) -> None:
    with pytest.raises(DatabricksBackendError, match="HTTP_404") as caught:
        open_databricks_backend("0" * 32, emulator.warehouse_id, client=client_for(emulator))
    assert not isinstance(caught.value, DatabricksAuthError) and not caught.value.retryable


def test_token_never_appears_in_logs_or_errors(make_emulator, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # the SDK logs every request and response at DEBUG
    emulator = make_emulator()
    errors: list[BaseException] = []
    backend = open_databricks_backend(SPACE_ID, emulator.warehouse_id, host=emulator.host, token=TOKEN,
                                      max_per_minute=None, poll_interval_s=0.01, retry_timeout_s=5)
    try:
        space, etag = backend.store.export()
        emulator.faults.script_http("start-conversation", 503, retry_after=0)
        answers = [backend.genie.ask("How many orders are there?"), backend.genie.ask("What is the total revenue?")]
        backend.store.update(space, etag)
        for action in (lambda: backend.store.update(space, etag), lambda: backend.warehouse.execute(f"SELECT nope FROM {ORDERS}")):
            with pytest.raises((ConcurrentEditError, SqlExecutionError)) as caught:
                action()
            errors.append(caught.value)
        with pytest.raises(DatabricksAuthError) as denied:
            open_databricks_backend(SPACE_ID, emulator.warehouse_id, host=emulator.host, token=TOKEN + "x")
        errors.append(denied.value)
    finally:
        backend.close()
    assert caplog.records and any("start-conversation" in r.getMessage() for r in caplog.records)
    assert TOKEN not in caplog.text
    texts = [str(e) + repr(e) + str(e.__cause__) for e in errors] + [a.error or "" for a in answers]
    assert all(TOKEN not in t for t in texts)
    assert TOKEN not in repr(emulator.requests()) and TOKEN not in repr(backend.client.config)


def test_llm_settings_use_serving_endpoints_with_the_workspace_token(scripted_llm, llm_client) -> None:
    w = workspace_client(host=scripted_llm.host, token=TOKEN, retry_timeout_s=1, http_timeout_s=5)
    settings = databricks_llm_settings(w, ["team-llama"], max_retries=0)
    assert settings.base_url == scripted_llm.host.rstrip("/") + "/serving-endpoints"
    assert TOKEN not in repr(settings) and settings.api_key.get_secret_value() == TOKEN
    scripted_llm.push(text('{"answer": 7, "unit": "orders"}'))
    client: LLMClient = llm_client(settings)
    reply = client.complete_json([{"role": "user", "content": "How many?"}], Answer, purpose="test")
    assert reply.value == Answer(answer=7, unit="orders")
    request = scripted_llm.requests[-1]
    assert request.path == "/serving-endpoints/chat/completions"
    assert request.headers["authorization"] == f"Bearer {TOKEN}" and request.body["model"] == "team-llama"
