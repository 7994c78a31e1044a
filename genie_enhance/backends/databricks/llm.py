"""LLM calls through Databricks Model Serving's OpenAI-compatible API, with the workspace's own credentials.

The same `LLMClient` as for OpenAI is pointed at `<host>/serving-endpoints`; model names are serving-endpoint
names. The bearer token comes from the SDK's unified auth (`w.config.authenticate()`), so a PAT, OAuth M2M or
U2M login all work. OAuth tokens expire (about an hour): build the settings again for a long campaign.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from databricks.sdk import WorkspaceClient

from genie_enhance.backends.databricks.client import workspace_host
from genie_enhance.errors import ConfigError
from genie_enhance.llm.config import LLMSettings, ModelSpec, spec_for


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
