"""The loop as assets: `benchmarks` upstream, then one chain per iteration partition.

space_config → benchmark_results → proposed_fixes → validated_config (blocking check) → applied_config, with
lessons_learned after proposed_fixes and evolution_metrics (summary + decision) last. Each asset calls one engine
step (`genie_enhance.engine.iteration.asset_steps`) and hands the `IterationState` to the next through the IO
manager; the back edge to the next iteration goes through the tracking store, never through this graph.
"""

# No `from __future__ import annotations` here: Dagster reads decorated functions' annotations at runtime. The loop
# assets return MaterializeResult(value=IterationState) unannotated: an annotation would make Dagster type the output
# (as Nothing, or as a tuple when the asset has check specs).
import dagster as dg

from genie_enhance.benchmarks import load_benchmark_set, split_benchmarks
from genie_enhance.defs import checks
from genie_enhance.defs import metadata as md
from genie_enhance.defs.partitions import iterations
from genie_enhance.defs.resources import RuntimeProvider
from genie_enhance.engine.iteration import asset_steps
from genie_enhance.engine.iteration.state import IterationState
from genie_enhance.engine.launch import campaign_of
from genie_enhance.engine.runtime import Runtime
from genie_enhance.tracking import format_lessons_table

LOOP = "loop"
Provider = dg.ResourceParam[RuntimeProvider]


def _step_runtime(genie: RuntimeProvider, state: IterationState) -> Runtime:
    """The runtime of the state's campaign (write-guarded on the read-only path)."""
    return asset_steps.runtime_for(genie.campaign_runtime(state.campaign_id), state)


@dg.asset(group_name="inputs", kinds={"python"})
def benchmarks(context: dg.AssetExecutionContext, genie: Provider) -> dg.MaterializeResult:
    """Each space's benchmark questions, parsed and split into train and holdout (stable per id and seed), with
    the warnings of its files (questions or files skipped, fields kept as metadata)."""
    splits, warnings = {}, {}
    for key in genie.space_keys():
        settings = genie.settings(key)
        loaded = load_benchmark_set(settings.benchmarks)
        splits[key] = split_benchmarks(loaded.benchmarks, settings.holdout, settings.seed)
        warnings[key] = loaded.warnings
        for warning in loaded.warnings:
            context.log.warning(f"{key}: {warning}")
    return dg.MaterializeResult(metadata=md.benchmarks(splits, warnings))


@dg.asset(partitions_def=iterations, group_name=LOOP, kinds={"python"})
def space_config(context: dg.AssetExecutionContext, genie: Provider):
    """The config this iteration scores: the live config (recorded as a version), or for an iteration that already
    completed, its recorded version (read-only path)."""
    campaign, iteration = campaign_of(genie.tracking(), context.partition_key)
    state = asset_steps.open_iteration(genie.campaign_runtime(campaign.campaign_id), campaign.campaign_id, iteration)
    return dg.MaterializeResult(value=state, metadata=md.space_config(state))


@dg.asset(partitions_def=iterations, group_name=LOOP, kinds={"python"}, deps=[benchmarks],
          check_specs=[checks.NO_SCORE_REGRESSION])
def benchmark_results(context: dg.AssetExecutionContext, genie: Provider, space_config: IterationState):
    """Every benchmark question asked and compared; failures diagnosed."""
    rt = _step_runtime(genie, space_config)
    state = asset_steps.score(rt, space_config)
    return dg.MaterializeResult(value=state, metadata=md.benchmark_results(state),
                                check_results=[checks.no_score_regression(rt, state)])


@dg.asset(partitions_def=iterations, group_name=LOOP, kinds={"python"})
def proposed_fixes(context: dg.AssetExecutionContext, genie: Provider, benchmark_results: IterationState):
    """The decision (keep / roll back / stop) and the next batch of fixes proposed from train failures."""
    state = asset_steps.plan(_step_runtime(genie, benchmark_results), benchmark_results)
    return dg.MaterializeResult(value=state, metadata=md.proposed_fixes(state))


@dg.asset(partitions_def=iterations, group_name=LOOP, kinds={"python"}, check_specs=[checks.VALID])
def validated_config(context: dg.AssetExecutionContext, genie: Provider, proposed_fixes: IterationState):
    """The candidate config: every fix that applies and adds no validation problem."""
    rt = _step_runtime(genie, proposed_fixes)
    state = asset_steps.validate(rt, proposed_fixes)
    return dg.MaterializeResult(value=state, metadata=md.validated_config(state),
                                check_results=[checks.valid(rt, state)])


@dg.asset(partitions_def=iterations, group_name=LOOP, kinds={"python"})
def applied_config(context: dg.AssetExecutionContext, genie: Provider, validated_config: IterationState):
    """The batch applied to the live space in one etag-checked update (never on the read-only path)."""
    state = asset_steps.apply(_step_runtime(genie, validated_config), validated_config)
    return dg.MaterializeResult(value=state, metadata=md.applied_config(state))


@dg.asset(partitions_def=iterations, group_name=LOOP, kinds={"python"}, deps=[proposed_fixes])
def lessons_learned(context: dg.AssetExecutionContext, genie: Provider) -> dg.MaterializeResult:
    """Per fix type × failure category: applied, helped, hurt, mean Δ (measured when this iteration was scored)."""
    lessons = genie.tracking().lessons()
    return dg.MaterializeResult(metadata={
        "lessons": dg.MetadataValue.int(len(lessons)),
        "fixes_measured": dg.MetadataValue.int(sum(lesson.applied for lesson in lessons)),
        "helped": dg.MetadataValue.int(sum(lesson.helped for lesson in lessons)),
        "hurt": dg.MetadataValue.int(sum(lesson.hurt for lesson in lessons)),
        "table": dg.MetadataValue.md(format_lessons_table(lessons)),
    })


@dg.asset(partitions_def=iterations, group_name=LOOP, kinds={"python"}, deps=[lessons_learned])
def evolution_metrics(context: dg.AssetExecutionContext, genie: Provider, applied_config: IterationState):
    """The iteration's summary row and decision (what the campaign sensor reads to go on or stop)."""
    rt = _step_runtime(genie, applied_config)
    state = asset_steps.complete(rt, applied_config)
    return dg.MaterializeResult(value=state, metadata=md.evolution_metrics(state, rt.settings.space_key))


LOOP_ASSETS = [space_config, benchmark_results, proposed_fixes, validated_config, applied_config, lessons_learned,
               evolution_metrics]
