"""The one start path of a campaign (launchpad job and nightly health check): record it, add its first partition,
and tag the run that started it, which is how the campaign sensor (reading only the instance) finds it."""

from __future__ import annotations

from typing import Any

import dagster as dg

from genie_enhance.defs.partitions import ITERATIONS
from genie_enhance.defs.resources import RuntimeProvider
from genie_enhance.engine.launch import Started, start_campaign
from genie_enhance.engine.partition_keys import split_partition

START_TAG = "genie_enhance/starts_campaign"  # value "1" on every run that started a campaign
CAMPAIGN_TAG = "genie_enhance/campaign"
SPACE_TAG = "genie_enhance/space"
PREFIX_TAG = "genie_enhance/partition_prefix"  # `<space>-<campaign part>`: its partitions are `<prefix>-i<NNNN>`
ITERATION_TAG = "genie_enhance/iteration"
ATTEMPT_TAG = "genie_enhance/attempt"
DRIVER_TAG = "genie_enhance/driver"  # "sensor" or "cli"


def restart_demo_space(genie: RuntimeProvider, space_key: str, *, supersede_running: bool = False) -> bool:
    """Before a launchpad start: a demo space's file back to a fresh copy of the bare demo config, so the campaign
    has something to improve after `make demo` tuned it. Never under a running campaign the start will refuse."""
    running = genie.tracking().latest_campaign(space_key)
    if running is not None and running.status == "running" and not supersede_running:
        return False
    return genie.restart_demo(space_key)


def launch_campaign(instance: dg.DagsterInstance, run_id: str, genie: RuntimeProvider, space_key: str, *,
                    supersede_running: bool = False, **overrides: Any) -> Started:
    """Start a campaign for `space_key` (settings from the config, `overrides` winning) and announce it."""
    settings = genie.settings(space_key, **overrides)
    started = start_campaign(genie.runtime(settings), supersede_running=supersede_running)
    instance.add_dynamic_partitions(ITERATIONS, [started.first_partition])
    prefix, _ = split_partition(started.first_partition)
    instance.add_run_tags(run_id, {START_TAG: "1", CAMPAIGN_TAG: started.campaign_id, SPACE_TAG: space_key,
                                   PREFIX_TAG: prefix})
    return started
