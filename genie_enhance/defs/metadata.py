"""Materialization metadata from engine results: numbers the UI plots, markdown tables people read.

Only presentation lives here; every value comes from an engine object (`IterationState`, records, roll-ups).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import dagster as dg

from genie_enhance.benchmarks import BenchmarkSplit, BenchmarkWarning
from genie_enhance.engine.iteration.state import IterationState, iteration_summary
from genie_enhance.engine.partition_keys import campaign_prefix
from genie_enhance.scoring.verdicts import Verdict

MAX_ROWS = 50
CAMPAIGNS = "campaigns"  # asset key prefix of the per-campaign trajectories


def _cell(value: Any, width: int = 120) -> str:
    text = "—" if value is None or value == "" else str(value)
    text = " ".join(text.split()).replace("|", "\\|")
    return text if len(text) <= width else text[: width - 1] + "…"


def md_table(headers: Sequence[str], rows: Iterable[Sequence[Any]], empty: str = "_none_") -> dg.MetadataValue:
    """A markdown table (first `MAX_ROWS` rows, with a note when more were left out)."""
    rows = list(rows)
    if not rows:
        return dg.MetadataValue.md(empty)
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows[:MAX_ROWS]]
    if len(rows) > MAX_ROWS:
        lines.append(f"\n_{len(rows) - MAX_ROWS} more rows not shown_")
    return dg.MetadataValue.md("\n".join(lines))


def _num(value: float | int | None) -> dg.MetadataValue:
    """A plotted number; a missing score is NaN-free text so the plot simply skips it."""
    if value is None:
        return dg.MetadataValue.text("n/a")
    if isinstance(value, int) and not isinstance(value, bool):
        return dg.MetadataValue.int(value)
    return dg.MetadataValue.float(float(value))


def benchmarks(splits: dict[str, BenchmarkSplit], warnings: dict[str, list[BenchmarkWarning]]) -> dict[str, Any]:
    """Per space: question, train and holdout counts and warnings; one table of every question (with its label)."""
    meta: dict[str, Any] = {}
    rows = []
    for key, split in splits.items():
        meta[f"{key}/questions"] = dg.MetadataValue.int(len(split.train) + len(split.holdout))
        meta[f"{key}/train"] = dg.MetadataValue.int(len(split.train))
        meta[f"{key}/holdout"] = dg.MetadataValue.int(len(split.holdout))
        meta[f"{key}/warnings"] = dg.MetadataValue.int(len(warnings.get(key, [])))
        rows += [(key, b.id[:8], b.label, "holdout" if b.id in split.holdout_ids else "train", b.question)
                 for b in [*split.train, *split.holdout]]
    meta["questions"] = dg.MetadataValue.int(len(rows))
    meta["benchmarks"] = md_table(["space", "id", "label", "role", "question"], rows)
    meta["warnings"] = md_table(["space", "warning"], [(k, str(w)) for k, ws in warnings.items() for w in ws])
    return meta


def common(state: IterationState, step: str) -> dict[str, Any]:
    """Keys on every loop asset: which iteration, whether it was the read-only path, and the step's time."""
    return {
        "campaign": dg.MetadataValue.text(state.campaign_id),
        "iteration": dg.MetadataValue.int(state.iteration),
        "historical": dg.MetadataValue.bool(state.historical),
        "duration_s": dg.MetadataValue.float(round(state.durations.get(step, 0.0), 4)),
    }


def space_config(state: IterationState) -> dict[str, Any]:
    snap = state.need_snapshot()
    space = snap.space
    return {
        **common(state, "snapshot"),
        "version_id": dg.MetadataValue.text(snap.version_id),
        "source": dg.MetadataValue.text(snap.source),
        "size_bytes": dg.MetadataValue.int(len(snap.data)),
        "tables": dg.MetadataValue.int(len(space.data_sources.tables)),
        "example_sqls": dg.MetadataValue.int(len(space.instructions.example_question_sqls)),
        "join_specs": dg.MetadataValue.int(len(space.instructions.join_specs)),
    }


def benchmark_results(state: IterationState) -> dict[str, Any]:
    report = state.need_scored().report
    failures = [(q.id[:8], q.label, q.role, q.verdict.value, q.category.value if q.category else q.reason,
                 q.question) for q in report.questions if q.verdict != Verdict.PASS]
    meta = {
        **common(state, "score"),
        "score_train": _num(report.score.train),
        "score_holdout": _num(report.score.holdout),
        "score_all": _num(report.score.all),
        "objective": _num(state.need_scored().objective),
        "genie_calls": dg.MetadataValue.int(report.genie_calls),
        "failures": md_table(["id", "label", "role", "verdict", "category", "question"], failures),
    }
    meta.update({f"count_{k}": dg.MetadataValue.int(int(v)) for k, v in sorted(report.counts.items())})
    if state.historical:
        meta["recorded_objective"] = _num(state.need_record().objective)
    return meta


def proposed_fixes(state: IterationState) -> dict[str, Any]:
    meta = common(state, "plan")
    if state.historical:
        fixes = state.fixes or []
        meta.update({
            "decision": dg.MetadataValue.text(state.need_record().decision or ""),
            "fixes_proposed": dg.MetadataValue.int(state.need_record().fixes_proposed),
            "fixes_rejected": dg.MetadataValue.int(state.need_record().fixes_rejected),
            "fixes": md_table(["type", "target", "status", "description"],
                              [(f.fix_type, f.target, f.status, f.description) for f in fixes]),
        })
        return meta
    planned = state.need_plan()
    decision = planned.decision
    meta.update({
        "decision": dg.MetadataValue.text("rollback" if decision.rollback else decision.action.value),
        "decision_reason": dg.MetadataValue.text(decision.reason),
        "rollback": dg.MetadataValue.bool(decision.rollback),
        "surgical_rollback": dg.MetadataValue.bool(decision.surgical),
        "regressions": dg.MetadataValue.int(len(decision.regressed)),
        "regressed": md_table(["question"], [(q,) for q in decision.regressed]),
        "removed_fixes": md_table(["fix key"], [(k,) for k in decision.removed]),
        "fixes_proposed": dg.MetadataValue.int(len(planned.proposals)),
        "fixes_rejected": dg.MetadataValue.int(len(planned.rejected)),
        "llm_calls": dg.MetadataValue.int(state.llm_calls),
        "cost_usd": dg.MetadataValue.float(round(state.cost_usd, 6)),
        "fixes": md_table(["type", "proposer", "category", "description"],
                          [(p.fix.type, p.proposer, p.category.value, p.fix.describe()) for p in planned.proposals]),
        "rejected": md_table(["type", "description", "reason"],
                             [(p.fix.type, p.fix.describe(), why) for p, why in planned.rejected]),
    })
    return meta


def validated_config(state: IterationState) -> dict[str, Any]:
    meta = common(state, "validate")
    if state.historical:
        invalid = [f for f in state.fixes or [] if f.status == "invalid"]
        meta.update({"fixes_invalid": dg.MetadataValue.int(len(invalid)),
                     "invalid": md_table(["type", "description", "reason"],
                                         [(f.fix_type, f.description, f.status_reason) for f in invalid])})
        return meta
    batch = state.batch
    meta.update({
        "fixes_accepted": dg.MetadataValue.int(len(batch.accepted) if batch else 0),
        "fixes_invalid": dg.MetadataValue.int(len(batch.invalid) if batch else 0),
        "invalid": md_table(["type", "description", "reason"],
                            [(p.fix.type, p.fix.describe(), why) for p, why in (batch.invalid if batch else [])]),
    })
    return meta


def applied_config(state: IterationState) -> dict[str, Any]:
    batch = state.batch
    applied = state.need_record().applied_version_id if state.historical else state.applied_version_id
    count = state.need_record().fixes_applied if state.historical else (len(batch.accepted) if applied and batch else 0)
    return {
        **common(state, "apply"),
        "applied": dg.MetadataValue.bool(applied is not None and not state.historical),
        "applied_version_id": dg.MetadataValue.text(applied or "none"),
        "fixes_applied": dg.MetadataValue.int(count),
    }


def evolution_metrics(state: IterationState, space_key: str) -> dict[str, Any]:
    """The iteration's summary row and decision: the keys the campaign sensor reads."""
    report = state.need_scored().report
    if state.historical:
        rec = state.need_record()
        decision, stop_reason, reason = rec.decision, rec.stop_reason, rec.decision_reason
        applied, rejected, proposed = rec.fixes_applied, rec.fixes_rejected, rec.fixes_proposed
        llm_calls, cost, wall = rec.llm_calls, rec.cost_usd, rec.wall_s
    else:
        summary = iteration_summary(state).model_dump()
        decision, stop_reason, reason = summary["decision"], summary["stop_reason"], summary["decision_reason"]
        applied, rejected, proposed = summary["fixes_applied"], summary["fixes_rejected"], summary["fixes_proposed"]
        llm_calls, cost, wall = state.llm_calls, state.cost_usd, state.wall_s
    return {
        "campaign": dg.MetadataValue.text(state.campaign_id),
        "space": dg.MetadataValue.text(space_key),
        "iteration": dg.MetadataValue.int(state.iteration),
        "historical": dg.MetadataValue.bool(state.historical),
        "decision": dg.MetadataValue.text(decision or ""),
        "stop_reason": dg.MetadataValue.text(stop_reason or ""),
        "decision_reason": dg.MetadataValue.text(reason or ""),
        "score_train": _num(report.score.train),
        "score_holdout": _num(report.score.holdout),
        "score_all": _num(report.score.all),
        "objective": _num(state.need_scored().objective),
        "regressions": dg.MetadataValue.int(len(state.decision.regressed) if state.decision else 0),
        "fixes_proposed": dg.MetadataValue.int(proposed),
        "fixes_applied": dg.MetadataValue.int(applied),
        "fixes_rejected": dg.MetadataValue.int(rejected),
        "genie_calls": dg.MetadataValue.int(report.genie_calls),
        "llm_calls": dg.MetadataValue.int(llm_calls),
        "cost_usd": dg.MetadataValue.float(round(cost, 6)),
        "wall_s": dg.MetadataValue.float(round(wall, 3)),
    }


def campaign_asset_key(space_key: str, campaign_id: str) -> dg.AssetKey:
    """`campaigns/<space>-<campaign part>`: one asset per campaign, so its Plots tab shows that campaign alone."""
    return dg.AssetKey([CAMPAIGNS, campaign_prefix(space_key, campaign_id)])


def campaign_point(space_key: str, campaign_id: str, metrics: dict[str, Any]) -> dg.AssetMaterialization:
    """One iteration on its campaign's trajectory. Why a separate asset: `evolution_metrics` is partitioned by
    iteration across every campaign, and the UI plots a partitioned asset over all its partitions (or all its
    events) on one axis, so campaigns run into each other; an unpartitioned asset per campaign plots one line."""
    point = {label: value for label, value in metrics.items() if label != "historical"}
    return dg.AssetMaterialization(
        asset_key=campaign_asset_key(space_key, campaign_id), metadata=point,
        description=f"campaign {campaign_id}, iteration {metrics['iteration'].value}: its evolution_metrics row")
