"""LLM calls through Databricks Model Serving's OpenAI-compatible API, with the workspace's own credentials.

The same `LLMClient` as for OpenAI is pointed at `<host>/serving-endpoints`; model names are serving-endpoint
names. The bearer token comes from the SDK's unified auth (`w.config.authenticate()`), so a PAT, OAuth M2M or
U2M login all work. OAuth tokens expire (about an hour), so `workspace_http_client` re-authenticates every
request, as the SDK's own `get_open_ai_client` does; the token in the settings is only the first one.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Mapping, Sequence
from typing import Any

import httpx2
import openai
from databricks.sdk import WorkspaceClient

from genie_enhance.backends.databricks.client import workspace_host
from genie_enhance.errors import ConfigError
from genie_enhance.llm.config import ENV_BASE_URL, ENV_MODEL, LLMSettings, ModelSpec, spec_for

# A pay-per-token Foundation Model endpoint most workspaces have; name yours with GENIE_ENHANCE_LLM_MODEL.
DEFAULT_SERVING_ENDPOINT = "databricks-meta-llama-3-3-70b-instruct"


def bearer_token(w: WorkspaceClient) -> str:
    """A fresh bearer token from the client's credentials (never logged; `LLMSettings` keeps it as a secret)."""
    header = w.config.authenticate().get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise ConfigError(
            f"the Databricks credentials for {workspace_host(w)} do not yield a bearer token "
            f"(auth type {w.config.auth_type!r}); serving endpoints need a PAT or OAuth"
        )
    return token


def databricks_llm_settings(w: WorkspaceClient, models: Sequence[ModelSpec | str], **overrides: Any) -> LLMSettings:
    """`LLMSettings` for the workspace's serving endpoints; a plain name becomes a `ModelSpec` of unknown price."""
    if not models:
        raise ConfigError("databricks_llm_settings: name at least one serving endpoint")
    specs = [m if isinstance(m, ModelSpec) else spec_for(m) for m in models]
    return LLMSettings.databricks_serving(workspace_host(w), bearer_token(w), specs, **overrides)


def workspace_llm_settings(w: WorkspaceClient, environ: Mapping[str, str] | None = None) -> LLMSettings | None:
    """The workspace's serving endpoints (models from `GENIE_ENHANCE_LLM_MODEL`, comma-separated, else
    `DEFAULT_SERVING_ENDPOINT`), or None when `OPENAI_BASE_URL` names another endpoint: an explicit one wins."""
    env = os.environ if environ is None else environ
    if (env.get(ENV_BASE_URL) or "").strip():
        return None
    names = [n.strip() for n in (env.get(ENV_MODEL) or DEFAULT_SERVING_ENDPOINT).split(",") if n.strip()]
    return databricks_llm_settings(w, names or [DEFAULT_SERVING_ENDPOINT])


class WorkspaceAuth(httpx2.Auth):
    """Sets the workspace's current `Authorization` header on every request (fresh OAuth tokens included)."""

    def __init__(self, w: WorkspaceClient) -> None:
        self._config = w.config

    def auth_flow(self, request: httpx2.Request) -> Generator[httpx2.Request, httpx2.Response, None]:
        request.headers.update(self._config.authenticate())
        yield request


def workspace_http_client(w: WorkspaceClient) -> httpx2.Client:
    """An HTTP client for `LLMClient(..., http_client=...)` that authenticates as the workspace client does (the
    request timeout stays the `LLMSettings` one, which the openai client passes per request)."""
    return openai.DefaultHttpxClient(auth=WorkspaceAuth(w))
