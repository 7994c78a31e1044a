"""`genie_enhance.yaml`: the spaces Dagster improves, each with its backend, benchmarks, target and limits.

Where it is read from: the path in `GENIE_ENHANCE_CONFIG`, else `./genie_enhance.yaml` when present, else the
built-in offline demo space (built on first use into `./out/demo`, the directory `genie-enhance demo` uses).
Relative paths in the file are relative to the file's directory. Errors name the file and the field.

    tracking: state/tracking.duckdb        # optional, default <state_dir>/tracking.duckdb (one store for all spaces)
    state_dir: state                       # optional, default ./out next to the file
    history_start: 2026-01-01              # first day of the daily history partitions
    health_check_cron: "0 2 * * *"         # nightly health check of every space's live config
    llm: {mode: auto, base_url: null, models: [{name: gpt-4o-mini, input_usd_per_mtok: 0.15, output_usd_per_mtok: 0.6}]}
    spaces:
      sales:                               # space key: [a-z0-9-]
        backend: local                     # local: warehouse + space file; databricks: space_id + warehouse_id
        warehouse: data/sales.duckdb
        space: spaces/sales.json
        benchmarks: benchmarks/sales.md
        target: 0.9
        limits: {max_iterations: 6, holdout: 0.3, seed: 0, max_cost_usd: 5}
      support:
        backend: databricks
        space_id: 01ef0123456789abcdef0123456789ab
        warehouse_id: abcdef0123456789
        benchmarks: benchmarks/support.md
"""

from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator, model_validator

from genie_enhance.core.fields import same_field
from genie_enhance.engine.build import SpaceLocation
from genie_enhance.engine.runtime import BackendName, CampaignSettings
from genie_enhance.errors import ConfigError
from genie_enhance.llm.config import ModelSpec
from genie_enhance.llm.mode import LLMMode, llm_enabled
from genie_enhance.package_files import package_dir

ENV_CONFIG = "GENIE_ENHANCE_CONFIG"
DEFAULT_FILE = "genie_enhance.yaml"
DEMO_SPACE_KEY = "demo"
DEMO_DIR = Path("out") / "demo"
REPO_BENCHMARKS = package_dir("genie_enhance.demo", "benchmarks")
_SPACE_KEY = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _yaml_switch(value: Any) -> Any:
    """YAML 1.1 reads a bare `on`/`off` as a boolean; take it as the mode the user wrote."""
    return {True: "on", False: "off"}.get(value, value) if isinstance(value, bool) else value


YamlLLMMode = Annotated[LLMMode, BeforeValidator(_yaml_switch)]


class Limits(_Strict):
    """Campaign limits of a space (the launchpad may override target, max_iterations, holdout and seed): the
    `CampaignSettings` fields themselves, so their defaults and bounds are the CLI's too."""

    max_iterations: int = same_field(CampaignSettings, "max_iterations")
    holdout: float = same_field(CampaignSettings, "holdout")
    seed: int = same_field(CampaignSettings, "seed")
    patience: int = same_field(CampaignSettings, "patience")
    noise_tolerance: float = same_field(CampaignSettings, "noise_tolerance")
    max_cost_usd: float | None = same_field(CampaignSettings, "max_cost_usd")
    max_wall_s: float | None = same_field(CampaignSettings, "max_wall_s")
    concurrency: int = same_field(CampaignSettings, "concurrency")
    rate_per_minute: float | None = same_field(CampaignSettings, "rate_per_minute")
    max_fixes_per_iteration: int | None = same_field(CampaignSettings, "max_fixes_per_iteration")
    min_answered: float = same_field(CampaignSettings, "min_answered")
    settle_s: float = same_field(CampaignSettings, "settle_s")
    settle_slow_s: float = same_field(CampaignSettings, "settle_slow_s")


class SpaceConfig(_Strict):
    """One space: where it lives, what it is scored on, and what counts as good enough."""

    backend: BackendName = BackendName.local
    warehouse: Path | None = None  # local: DuckDB file
    space: Path | None = None  # local: serialized_space JSON file (edited in place)
    catalog: str | None = None  # local: catalog the DuckDB file is attached as (default: the space's)
    demo: bool = False  # local: build the offline demo into these paths when they are missing
    space_id: str | None = None  # databricks
    warehouse_id: str | None = None  # databricks
    profile: str | None = None  # databricks: unified-auth profile (default: DATABRICKS_* variables)
    benchmarks: Path
    target: float = same_field(CampaignSettings, "target")
    limits: Limits = Limits()
    out: Path | None = None  # reports and final config files of this space
    llm: YamlLLMMode | None = None  # default: the file's llm.mode

    @model_validator(mode="after")
    def _backend_fields(self) -> SpaceConfig:
        missing = self.location().missing()
        if missing:
            raise ValueError(f"backend {self.backend} needs {' and '.join(missing)}")
        return self


    def location(self, genie_max_per_minute: float | None = None) -> SpaceLocation:
        """Where this space lives, for the runtime factory (`genie_max_per_minute`: the offline Genie's limit)."""
        return SpaceLocation(backend=self.backend, warehouse=self.warehouse, space=self.space, catalog=self.catalog,
                             space_id=self.space_id, warehouse_id=self.warehouse_id, profile=self.profile,
                             genie_max_per_minute=genie_max_per_minute)


class LLMConfig(_Strict):
    """The OpenAI-compatible endpoint (key from OPENAI_API_KEY) and the models with their prices."""

    mode: YamlLLMMode = LLMMode.auto
    base_url: str | None = None
    models: list[ModelSpec] = Field(default_factory=list)


class ProjectConfig(_Strict):
    """The whole file."""

    source: str = Field("<built-in demo>", exclude=True)
    state_dir: Path = Path("out")
    tracking: Path | None = None
    history_start: date = date(2026, 1, 1)
    health_check_cron: str = "0 2 * * *"
    llm: LLMConfig = LLMConfig()
    spaces: dict[str, SpaceConfig] = Field(min_length=1)

    @field_validator("spaces")
    @classmethod
    def _space_keys(cls, spaces: dict[str, SpaceConfig]) -> dict[str, SpaceConfig]:
        bad = [key for key in spaces if not _SPACE_KEY.match(key)]
        if bad:
            raise ValueError(f"space keys must match [a-z0-9][a-z0-9-]* (Dagster partition keys): {', '.join(bad)}")
        return spaces

    @property
    def tracking_path(self) -> Path:
        return self.tracking or self.state_dir / "tracking.duckdb"

    def space(self, key: str) -> SpaceConfig:
        if key not in self.spaces:
            raise ConfigError(f"{self.source}: spaces: no space {key!r} (configured: {', '.join(self.spaces)})")
        return self.spaces[key]

    def out_dir(self, key: str) -> Path:
        return self.space(key).out or self.state_dir / key

    def settings(self, key: str, **overrides: Any) -> CampaignSettings:
        """The campaign settings of a space; `overrides` (None values ignored) win over its limits."""
        space = self.space(key)
        use_llm = llm_enabled(space.llm or self.llm.mode)
        values: dict[str, Any] = {
            "space_key": key, "backend": space.backend, "benchmarks": str(space.benchmarks), "target": space.target,
            **space.limits.model_dump(), "use_llm": use_llm,
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        try:
            return CampaignSettings(**values)
        except ValidationError as exc:
            raise ConfigError(f"{self.source}: spaces.{key}: {_first_error(exc)}") from exc


def _first_error(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}" for e in exc.errors())


def _resolve(base: Path, value: Path | None) -> Path | None:
    return None if value is None else (value if value.is_absolute() else (base / value).resolve())


def _absolute(config: ProjectConfig, base: Path) -> ProjectConfig:
    """Every path made absolute against `base` (the file's directory)."""
    spaces = {
        key: space.model_copy(update={name: _resolve(base, getattr(space, name))
                                      for name in ("warehouse", "space", "benchmarks", "out")})
        for key, space in config.spaces.items()
    }
    return config.model_copy(update={"state_dir": _resolve(base, config.state_dir),
                                     "tracking": _resolve(base, config.tracking), "spaces": spaces})


def parse_config(text: str, source: str, base: Path) -> ProjectConfig:
    """Validate the YAML text of a config file; `ConfigError` names the file and every bad field."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: expected a mapping with a `spaces:` section")
    try:
        config = ProjectConfig(**raw)
    except ValidationError as exc:
        raise ConfigError(f"{source}: {_first_error(exc)}") from exc
    return _absolute(config.model_copy(update={"source": source}), base)


def demo_config(base: Path | None = None) -> ProjectConfig:
    """The offline demo space, used when no config file exists: built on first use into `<base>/out/demo`."""
    root = (base or Path.cwd()).resolve() / DEMO_DIR
    space = SpaceConfig(backend="local", demo=True, warehouse=root / "demo.duckdb", space=root / "space.json",
                        benchmarks=REPO_BENCHMARKS, out=root)
    return ProjectConfig(state_dir=root, tracking=root / "tracking.duckdb", spaces={DEMO_SPACE_KEY: space})


def config_path(environ: dict[str, str] | None = None, cwd: Path | None = None) -> Path | None:
    """The config file to read: $GENIE_ENHANCE_CONFIG (must exist), else ./genie_enhance.yaml if present."""
    env = os.environ if environ is None else environ
    named = env.get(ENV_CONFIG, "").strip()
    if named:
        path = Path(named).expanduser()
        if not path.is_file():
            raise ConfigError(f"{ENV_CONFIG}={named}: no such file")
        return path.resolve()
    local = (cwd or Path.cwd()) / DEFAULT_FILE
    return local.resolve() if local.is_file() else None


def load_config(path: Path | None = None) -> ProjectConfig:
    """The project config from `path` (or the default lookup); the demo config when there is no file."""
    path = path or config_path()
    if path is None:
        return demo_config()
    return parse_config(path.read_text(encoding="utf-8"), str(path), path.parent)
