"""The one runtime factory: where a space lives → its backend; settings → a `Runtime` (benchmarks, tracking store,
proposers and the LLM the mode and the backend call for).

Why one module: the CLI (`run`, `demo`, `score`, `ask`, `rollback`, `apply`) and the Dagster resources all open
their backend and runtime here, so which backend, which LLM endpoint and which secrets are scrubbed is decided once.
`genie_enhance_tests/test_one_runtime_factory.py` fails when another module opens a backend or builds a runtime.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from genie_enhance.backends.databricks.ratelimit import DEFAULT_QUESTIONS_PER_MINUTE
from genie_enhance.backends.local.factory import open_local_backend
from genie_enhance.backends.local.offline_genie import OfflineGenie
from genie_enhance.benchmarks import LoadedBenchmarks, load_benchmark_set
from genie_enhance.core.progress import ProgressCallback
from genie_enhance.engine.admission import admit_space
from genie_enhance.engine.runtime import Backend, BackendName, CampaignSettings, Runtime, out_paths
from genie_enhance.errors import ConfigError
from genie_enhance.llm import LLMClient, LLMSettings
from genie_enhance.llm.records import LLMCall
from genie_enhance.proposers.heuristic import HeuristicProposer
from genie_enhance.proposers.llm_proposer import LLMProposer
from genie_enhance.space.model import SerializedSpace
from genie_enhance.tracking import TrackingStore


@dataclass(frozen=True)
class SpaceLocation:
    """Where a space lives: a DuckDB warehouse and a space file (local, with the offline Genie's simulated latency,
    noise and rate limit), or a workspace's Genie space and SQL warehouse (databricks, by unified auth)."""

    backend: BackendName = BackendName.local
    warehouse: Path | None = None
    space: Path | None = None
    catalog: str | None = None
    space_id: str | None = None
    warehouse_id: str | None = None
    profile: str | None = None
    poll_interval_s: float = 1.0
    genie_latency_ms: float = 0
    genie_noise: float = 0.0
    genie_max_per_minute: float | None = None

    def missing(self) -> list[str]:
        """The fields this backend needs that are not set."""
        needed = ("warehouse", "space") if self.backend == BackendName.local else ("space_id", "warehouse_id")
        return [name for name in needed if not getattr(self, name)]


def open_backend(where: SpaceLocation, *, seed: int = 0, max_per_minute: float | None = None) -> Backend:
    """The backend of a space; `max_per_minute` throttles a workspace's questions (default: the Conversation
    API's 5 per minute). A `ConfigError` names the fields a backend needs and lacks."""
    missing = where.missing()
    if missing:
        raise ConfigError(f"backend {where.backend} needs {' and '.join(missing)}")
    if where.backend == BackendName.databricks:
        return databricks_backend(str(where.space_id), str(where.warehouse_id), profile=where.profile,
                                  max_per_minute=max_per_minute, poll_interval_s=where.poll_interval_s)
    return local_backend(Path(str(where.warehouse)), Path(str(where.space)), catalog=where.catalog,
                         latency_ms=where.genie_latency_ms, noise=where.genie_noise, seed=seed,
                         max_per_minute=where.genie_max_per_minute)


def open_runtime(settings: CampaignSettings, where: SpaceLocation, out_dir: Path, *,
                 llm_settings: Callable[[], LLMSettings] = LLMSettings.from_env, llm_explicit: bool = False,
                 progress: ProgressCallback | None = None, tracking_path: Path | None = None, admit: bool = True) -> Runtime:
    """Open the space's backend and the runtime around it (the backend is closed again if that fails).

    With `settings.use_llm` the LLM is `llm_settings()` (default: from the environment); on a databricks backend
    it is the workspace's serving endpoints instead, unless an endpoint is explicitly configured (`llm_explicit`,
    or `OPENAI_BASE_URL`)."""
    if where.backend != settings.backend:
        raise ConfigError(f"the settings name backend {settings.backend}, the space lives on {where.backend}")
    backend = open_backend(where, seed=settings.seed, max_per_minute=settings.rate_per_minute)
    try:
        if backend.name == BackendName.databricks:
            return workspace_runtime(settings, backend, out_dir, explicit_llm=llm_settings if llm_explicit else None,
                                     progress=progress, tracking_path=tracking_path, admit=admit)
        return build_runtime(settings, backend, out_dir, llm_settings=llm_settings() if settings.use_llm else None,
                             progress=progress, tracking_path=tracking_path, admit=admit)
    except BaseException:
        backend.close()
        raise


def local_backend(warehouse: Path, space: Path, *, catalog: str | None = None, latency_ms: float = 0,
                  noise: float = 0.0, seed: int = 0, max_per_minute: float | None = None) -> Backend:
    """The embedded default: DuckDB warehouse, file space store, offline Genie."""
    local = open_local_backend(warehouse, space, catalog=catalog, latency_ms=latency_ms, noise=noise, seed=seed,
                               max_per_minute=max_per_minute)

    def answer_for(config: SerializedSpace) -> OfflineGenie:
        return OfflineGenie(config, local.warehouse, latency_ms=latency_ms, noise=noise, seed=seed,
                            max_per_minute=max_per_minute)

    return Backend("local", local.genie, local.store, local.warehouse, closer=local, answer_for=answer_for)


def databricks_backend(space_id: str, warehouse_id: str, *, profile: str | None = None,
                       max_per_minute: float | None = None, poll_interval_s: float = 1.0, **kwargs: Any) -> Backend:
    """A Genie space and SQL warehouse of a workspace (unified auth; `kwargs` go to `open_databricks_backend`).
    Questions are throttled per workspace, at `max_per_minute` or the Conversation API's 5 per minute."""
    from genie_enhance.backends.databricks import (
        open_databricks_backend,  # databricks-sdk is heavy: loaded only when a workspace is used
    )

    opened = open_databricks_backend(space_id, warehouse_id, profile=profile, poll_interval_s=poll_interval_s,
                                     max_per_minute=max_per_minute or DEFAULT_QUESTIONS_PER_MINUTE, **kwargs)
    return Backend("databricks", opened.genie, opened.store, opened.warehouse, closer=opened)


def _llm_hook(tracking: TrackingStore, current: dict[str, Any]) -> Callable[[LLMCall], None]:
    def record(call: LLMCall) -> None:
        tracking.record_llm_call(call, current.get("campaign_id"), current.get("iteration"))

    return record


def build_runtime(settings: CampaignSettings, backend: Backend, out_dir: Path, *,
                  llm_settings: LLMSettings | None = None, progress: ProgressCallback | None = None, secrets: Sequence[str] = (),
                  llm_http_client: Any | None = None, tracking_path: Path | None = None,
                  admit: bool = True) -> Runtime:
    """Wire everything a campaign needs; secrets (the LLM key, plus `secrets`, e.g. the workspace token) are
    scrubbed from what the tracking store writes. `llm_http_client` authenticates LLM requests its own way.
    `tracking_path`: a tracking store shared by several spaces (default: `<out_dir>/tracking.duckdb`). The
    benchmarks are read and the live space admitted first (`admit_space`; `admit=False` only for a rollback, which
    must work on a broken space), so a malformed file leaves no output directory or tracking store behind."""
    loaded = load_benchmark_set(settings.benchmarks) if settings.benchmarks else LoadedBenchmarks()
    catalog = backend.warehouse.catalog() if admit else None
    space_warnings = admit_space(backend.store, backend.warehouse, catalog) if admit else []
    out_dir.mkdir(parents=True, exist_ok=True)
    secrets = [*secrets, *([llm_settings.api_key.get_secret_value()] if llm_settings is not None else [])]
    tracking = TrackingStore(tracking_path or out_paths(out_dir)["tracking"], secrets=secrets)
    current: dict[str, Any] = {}
    llm = (LLMClient(llm_settings, llm_http_client, on_call=_llm_hook(tracking, current))
           if llm_settings is not None else None)
    proposers: list[Any] = [HeuristicProposer()]
    if llm is not None:
        proposers.append(LLMProposer(llm))
    return Runtime(settings=settings, backend=backend, tracking=tracking, benchmarks=loaded.benchmarks,
                   proposers=proposers, llm=llm, progress=progress, current=current,
                   benchmark_warnings=loaded.warnings, space_warnings=space_warnings, _catalog=catalog)


def workspace_runtime(settings: CampaignSettings, backend: Backend, out_dir: Path, *,
                      explicit_llm: Callable[[], LLMSettings] | None = None, progress: ProgressCallback | None = None,
                      tracking_path: Path | None = None, admit: bool = True) -> Runtime:
    """A runtime over a Databricks backend: the workspace credentials are scrubbed from the tracking store, and
    with the LLM on it is the workspace's serving endpoints (workspace auth per request) unless an explicit
    endpoint is configured (`OPENAI_BASE_URL`, or `explicit_llm` — e.g. a base URL in genie_enhance.yaml)."""
    from genie_enhance.backends.databricks.client import (
        credential_secrets,  # databricks-sdk is heavy: loaded only when a workspace is used
    )
    from genie_enhance.backends.databricks.llm import workspace_http_client, workspace_llm_settings

    client = backend.workspace().client
    llm_settings, http_client = None, None
    if settings.use_llm:
        llm_settings = explicit_llm() if explicit_llm is not None else workspace_llm_settings(client)
        if llm_settings is None:
            llm_settings = LLMSettings.from_env()
        elif explicit_llm is None:
            http_client = workspace_http_client(client)
    return build_runtime(settings, backend, out_dir, llm_settings=llm_settings, progress=progress,
                         secrets=credential_secrets(client), llm_http_client=http_client,
                         tracking_path=tracking_path, admit=admit)
