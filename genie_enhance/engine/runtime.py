"""What a campaign runs with: its settings, the backend behind the three protocols, the tracking store.

The CLI and the Dagster resources both get their `Runtime` from `genie_enhance.engine.build` (the one factory);
every engine step takes one, so the two front ends share one code path.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from pydantic import BaseModel, Field

from genie_enhance.benchmarks import Benchmark, BenchmarkSplit, BenchmarkWarning, split_benchmarks
from genie_enhance.core.catalog import Catalog
from genie_enhance.core.fields import same_field
from genie_enhance.core.progress import ProgressCallback
from genie_enhance.core.protocols import Genie, Warehouse
from genie_enhance.engine.policy import Policy
from genie_enhance.engine.settler import Settler
from genie_enhance.errors import GenieEnhanceError
from genie_enhance.scoring.runner import ExpectedCache
from genie_enhance.scoring.verdicts import CompareOptions
from genie_enhance.space.model import SerializedSpace
from genie_enhance.space.store import SpaceStore
from genie_enhance.tracking import TrackingStore

if TYPE_CHECKING:
    from genie_enhance.backends.databricks.backend import DatabricksBackend
    from genie_enhance.llm.client import LLMClient
    from genie_enhance.proposers.base import Proposer
    from genie_enhance.space.validation.problems import Problem


class BackendName(StrEnum):
    """Where a space lives: `local` (DuckDB warehouse + space file + offline Genie) or `databricks` (a workspace)."""

    local = "local"
    databricks = "databricks"


class CampaignSettings(BaseModel):
    """Everything that shapes a campaign (stored with it, scrubbed of secrets).

    The one source of the campaign's defaults and bounds: the decision limits are the policy's fields, and the
    YAML config (`defs/config.py`) and the CLI options re-declare these fields rather than repeat their values."""

    space_key: str
    backend: BackendName = BackendName.local
    benchmarks: str
    target: float = same_field(Policy, "target")
    max_iterations: int = same_field(Policy, "max_iterations")
    holdout: float = Field(0.3, ge=0, lt=1, description="share of the questions held out (scored, never proposed from)")
    seed: int = Field(0, description="seed of the stable train/holdout split")
    patience: int = same_field(Policy, "patience")
    noise_tolerance: float = same_field(Policy, "noise_tolerance")
    max_cost_usd: float | None = same_field(Policy, "max_cost_usd")
    max_wall_s: float | None = same_field(Policy, "max_wall_s")
    concurrency: int = Field(8, ge=1, description="questions asked at once")
    rate_per_minute: float | None = Field(None, gt=0, description="cap on Genie questions per minute (databricks "
                                          "default: 5 per workspace)")
    extra_columns: Literal["fail", "allow"] = "fail"
    max_fixes_per_iteration: int | None = Field(None, ge=1, description="cap on the fixes applied per iteration")
    use_llm: bool = False
    min_answered: float = same_field(Policy, "min_answered")
    settle_s: float = Field(30.0, ge=0, description="seconds scoring waits after an update of the live space for "
                            "it to take effect (databricks backend; local: 0)")
    settle_slow_s: float = Field(90.0, ge=0, description="the wait after an update that changed entity matching, "
                                 "format assistance or value dictionaries")

    def policy(self) -> Policy:
        return Policy(**self.model_dump(include=set(Policy.model_fields)))

    def compare_options(self) -> CompareOptions:
        return CompareOptions(extra_columns=self.extra_columns)


class Closeable(Protocol):
    def close(self) -> None: ...


@dataclass
class Backend:
    """The three protocol implementations a campaign talks to."""

    name: str
    genie: Genie
    store: SpaceStore
    warehouse: Warehouse
    closer: Closeable | None = None  # released by `Runtime.close`
    # A Genie answering from a given config without touching the live space (re-scoring a recorded version);
    # None when the backend can only answer from the live space.
    answer_for: Callable[[SerializedSpace], Genie] | None = None

    def close(self) -> None:
        if self.closer is not None:
            self.closer.close()

    def __enter__(self) -> Backend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def workspace(self) -> DatabricksBackend:
        """The Databricks backend behind this one (workspace client, native evaluation); error for another backend."""
        from genie_enhance.backends.databricks.backend import DatabricksBackend  # the SDK loads only when used

        if not isinstance(self.closer, DatabricksBackend):
            raise GenieEnhanceError(f"the {self.name} backend has no Databricks workspace")
        return self.closer

    def read_only(self, why: str) -> Backend:
        """The same backend with a space store that refuses every update (`why` names the guarded path)."""
        return replace(self, store=ReadOnlySpaceStore(self.store, why), closer=None)


class ReadOnlySpaceStore:
    """Exports the live space but refuses to update it: the guard of every path that must never write."""

    def __init__(self, inner: SpaceStore, why: str) -> None:
        self.inner = inner
        self.why = why

    def export(self) -> tuple[SerializedSpace, str]:
        return self.inner.export()

    def update(self, space: SerializedSpace, etag: str) -> str:
        raise GenieEnhanceError(f"refused to write the live space: {self.why}")


@dataclass
class Runtime:
    """A campaign's settings, backend, benchmarks (and the warnings loading them gave), tracking store and
    proposers, plus per-run caches."""

    settings: CampaignSettings
    backend: Backend
    tracking: TrackingStore
    benchmarks: list[Benchmark]
    proposers: list[Proposer] = field(default_factory=list)
    llm: LLMClient | None = None  # set when an LLM is configured
    progress: ProgressCallback | None = None  # told how scoring and propagation waits go (the CLI's bar)
    expected_cache: ExpectedCache = field(default_factory=ExpectedCache)
    _catalog: Catalog | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    current: dict[str, Any] = field(default_factory=dict)  # campaign/iteration the LLM call hook attributes to
    entity_values: list[str] | None = None  # the leakage guard's entity values, read once per runtime
    benchmark_warnings: list[BenchmarkWarning] = field(default_factory=list)
    settler: Settler = field(default_factory=Settler)  # clock and sleep of propagation waits (tests inject)
    space_warnings: list[Problem] = field(default_factory=list)  # warnings of the starting config

    @property
    def split(self) -> BenchmarkSplit:
        return split_benchmarks(self.benchmarks, self.settings.holdout, self.settings.seed)

    @property
    def catalog(self) -> Catalog:
        """The warehouse catalog of the space's tables (read once per runtime)."""
        with self._lock:
            if self._catalog is None:
                self._catalog = self.backend.warehouse.catalog()
            return self._catalog

    def close(self) -> None:
        self.backend.close()
        if self.llm is not None:
            self.llm.close()


def out_paths(out_dir: str | Path) -> dict[str, Path]:
    """Where a campaign writes its files."""
    out = Path(out_dir)
    return {
        "tracking": out / "tracking.duckdb",
        "report": out / "report.html",
        "final_space": out / "final_space.json",
        "proposal": out / "proposal.json",
    }
