"""Dagster resources: the tracking store (`DuckDBResource`), the LLM client settings, and the runtimes (opened by the
one factory, `genie_enhance.engine.build.open_runtime`, as the CLI's are).

The assets ask one object, a `RuntimeProvider`, for the tracking store and for a `Runtime` built from campaign
settings. In `dagster dev` that is `SpacesResource` (spaces from genie_enhance.yaml); the CLI passes a
`FixedRuntime` wrapping the runtime it built from its flags, so both run the very same assets.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any, Protocol

import dagster as dg
from dagster_duckdb import DuckDBResource
from pydantic import PrivateAttr

from genie_enhance.core.required import required
from genie_enhance.defs.config import ProjectConfig, SpaceConfig, demo_config, load_config
from genie_enhance.demo.build import build_demo
from genie_enhance.demo.space_configs import BARE_SPACE
from genie_enhance.engine.build import SpaceLocation, open_runtime
from genie_enhance.engine.runtime import CampaignSettings, Runtime
from genie_enhance.fileio import atomic_write
from genie_enhance.llm import LLMSettings
from genie_enhance.llm.config import ModelSpec, spec_for
from genie_enhance.tracking import CampaignRecord, TrackingStore


class RuntimeProvider(Protocol):
    """What the loop assets need from their environment."""

    def tracking(self) -> TrackingStore: ...

    def settings(self, space_key: str, **overrides: Any) -> CampaignSettings: ...

    def runtime(self, settings: CampaignSettings) -> Runtime: ...

    def campaign_runtime(self, campaign_id: str) -> Runtime: ...

    def space_keys(self) -> list[str]: ...

    def restart_demo(self, space_key: str) -> bool: ...


def recorded_settings(campaign: CampaignRecord) -> CampaignSettings:
    """The settings a campaign was started with (its iterations run with them, not with today's file)."""
    return CampaignSettings.model_validate(campaign.settings)


class ModelPrice(dg.Config):
    name: str
    input_usd_per_mtok: float | None = None
    output_usd_per_mtok: float | None = None


class LLMResource(dg.ConfigurableResource):
    """OpenAI-compatible endpoint settings; the key is read from `api_key_env` only when a run needs the LLM."""

    base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    models: list[ModelPrice] = []

    def llm_settings(self) -> LLMSettings:
        """Settings from the environment, with this resource's endpoint and priced models (ConfigError if no key)."""
        overrides: dict[str, Any] = {}
        if self.models:
            overrides["models"] = [
                spec_for(m.name) if m.input_usd_per_mtok is None else ModelSpec(
                    name=m.name, input_usd_per_mtok=m.input_usd_per_mtok, output_usd_per_mtok=m.output_usd_per_mtok)
                for m in self.models
            ]
        if self.base_url:
            overrides["base_url"] = self.base_url
        env = {**os.environ, "OPENAI_API_KEY": os.environ.get(self.api_key_env, "")}
        return LLMSettings.from_env(env, **overrides)


def ensure_demo(space: SpaceConfig) -> None:
    """Build the offline demo into the space's paths on first use (working space file = a copy of the bare one)."""
    if not space.demo:
        return
    warehouse, working = required(space.warehouse, "the demo warehouse"), required(space.space, "the demo space")
    root = warehouse.parent
    if not warehouse.exists():
        build_demo(root)
    if not working.exists():
        bare = root / BARE_SPACE
        if not bare.exists():
            build_demo(root)
        shutil.copyfile(bare, working)


def space_location(space: SpaceConfig, settings: CampaignSettings) -> SpaceLocation:
    """Where a configured space lives (the demo built first); the offline Genie honours the campaign's rate."""
    ensure_demo(space)
    return space.location(genie_max_per_minute=settings.rate_per_minute)


def restart_demo(space: SpaceConfig) -> bool:
    """A demo space's file put back to a fresh copy of the bare demo config (whatever a campaign, e.g. `make
    demo`, tuned it to), so a new campaign has the bare config to improve. False for any other space."""
    if not space.demo:
        return False
    ensure_demo(space)
    warehouse = required(space.warehouse, "a demo space's warehouse")
    atomic_write(required(space.space, "a demo space's config file"),
                 (warehouse.parent / BARE_SPACE).read_text(encoding="utf-8"))
    return True


class SpacesResource(dg.ConfigurableResource):
    """Runtimes for the spaces of genie_enhance.yaml (`config_file`; empty: the offline demo under `demo_base`).

    Runtimes are cached per run (one backend connection per campaign) and closed when the run ends."""

    config_file: str = ""
    demo_base: str = ""
    tracking_db: DuckDBResource
    llm: LLMResource

    _runtimes: dict[str, Runtime] = PrivateAttr(default_factory=dict)
    _project: ProjectConfig | None = PrivateAttr(default=None)
    _tracking: TrackingStore | None = PrivateAttr(default=None)
    _settings: dict[str, CampaignSettings] = PrivateAttr(default_factory=dict)  # by campaign id

    def project(self) -> ProjectConfig:
        if self._project is None:
            self._project = (load_config(Path(self.config_file)) if self.config_file
                             else demo_config(Path(self.demo_base) if self.demo_base else None))
        return self._project

    def tracking(self) -> TrackingStore:
        if self._tracking is None:
            self._tracking = TrackingStore(self.tracking_db.database)
        return self._tracking

    def space_keys(self) -> list[str]:
        return list(self.project().spaces)

    def restart_demo(self, space_key: str) -> bool:
        return restart_demo(self.project().space(space_key))

    def campaign_runtime(self, campaign_id: str) -> Runtime:
        if campaign_id not in self._settings:
            self._settings[campaign_id] = recorded_settings(self.tracking().campaign(campaign_id))
        return self.runtime(self._settings[campaign_id])

    def settings(self, space_key: str, **overrides: Any) -> CampaignSettings:
        return self.project().settings(space_key, **overrides)

    def runtime(self, settings: CampaignSettings) -> Runtime:
        key = settings.model_dump_json()
        if key not in self._runtimes:
            project = self.project()
            self._runtimes[key] = open_runtime(
                settings, space_location(project.space(settings.space_key), settings),
                project.out_dir(settings.space_key), llm_settings=self.llm.llm_settings,
                llm_explicit=bool(self.llm.base_url), tracking_path=Path(self.tracking_db.database))
        return self._runtimes[key]

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        for runtime in self._runtimes.values():
            runtime.close()
        self._runtimes.clear()
        self._settings.clear()
        self._tracking = None


class FixedRuntime:
    """The CLI's provider: the one runtime it built from its flags (the CLI closes it)."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def tracking(self) -> TrackingStore:
        return self.rt.tracking

    def space_keys(self) -> list[str]:
        return [self.rt.settings.space_key]

    def restart_demo(self, space_key: str) -> bool:
        return False  # the CLI's runtime serves the files its flags named (`demo` copies the bare space itself)

    def settings(self, space_key: str, **overrides: Any) -> CampaignSettings:
        return self.rt.settings.model_copy(update={k: v for k, v in overrides.items() if v is not None})

    def campaign_runtime(self, campaign_id: str) -> Runtime:
        return self.rt

    def runtime(self, settings: CampaignSettings) -> Runtime:
        if settings.space_key != self.rt.settings.space_key:
            raise dg.DagsterInvariantViolationError(
                f"this run serves space {self.rt.settings.space_key!r}, not {settings.space_key!r}")
        return self.rt
