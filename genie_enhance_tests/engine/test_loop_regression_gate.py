"""A harmful batch that fixes five questions and breaks two keeps the five after a surgical rollback, end to end
through the CLI's campaign path (`execute_campaign`: each iteration materialized by the Dagster iteration job).

The world is the loop benchmark plus one question of our own ("smallest order amount"), so that one fix — the
synonym "order amount" on the discount column, which steals the phrase the two order-amount questions use — breaks
two questions that pass on the bare space. The proposer is the real heuristic one, scripted: in iteration 1 it
proposes the heuristic fixes for every failure but the cancelled-orders one (five questions get fixed) plus the
stealing synonym; later it proposes what the heuristic proposes. The gate must see the two regressions in
iteration 2, take out exactly the stealing synonym, measure the rest of the batch on iteration 1's version, keep
it in iteration 3 (seven more passes than the bare space, the five fixed among them), record the synonym as
harmful with the two questions it broke, and never apply it again; the report and the Dagster metadata flag the
regressions of iteration 2.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from genie_enhance.cli.campaign_io import execute_campaign
from genie_enhance.defs.local_run import open_instance
from genie_enhance.engine.build import build_runtime, local_backend
from genie_enhance.engine.partition_keys import partition_key
from genie_enhance.engine.regression_gate import SURGICAL
from genie_enhance.engine.runtime import CampaignSettings
from genie_enhance.proposers.base import Proposal, ProposerContext
from genie_enhance.proposers.heuristic import HeuristicProposer
from genie_enhance.scoring.categories import FailureCategory
from genie_enhance.space.fixes import AddSynonym
from genie_enhance.space.io import load_space
from genie_enhance.tracking import TrackingStore
from genie_enhance_tests.support.dagster_world import metadata
from genie_enhance_tests.support.loop_world import make_world, qid

Q_LARGEST = "What is the largest order amount?"
Q_SMALLEST = "What is the smallest order amount?"
Q_CANCELLED = "How many orders were cancelled?"
FIXED_FIRST = ["What is the total revenue?", "What is the total revenue by region?",
               "How many customers are there in each customer segment?", "How many enterprise customers do we have?",
               "What is the average list price for each product category?"]
STEAL = AddSynonym(table="demo.commerce.orders", column="disc_amt_usd", synonym="order amount")
EXTRA = f"""# Gate test questions

## Smallest order

**Question:** {Q_SMALLEST}

```sql
SELECT MIN(gross_amt_usd) AS smallest FROM demo.commerce.orders
```
"""


class Scripted:
    """`Proposer`: the heuristic's fixes, with a phrase-stealing synonym in the first batch (cancelled orders left
    for later, so the first batch fixes exactly five questions)."""

    name = "scripted"

    def __init__(self) -> None:
        self.heuristic = HeuristicProposer()

    def propose(self, ctx: ProposerContext) -> list[Proposal]:
        proposals = self.heuristic.propose(ctx)
        if ctx.iteration != 1:
            return proposals
        kept = [p for p in proposals if qid(Q_CANCELLED) not in p.question_ids]
        return [*kept, Proposal(fix=STEAL, proposer="scripted", rationale="steals a phrase (harmful on purpose)",
                                question_ids=[qid(FIXED_FIRST[0])], category=FailureCategory.WRONG_COLUMN)]


@pytest.fixture(scope="module")
def gated(tmp_path_factory: pytest.TempPathFactory, demo_db: Path) -> dict:
    root = tmp_path_factory.mktemp("gate")
    world = make_world(root, demo_db)
    (world.benchmarks / "gate.md").write_text(EXTRA, encoding="utf-8")
    home = root / "dagster_home"
    home.mkdir()
    mp = pytest.MonkeyPatch()
    mp.setenv("DAGSTER_HOME", str(home))
    settings = CampaignSettings(space_key="gate", benchmarks=str(world.benchmarks), holdout=0, target=1.0,
                                max_iterations=5)
    rt = build_runtime(settings, local_backend(world.warehouse, world.space), world.out)
    rt.proposers = [Scripted()]
    try:
        summary = execute_campaign(rt, world.out, new=True, as_json=True)
    finally:
        rt.close()
        mp.undo()
    return {"world": world, "summary": summary, "home": home}


def _store(gated: dict) -> TrackingStore:
    return TrackingStore.in_dir(gated["world"].out)


def _passing(store: TrackingStore, campaign_id: str, iteration: int) -> set[str]:
    return {r.question_id for r in store.results(campaign_id, iteration) if r.verdict == "pass"}


def test_the_surgical_rollback_keeps_the_five_and_restores_the_two(gated: dict) -> None:
    store = _store(gated)
    cid = gated["summary"]["campaign"]
    one, two, three = (_passing(store, cid, i) for i in (1, 2, 3))
    fixed, broken = {qid(q) for q in FIXED_FIRST}, {qid(Q_LARGEST), qid(Q_SMALLEST)}
    assert broken <= one and not fixed & one  # the two passed on the bare space, the five did not
    assert two - one == fixed and one - two == broken  # the batch fixed exactly five and broke exactly two
    assert fixed | broken <= three  # the candidate keeps the five and gives the two back
    record = store.iteration(cid, 2)
    assert record is not None and record.decision == "rollback"
    assert "surgical rollback" in (record.decision_reason or "") and STEAL.key in (record.decision_reason or "")
    for q in broken:
        assert q in (record.decision_reason or "")
    assert store.iteration(cid, 3).decision != "rollback"  # the candidate is the best of the three: kept


def test_the_stored_decision_names_who_broke_what(gated: dict) -> None:
    store = _store(gated)
    cid = gated["summary"]["campaign"]
    events = [e for e in store.events(cid) if e.kind == SURGICAL]
    assert [e.iteration for e in events] == [2]
    data = events[0].data
    steal = next(f for f in store.fixes(cid, 1) if f.fix_key == STEAL.key)
    assert data["regressed"] == sorted([qid(Q_LARGEST), qid(Q_SMALLEST)])
    assert data["removed"] == [steal.fix_id] and sorted(data["broke"][steal.fix_id]) == data["regressed"]


def test_the_removed_fix_is_a_harmful_lesson_with_the_questions_it_broke(gated: dict) -> None:
    store = _store(gated)
    cid = gated["summary"]["campaign"]
    steal = next(f for f in store.fixes(cid, 1) if f.fix_key == STEAL.key)
    assert steal.status == "reverted" and steal.delta_train is not None and steal.delta_train < 0
    assert qid(Q_LARGEST) in (steal.status_reason or "") and qid(Q_SMALLEST) in (steal.status_reason or "")
    others = [f for f in store.fixes(cid, 1) if f.status in ("kept", "reverted") and f.fix_key != STEAL.key]
    assert others and all(f.status == "kept" for f in others)
    lesson = next(x for x in store.lessons() if x.fix_type == "add_synonym" and x.category == "wrong_column")
    assert lesson.hurt >= 1 and lesson.reverted >= 1
    # never proposed again: only iteration 1 carries it
    assert [f.iteration for f in store.fixes(cid) if f.fix_key == STEAL.key] == [1]


def test_the_final_config_has_the_good_fixes_and_not_the_harmful_one(gated: dict) -> None:
    space = load_space(Path(gated["summary"]["final_space"]))
    orders = space.table("demo.commerce.orders")
    assert orders is not None
    discount = orders.column("disc_amt_usd")
    assert discount is None or "order amount" not in [s.lower() for s in discount.synonyms or []]
    revenue = orders.column("gross_amt_usd")
    assert revenue is not None and "revenue" in [s.lower() for s in revenue.synonyms or []]
    assert gated["summary"]["final"]["all"] == 1.0


def test_the_report_flags_the_regressions_in_the_iteration_and_the_question_timeline(gated: dict) -> None:
    html = Path(gated["summary"]["report"]).read_text(encoding="utf-8")
    assert 'data-regressions="2"' in html
    for q in (Q_LARGEST, Q_SMALLEST):
        row = html.split(f'data-question="{qid(q)}"', 1)[1].split("</tr>", 1)[0]
        assert row.count('data-regressed="1"') == 1 and 'data-i="2"' in row.split('data-regressed="1"', 1)[1][:200]
    row = html.split(f'data-question="{qid(FIXED_FIRST[0])}"', 1)[1].split("</tr>", 1)[0]
    assert 'data-regressed="1"' not in row


def test_the_dagster_metadata_flags_the_regressions(gated: dict) -> None:
    cid = gated["summary"]["campaign"]
    with open_instance(gated["home"]) as instance:
        two = partition_key("gate", cid, 2)
        plan = metadata(instance, "proposed_fixes", two)
        assert plan["regressions"] == 2 and plan["surgical_rollback"] is True
        assert STEAL.key.replace("|", "\\|") in plan["removed_fixes"] and qid(Q_SMALLEST) in plan["regressed"]
        assert metadata(instance, "evolution_metrics", two)["regressions"] == 2
        assert metadata(instance, "evolution_metrics", partition_key("gate", cid, 1))["regressions"] == 0
    assert json.dumps(gated["summary"])  # the JSON summary stays serializable
