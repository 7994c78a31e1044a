"""The LLM through the workspace's serving endpoints: `open_runtime` for `--backend databricks` with the LLM on
and no OPENAI_BASE_URL points the real openai client at `<host>/serving-endpoints` with the workspace's own
credentials. The emulator serves that route and forwards the body (never the token) to a scripted
chat-completions server."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import BaseModel

from genie_enhance.backends.databricks import workspace_client
from genie_enhance.backends.databricks.llm import DEFAULT_SERVING_ENDPOINT, workspace_http_client
from genie_enhance.cli.campaign_io import open_runtime
from genie_enhance.emulator import Emulator, EmulatorOptions
from genie_enhance.engine.runtime import CampaignSettings, out_paths
from genie_enhance.llm import LLMClient, LLMSettings, LLMUnavailableError, ModelSpec
from genie_enhance_tests.support.emulator import SPACE_ID, TOKEN
from genie_enhance_tests.support.scripted_openai import ScriptedOpenAI, text


class Answer(BaseModel):
    answer: int
    unit: str


@pytest.fixture
def upstream():
    with ScriptedOpenAI() as server:
        yield server


@pytest.fixture
def workspace_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """Unified auth from DATABRICKS_HOST/DATABRICKS_TOKEN only; no OpenAI settings around."""
    for name in [n for n in os.environ if n.startswith(("DATABRICKS_", "OPENAI_", "GENIE_ENHANCE_LLM"))]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(tmp_path / "no-databrickscfg"))

    def point_at(emulator: Emulator) -> None:
        monkeypatch.setenv("DATABRICKS_HOST", emulator.host)
        monkeypatch.setenv("DATABRICKS_TOKEN", TOKEN)

    return point_at


def _runtime(emulator: Emulator, out: Path):
    settings = CampaignSettings(space_key="serving", backend="databricks", benchmarks="", use_llm=True)
    return open_runtime(settings, out, warehouse=None, space=None, space_id=SPACE_ID,
                        warehouse_id=emulator.warehouse_id, poll_interval_s=0.001)


def test_llm_goes_to_the_workspace_serving_endpoints(make_emulator, upstream, workspace_env, monkeypatch, tmp_path) -> None:
    emulator = make_emulator(options=EmulatorOptions(serving_upstream=upstream.base_url))
    workspace_env(emulator)
    monkeypatch.setenv("GENIE_ENHANCE_LLM_MODEL", "team-llama")
    rt = _runtime(emulator, tmp_path / "out")
    try:
        assert rt.llm.settings.base_url == emulator.host + "/serving-endpoints"
        assert [m.name for m in rt.llm.settings.models] == ["team-llama"]
        upstream.push(text('{"answer": 7, "unit": "orders"}'))
        reply = rt.llm.complete_json([{"role": "user", "content": "How many?"}], Answer, purpose="test")
    finally:
        rt.close()
    assert reply.value == Answer(answer=7, unit="orders")
    [served] = emulator.requests("serving-chat")  # through the workspace, which checked the bearer token
    assert served.status == 200 and served.body["model"] == "team-llama"
    forwarded = upstream.requests[-1]
    assert forwarded.body["messages"] == [{"role": "user", "content": "How many?"}]
    assert TOKEN not in str(forwarded.headers)  # the workspace token stays in the workspace
    assert TOKEN.encode() not in out_paths(tmp_path / "out")["tracking"].read_bytes()


def test_every_llm_request_carries_the_workspace_credentials(make_emulator, upstream, tmp_path) -> None:
    """The header comes from the SDK config per request (fresh OAuth tokens), not from the settings' first token."""
    emulator = make_emulator(options=EmulatorOptions(serving_upstream=upstream.base_url))
    w = workspace_client(host=emulator.host, token=TOKEN, retry_timeout_s=5, http_timeout_s=5)
    stale = LLMSettings.databricks_serving(emulator.host, "dapi-expired-0000", [ModelSpec(name="team-llama")], max_retries=0)
    upstream.push(text('{"answer": 1, "unit": "x"}'))
    with LLMClient(stale, workspace_http_client(w)) as client:
        assert client.complete_json([{"role": "user", "content": "?"}], Answer, purpose="test").value.answer == 1
    with LLMClient(stale) as client, pytest.raises(LLMUnavailableError, match="HTTP 401"):
        client.complete_json([{"role": "user", "content": "?"}], Answer, purpose="test")  # the stale token alone
    assert [r.status for r in emulator.requests("serving-chat")] == [200, 401]


def test_defaults_and_an_explicit_openai_endpoint(make_emulator, upstream, workspace_env, monkeypatch, tmp_path) -> None:
    emulator = make_emulator()
    workspace_env(emulator)
    rt = _runtime(emulator, tmp_path / "a")
    try:
        assert [m.name for m in rt.llm.settings.models] == [DEFAULT_SERVING_ENDPOINT]
    finally:
        rt.close()
    monkeypatch.setenv("OPENAI_BASE_URL", upstream.base_url)  # an explicit OpenAI-compatible endpoint wins
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-explicit")
    rt = _runtime(emulator, tmp_path / "b")
    try:
        assert rt.llm.settings.base_url == upstream.base_url
        assert rt.llm.settings.api_key.get_secret_value() == "sk-test-explicit"
    finally:
        rt.close()


def test_serving_route_without_an_upstream_is_not_found(make_emulator, workspace_env, tmp_path) -> None:
    emulator = make_emulator()
    workspace_env(emulator)
    rt = _runtime(emulator, tmp_path / "out")
    try:
        with pytest.raises(LLMUnavailableError, match="HTTP 404.*--serving-upstream"):
            rt.llm.complete_json([{"role": "user", "content": "?"}], Answer, purpose="test")
    finally:
        rt.close()
    assert {r.status for r in emulator.requests("serving-chat")} == {404}


def test_dagster_spaces_resource_uses_the_workspace_llm_and_scrubs_its_token(
        make_emulator, upstream, workspace_env, tmp_path) -> None:
    """A databricks space of genie_enhance.yaml gets the same LLM routing and secret scrubbing as the CLI."""
    from dagster_duckdb import DuckDBResource

    from genie_enhance.defs.resources import LLMResource, SpacesResource
    from genie_enhance.engine.campaign import start_or_resume

    emulator = make_emulator(options=EmulatorOptions(serving_upstream=upstream.base_url))
    workspace_env(emulator)
    bench = tmp_path / "bench.md"
    bench.write_text("## q1\n**Question:** How many rows?\n```sql\nSELECT 1\n```\n", encoding="utf-8")
    config = tmp_path / "genie_enhance.yaml"
    config.write_text(
        f"llm: {{mode: on}}\nspaces:\n  team:\n    backend: databricks\n    space_id: {SPACE_ID}\n"
        f"    warehouse_id: {emulator.warehouse_id}\n    benchmarks: bench.md\n", encoding="utf-8")
    tracking = tmp_path / "tracking.duckdb"
    resource = SpacesResource(config_file=str(config), tracking_db=DuckDBResource(database=str(tracking)),
                              llm=LLMResource())
    rt = resource.runtime(resource.settings("team"))
    try:
        assert rt.llm.settings.base_url == emulator.host + "/serving-endpoints"
        assert [m.name for m in rt.llm.settings.models] == [DEFAULT_SERVING_ENDPOINT]
        campaign_id = start_or_resume(rt, new=True)
        rt.tracking.record_event(campaign_id, "probe", f"token {TOKEN} must not be stored")
    finally:
        rt.close()
    assert TOKEN.encode() not in tracking.read_bytes()
