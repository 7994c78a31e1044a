"""Building the `WorkspaceClient`: Databricks unified auth, with a retry budget short enough to notice.

Unified auth resolves, in order, explicit arguments, `DATABRICKS_HOST`/`DATABRICKS_TOKEN` (and the other
`DATABRICKS_*` variables), and a profile in `~/.databrickscfg` (PAT, OAuth M2M/U2M, Azure, GCP …), so every
workspace a user can reach with the Databricks CLI works here unchanged.

Why the lowered budget: the SDK retries every call (POSTs included) on 429/503 and connection errors for
`retry_timeout_seconds`, 300 s by default, sleeping `Retry-After` between attempts without a word. A throttled
`start_conversation` would then block a worker for five minutes. With 30 s the SDK absorbs short blips and then
raises, and our own loop (token bucket, per-question retries) decides what happens next.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

from databricks.sdk import WorkspaceClient
from databricks.sdk.config import Config

from genie_enhance.errors import ConfigError

DEFAULT_RETRY_TIMEOUT_S = 30
DEFAULT_HTTP_TIMEOUT_S = 60  # above the statement API's longest synchronous wait (50 s)
PRODUCT = "genie-enhance"


def _product_version() -> str:
    try:
        return version(PRODUCT)
    except PackageNotFoundError:
        return "0.0.0"


def workspace_client(
    *,
    host: str | None = None,
    token: str | None = None,
    profile: str | None = None,
    retry_timeout_s: int = DEFAULT_RETRY_TIMEOUT_S,
    http_timeout_s: float = DEFAULT_HTTP_TIMEOUT_S,
    **config: Any,
) -> WorkspaceClient:
    """A `WorkspaceClient` through unified auth (arguments, environment, profile), with the given retry budget.

    Extra keyword arguments go to `databricks.sdk.config.Config` (e.g. `auth_type`, `client_id`). A missing or
    incomplete configuration raises `ConfigError`; the SDK's message masks secrets (`token=***`).
    """
    if retry_timeout_s <= 0 or http_timeout_s <= 0:
        raise ConfigError("retry_timeout_s and http_timeout_s must be positive")
    given = {"host": host, "token": token, "profile": profile, **config}
    try:
        cfg = Config(
            **{k: v for k, v in given.items() if v is not None},
            retry_timeout_seconds=int(retry_timeout_s),
            http_timeout_seconds=float(http_timeout_s),
            product=PRODUCT,
            product_version=_product_version(),
        )
    except ValueError as exc:
        raise ConfigError(
            f"Databricks connection is not configured: {exc} (set DATABRICKS_HOST and DATABRICKS_TOKEN, "
            "or pass a profile from ~/.databrickscfg)"
        ) from exc
    return WorkspaceClient(config=cfg)


def credential_secrets(w: WorkspaceClient) -> list[str]:
    """Every secret the client's configuration holds (PAT, client secret, password …), so that stores and reports
    can scrub them; the SDK marks these attributes `sensitive`."""
    values = (getattr(w.config, attr.name, None) for attr in Config.attributes() if attr.sensitive)
    return [v for v in values if isinstance(v, str) and v]


def workspace_host(w: WorkspaceClient) -> str:
    """The workspace URL without a trailing slash (for messages and the serving-endpoint base URL)."""
    return (w.config.host or "").rstrip("/")
