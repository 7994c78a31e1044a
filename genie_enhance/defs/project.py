"""Assemble the Definitions from genie_enhance.yaml (or the offline demo when there is none)."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from genie_enhance.defs.assets import LOOP_ASSETS, benchmarks
from genie_enhance.defs.config import ProjectConfig, config_path, demo_config, load_config
from genie_enhance.defs.history import build_health_asset, build_history_asset
from genie_enhance.defs.jobs import health_job, history_job, iteration_job, start_campaign_job
from genie_enhance.defs.resources import LLMResource, ModelPrice, SpacesResource
from genie_enhance.defs.schedules import build_health_schedule, build_history_schedule
from genie_enhance.defs.sensors import campaign_sensor


def resources(config: ProjectConfig, config_file: Path | None, demo_base: Path) -> dict[str, object]:
    """The resources, each defined once: the tracking store, the LLM settings, the runtime factory."""
    tracking_db = DuckDBResource(database=str(config.tracking_path))
    llm = LLMResource(base_url=config.llm.base_url, models=[
        ModelPrice(name=m.name, input_usd_per_mtok=m.input_usd_per_mtok, output_usd_per_mtok=m.output_usd_per_mtok)
        for m in config.llm.models])
    genie = SpacesResource(config_file=str(config_file or ""), demo_base=str(demo_base), tracking_db=tracking_db,
                           llm=llm)
    return {"tracking_db": tracking_db, "llm": llm, "genie": genie}


def build_definitions(config_file: Path | None = None, demo_base: Path | None = None) -> dg.Definitions:
    """Definitions for the config at `config_file` (default lookup: $GENIE_ENHANCE_CONFIG, ./genie_enhance.yaml),
    or for the offline demo built under `demo_base` (default: the working directory)."""
    config_file = config_file or config_path()
    demo_base = (demo_base or Path.cwd()).resolve()
    config = load_config(config_file) if config_file else demo_config(demo_base)
    keys = list(config.spaces)
    return dg.Definitions(
        assets=[benchmarks, *LOOP_ASSETS, build_health_asset(keys), build_history_asset(keys, config.history_start)],
        jobs=[iteration_job, start_campaign_job, health_job, history_job],
        sensors=[campaign_sensor],
        schedules=[build_health_schedule(keys, config.health_check_cron),
                   build_history_schedule(keys, config.history_start)],
        resources=resources(config, config_file, demo_base),
        executor=dg.in_process_executor,
    )
