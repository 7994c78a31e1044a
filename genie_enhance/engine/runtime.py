"""What a campaign runs with: its settings, the backend behind the three protocols, the tracking store.

The CLI and the Dagster resources both build a `Runtime`; every engine step takes one, so the two front ends
share one code path.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from pydantic import BaseModel, Field

from genie_enhance.benchmarks import Benchmark, BenchmarkSplit, BenchmarkWarning, split_benchmarks
from genie_enhance.core.catalog import Catalog
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


class CampaignSettings(BaseModel):
    """Everything that shapes a campaign (stored with it, scrubbed of secrets)."""

    space_key: str
    backend: Literal["local", "databricks"] = "local"
    benchmarks: str
    target: float = Field(0.9, ge=0, le=1)
    max_iterations: int = Field(6, ge=1)
    holdout: float = Field(0.3, ge=0, lt=1)
    seed: int = 0
    patience: int = Field(2, ge=1)
    noise_tolerance: float = Field(0.0, ge=0)
    max_cost_usd: float | None = None
    max_wall_s: float | None = None
    concurrency: int = Field(8, ge=1)
    rate_per_minute: float | None = None
    extra_columns: Literal["fail", "allow"] = "fail"
    max_fixes_per_iteration: int | None = Field(None, ge=1)
    use_llm: bool = False
    min_answered: float = Field(0.9, ge=0, le=1)  # share of holdout and train questions answered to decide
    settle_s: float = Field(30.0, ge=0)  # wait after a live update before scoring (databricks backend)
    settle_slow_s: float = Field(90.0, ge=0)  # … after entity matching / format assistance / value dictionaries

    def policy(self) -> Policy:
        return Policy(
            target=self.target, max_iterations=self.max_iterations, patience=self.patience,
            noise_tolerance=self.noise_tolerance, max_cost_usd=self.max_cost_usd, max_wall_s=self.max_wall_s,
            min_answered=self.min_answered,
        )

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
