"""Score: ask every benchmark question, compare the answers, diagnose the failures, record it all.

Why the re-ask: a scoring run in which too few questions were answered (API errors, timeouts) says little about
the config, so the questions that failed that way are asked once more before the result is recorded.
"""

from __future__ import annotations

from dataclasses import dataclass

from genie_enhance.benchmarks import Benchmark
from genie_enhance.diagnosis import Diagnosis, diagnose_all
from genie_enhance.engine.answered import REASKED, answered_share, merge_reasked, service_failures
from genie_enhance.engine.iteration.snapshot import Snapshot
from genie_enhance.engine.runtime import Runtime
from genie_enhance.scoring.runner import ScoreReport, Scores, score_benchmarks


@dataclass
class Scored:
    report: ScoreReport
    diagnoses: dict[str, Diagnosis]
    objective: float | None


def objective_of(score: Scores, has_holdout: bool) -> float | None:
    """The holdout score when a holdout exists, else the score over all questions."""
    return score.holdout if has_holdout else score.all


def score(rt: Runtime, campaign_id: str, iteration: int, snap: Snapshot) -> Scored:
    """Ask every benchmark question, compare, diagnose the failures and record it all. When fewer than
    `min_answered` of the questions were answered, the ones that failed with API errors are asked once more."""
    split = rt.split

    def ask(benchmarks: list[Benchmark]) -> ScoreReport:
        return score_benchmarks(
            benchmarks, rt.backend.genie, rt.backend.warehouse, split=split,
            concurrency=rt.settings.concurrency, rate_per_minute=rt.settings.rate_per_minute,
            options=rt.settings.compare_options(), expected_cache=rt.expected_cache,
            config_version=snap.version_id, progress=rt.progress,
        )

    report = ask(rt.benchmarks)
    failed = service_failures(report)
    if failed and answered_share(report.questions) < rt.settings.min_answered:
        ids = {q.id for q in failed}
        report = merge_reasked(report, ask([b for b in rt.benchmarks if b.id in ids]))
        still = len(service_failures(report))
        rt.tracking.record_event(campaign_id, REASKED, f"asked the {len(ids)} questions that failed with API "
                                 f"errors again; {len(ids) - still} answered now", iteration=iteration,
                                 data={"asked": len(ids), "still_failed": still})
    diagnoses = diagnose_all(report.questions, rt.catalog, snap.space)
    rt.tracking.record_results(campaign_id, iteration, report.questions, diagnoses)
    return Scored(report, diagnoses, objective_of(report.score, bool(split.holdout)))
