"""The Databricks backend in one call: a `WorkspaceClient` and the three protocol implementations over it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import DatabricksError

from genie_enhance.backends.databricks.client import (
    DEFAULT_HTTP_TIMEOUT_S,
    DEFAULT_RETRY_TIMEOUT_S,
    workspace_client,
    workspace_host,
)
from genie_enhance.backends.databricks.errors import backend_error
from genie_enhance.backends.databricks.genie import DatabricksGenie
from genie_enhance.backends.databricks.native_eval import NativeEvalRun, NativeEvaluator
from genie_enhance.backends.databricks.ratelimit import DEFAULT_QUESTIONS_PER_MINUTE
from genie_enhance.backends.databricks.space_store import DatabricksSpaceStore
from genie_enhance.backends.databricks.warehouse import DatabricksWarehouse


@dataclass
class DatabricksBackend:
    """Genie, space store and warehouse of one space, sharing one workspace client."""

    client: WorkspaceClient
    genie: DatabricksGenie
    store: DatabricksSpaceStore
    warehouse: DatabricksWarehouse
    poll_interval_s: float = 1.0

    def native_eval(self, question_ids: Sequence[str] | None = None, *, timeout_s: float = 1800.0) -> NativeEvalRun:
        """Genie's own benchmark evaluation of the space's benchmark questions (None: all of them)."""
        evaluator = NativeEvaluator(self.client, self.genie.space_id, poll_interval_s=self.poll_interval_s,
                                    timeout_s=timeout_s)
        return evaluator.run(question_ids)

    def close(self) -> None:
        """Release the client's pooled HTTP connections (the SDK has no public close; its session is reused
        lazily, so a closed backend's client still works if someone kept it)."""
        base = getattr(self.client.api_client, "_api_client", None)
        session = getattr(base, "_session", None)
        if session is not None:
            session.close()

    def __enter__(self) -> DatabricksBackend:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def open_databricks_backend(
    space_id: str,
    warehouse_id: str,
    *,
    profile: str | None = None,
    host: str | None = None,
    token: str | None = None,
    client: WorkspaceClient | None = None,
    retry_timeout_s: int = DEFAULT_RETRY_TIMEOUT_S,
    http_timeout_s: float = DEFAULT_HTTP_TIMEOUT_S,
    max_per_minute: float | None = DEFAULT_QUESTIONS_PER_MINUTE,
    per_question_timeout_s: float = 120.0,
    poll_interval_s: float = 1.0,
    wait_timeout: str = "30s",
    statement_timeout_s: float = 300.0,
) -> DatabricksBackend:
    """Connect (unified auth unless `client` is given) and check that the space can be read, so that bad
    credentials or a wrong space id fail here with a clear `DatabricksAuthError`/`DatabricksBackendError`."""
    w = client or workspace_client(
        host=host, token=token, profile=profile, retry_timeout_s=retry_timeout_s, http_timeout_s=http_timeout_s
    )
    try:
        w.genie.get_space(space_id)
    except (DatabricksError, TimeoutError, OSError) as exc:
        raise backend_error(exc, f"open Genie space {space_id}", workspace_host(w)) from exc
    store = DatabricksSpaceStore(w, space_id)
    genie = DatabricksGenie(
        w, space_id, per_question_timeout_s=per_question_timeout_s, poll_interval_s=poll_interval_s,
        max_per_minute=max_per_minute,
    )
    warehouse = DatabricksWarehouse(
        w, warehouse_id, wait_timeout=wait_timeout, poll_interval_s=poll_interval_s, timeout_s=statement_timeout_s,
        catalog_source=lambda: [t.identifier for t in store.export()[0].all_tables()],
    )
    return DatabricksBackend(client=w, genie=genie, store=store, warehouse=warehouse, poll_interval_s=poll_interval_s)
