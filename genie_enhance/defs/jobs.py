"""Jobs: one iteration (the loop assets of one partition), the launchpad's campaign start, health, history."""


import dagster as dg
from pydantic import Field

from genie_enhance.defs.assets import LOOP
from genie_enhance.defs.launch import launch_campaign, restart_demo_space
from genie_enhance.defs.resources import RuntimeProvider
from genie_enhance.errors import ConfigError

ITERATION_JOB = "enhancement_iteration"
START_JOB = "start_campaign"
HEALTH_JOB = "health_check"
HISTORY_JOB = "daily_history"

iteration_job = dg.define_asset_job(
    ITERATION_JOB, selection=dg.AssetSelection.groups(LOOP),
    description="One iteration of a campaign: snapshot, score, propose, validate, apply, decide (one partition).",
    tags={"genie_enhance/loop": "iteration"},
)
health_job = dg.define_asset_job(HEALTH_JOB, selection=dg.AssetSelection.assets("space_health"),
                                 description="Score each space's live config; below target starts a campaign.")
history_job = dg.define_asset_job(HISTORY_JOB, selection=dg.AssetSelection.assets("space_history"),
                                  description="Roll up a day's campaigns and health checks per space.")


class StartCampaignConfig(dg.Config):
    """Launchpad config; unset values come from the space's entry in genie_enhance.yaml."""

    space: str | None = None  # default: the only configured space
    target: float | None = None
    max_iterations: int | None = None
    holdout: float | None = None
    seed: int | None = None
    supersede_running: bool = False  # mark a still-running campaign of the space failed and start over
    fresh_demo_space: bool = Field(True, description=(
        "Demo spaces only: start from a fresh copy of the bare demo config (space_bare.json), not from the space "
        "file as an earlier campaign (e.g. `make demo`) left it; false continues from the file as it is."))


@dg.op(name="new_campaign", description="Record a new campaign and add its first iteration partition; the "
                                          "campaign sensor then drives it to its stop reason.")
def new_campaign(context: dg.OpExecutionContext, config: StartCampaignConfig,
                      genie: dg.ResourceParam[RuntimeProvider]) -> dg.Output[str]:
    spaces = genie.space_keys()
    space = config.space or (spaces[0] if len(spaces) == 1 else None)
    if space is None:
        raise ConfigError(f"start_campaign: config `space` is required (configured: {', '.join(spaces)})")
    fresh = config.fresh_demo_space and restart_demo_space(genie, space, supersede_running=config.supersede_running)
    started = launch_campaign(
        context.instance, context.run.run_id, genie, space, supersede_running=config.supersede_running,
        target=config.target, max_iterations=config.max_iterations, holdout=config.holdout, seed=config.seed,
    )
    superseded = f" (superseded {started.superseded})" if started.superseded else ""
    fresh_note = " from a fresh copy of the bare demo config" if fresh else ""
    context.log.info(f"campaign {started.campaign_id} started for space {space}{fresh_note}: first partition "
                     f"{started.first_partition}{superseded}")
    return dg.Output(started.campaign_id, metadata={"campaign": started.campaign_id, "space": space,
                                                    "first_partition": started.first_partition,
                                                    "fresh_demo_space": fresh})


@dg.job(name=START_JOB, description="Start a campaign from the launchpad (space, target, max_iterations, holdout, "
                                    "seed); the campaign sensor drives it.")
def start_campaign_job() -> None:
    new_campaign()
