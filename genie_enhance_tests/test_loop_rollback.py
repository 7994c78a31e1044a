"""A harmful batch is rolled back to identical bytes, end to end through `run_campaign` on real files.

The runtime's proposer is the real heuristic proposer wrapped by a saboteur: in iteration 1 it proposes only the
heuristic fixes for the revenue question (so the score rises a little and the best version is not the initial
one), in iteration 2 it proposes a batch that hides columns Genie needs. The policy must roll that batch back:
the live space file gets the best version's exact bytes again, the fixes are marked `reverted` with their
measured effect, a `rollback` event is recorded and the summary counts it. A second campaign dies right after
the rollback wrote the live space and must resume to the same result as the uninterrupted one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from genie_enhance.engine.build import build_runtime, local_backend
from genie_enhance.engine.campaign import run_campaign
from genie_enhance.engine.runtime import CampaignSettings, Runtime
from genie_enhance.engine.summary import campaign_summary
from genie_enhance.proposers.base import Proposal, ProposerContext
from genie_enhance.proposers.heuristic import HeuristicProposer
from genie_enhance.scoring.categories import FailureCategory
from genie_enhance.space.fixes import ExcludeColumn
from genie_enhance.space.io import canonical_bytes, load_space
from genie_enhance.tracking import TrackingStore, version_id_for
from genie_enhance_tests.demo_fixtures import demo_db  # noqa: F401 - session fixture
from genie_enhance_tests.loop_world import Q_REVENUE, World, make_world, qid

HIDDEN = [("demo.commerce.orders", "gross_amt_usd"), ("demo.commerce.orders", "ord_ts"),
          ("demo.commerce.customers", "seg_cd"), ("demo.commerce.products", "prod_cat")]


class Crash(RuntimeError):
    """Stands for the process dying at this point."""


class Saboteur:
    """`Proposer`: heuristic fixes for the revenue question first, then a harmful batch, then the heuristic's."""

    name = "saboteur"

    def __init__(self) -> None:
        self.heuristic = HeuristicProposer()

    def propose(self, ctx: ProposerContext) -> list[Proposal]:
        if ctx.iteration == 2:
            target = ctx.failure_ids()[:1]
            return [Proposal(fix=ExcludeColumn(table=t, column=c), proposer="saboteur", question_ids=target,
                             rationale="hides a column Genie needs (harmful on purpose)",
                             category=FailureCategory.MISSING_COLUMN) for t, c in HIDDEN]
        proposals = self.heuristic.propose(ctx)
        if ctx.iteration == 1:
            proposals = [p for p in proposals if qid(Q_REVENUE) in p.question_ids]
        return proposals


@dataclass
class Campaign:
    world: World
    campaign_id: str
    store: TrackingStore
    summary: dict


def open_runtime(world: World) -> Runtime:
    """Three iterations at most: the rollback in iteration 3 is the campaign's last act."""
    settings = CampaignSettings(space_key="loop", benchmarks=str(world.benchmarks), holdout=0, target=0.95,
                                max_iterations=3)
    return build_runtime(settings, local_backend(world.warehouse, world.space), world.out)


def run(world: World) -> str:
    rt = open_runtime(world)
    rt.proposers = [Saboteur()]
    try:
        return run_campaign(rt)
    finally:
        rt.close()


def summary_of(world: World, campaign_id: str) -> dict:
    rt = open_runtime(world)
    try:
        return campaign_summary(rt, campaign_id, final_space=None, report=None)
    finally:
        rt.close()


@pytest.fixture(scope="module")
def rolled_back(tmp_path_factory: pytest.TempPathFactory, demo_db: Path) -> Campaign:  # noqa: F811
    world = make_world(tmp_path_factory.mktemp("rollback"), demo_db)
    campaign_id = run(world)
    return Campaign(world, campaign_id, TrackingStore(world.tracking), summary_of(world, campaign_id))


def test_the_harmful_batch_lowers_the_objective_and_is_rolled_back(rolled_back: Campaign) -> None:
    h = rolled_back.store.history(rolled_back.campaign_id)
    assert [it.iteration for it in h] == [1, 2, 3]
    assert h[1].objective > h[0].objective, "precondition: the revenue fixes help, so the best version is iteration 2"
    assert h[2].objective < h[1].objective
    assert h[2].decision == "stop" and h[2].stop_reason == "max_iterations"
    assert "lowered the score; restoring iteration 2" in h[2].decision_reason
    camp = rolled_back.store.campaign(rolled_back.campaign_id)
    assert camp.best_version_id == h[1].config_version_id


def test_the_live_space_gets_the_best_versions_exact_bytes_back(rolled_back: Campaign) -> None:
    world, store = rolled_back.world, rolled_back.store
    best = store.history(rolled_back.campaign_id)[1].config_version_id
    recorded = store.version_bytes(best)
    live = world.space.read_bytes()
    assert live == recorded + b"\n"  # the file is the bare serialized_space: the recorded bytes plus a newline
    assert canonical_bytes(load_space(world.space)) == recorded and version_id_for(recorded) == best
    trail = sorted((world.space.parent / "space.versions").glob("*.json"))  # every write the file store made
    assert len(trail) == 4  # bare → revenue fixes → harmful batch → rolled back
    assert trail[-1].read_bytes() == trail[1].read_bytes() == live
    assert trail[2].read_bytes() != live


def test_the_harmful_fixes_are_reverted_with_their_measured_effect(rolled_back: Campaign) -> None:
    store, cid = rolled_back.store, rolled_back.campaign_id
    h = store.history(cid)
    harmful = store.fixes(cid, 2)
    assert sorted((f.target, f.status) for f in harmful) == sorted((f"{t}.{c}", "reverted") for t, c in HIDDEN)
    for fix in harmful:
        assert fix.delta_objective == pytest.approx(h[2].objective - h[1].objective) and fix.delta_objective < 0
        assert "lowered the score" in fix.status_reason
    kept = [f for f in store.fixes(cid, 1) if f.status == "kept"]
    assert kept and all(f.delta_objective == pytest.approx(h[1].objective - h[0].objective) for f in kept)


def test_the_rollback_is_an_event_and_counted_in_the_summary(rolled_back: Campaign) -> None:
    store, cid, summary = rolled_back.store, rolled_back.campaign_id, rolled_back.summary
    h = store.history(cid)
    events = [e for e in store.events(cid) if e.kind == "rollback"]
    assert [(e.iteration, e.data["restored_version_id"]) for e in events] == [(3, h[1].config_version_id)]
    assert summary["rollbacks"] == 1 and summary["stop_reason"] == "max_iterations"
    assert summary["best_version"] == h[1].config_version_id
    assert summary["final"] == {"train": h[1].score_train, "holdout": None, "all": h[1].score_all}  # the live one


class CrashingStore:
    """The file space store, dying (`Crash`) right after its `crash_on`-th write reached the file."""

    def __init__(self, inner, crash_on: int) -> None:
        self.inner, self.crash_on, self.writes = inner, crash_on, 0

    def export(self):
        return self.inner.export()

    def update(self, space, etag: str) -> str:
        new_etag = self.inner.update(space, etag)
        self.writes += 1
        if self.writes == self.crash_on:
            raise Crash(f"simulated crash after write {self.writes} to the live space")
        return new_etag


def test_a_crash_right_after_the_rollback_resumes_to_the_uninterrupted_result(
    tmp_path: Path, demo_db: Path, rolled_back: Campaign,  # noqa: F811
) -> None:
    world = make_world(tmp_path, demo_db)
    rt = open_runtime(world)
    rt.proposers = [Saboteur()]
    rt.backend.store = CrashingStore(rt.backend.store, crash_on=3)  # 1: revenue fixes, 2: harmful batch, 3: rollback
    try:
        with pytest.raises(Crash):
            run_campaign(rt)
    finally:
        rt.close()
    store = TrackingStore(world.tracking)
    cid = store.latest_campaign().campaign_id
    started = store.iteration(cid, 3)
    assert started is not None and not started.complete
    best = store.history(cid)[1].config_version_id
    pending = store.pending_apply(cid)
    assert (pending.iteration, pending.candidate_version_id) == (3, best)  # the rollback's write-ahead row
    assert canonical_bytes(load_space(world.space)) == store.version_bytes(best)  # it reached the live space

    assert run(world) == cid  # the same campaign, resumed
    resumed = [e for e in store.events(cid) if e.kind == "resume"]
    assert resumed and resumed[0].data["outcome"] == "applied"
    assert resumed[0].data["restored_version_id"] == started.config_version_id  # the redo starts where it did
    ref = rolled_back.store.history(rolled_back.campaign_id)
    got = store.history(cid)
    assert [(h.iteration, h.objective, h.decision, h.config_version_id) for h in got] == \
        [(h.iteration, h.objective, h.decision, h.config_version_id) for h in ref]
    assert world.space.read_bytes() == rolled_back.world.space.read_bytes()
    assert [e.iteration for e in store.events(cid) if e.kind == "rollback"] == [3]  # the redo's, once
    assert summary_of(world, cid)["rollbacks"] == rolled_back.summary["rollbacks"] == 1
    assert store.pending_apply(cid) is None and store.campaign(cid).status == "finished"
