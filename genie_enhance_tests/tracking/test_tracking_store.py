"""TrackingStore on real DuckDB files: schema, idempotent upserts, versions, iterations, resume bookkeeping."""

from __future__ import annotations

import hashlib

import duckdb
import pytest

from genie_enhance.diagnosis import Diagnosis
from genie_enhance.llm.records import LLMCall
from genie_enhance.scoring.categories import FailureCategory
from genie_enhance.scoring.verdicts import Verdict
from genie_enhance.tracking import IterationSummary, TrackingError, TrackingStore, version_id_for
from genie_enhance.tracking.schema import SCHEMA_VERSION
from genie_enhance_tests.tracking.tracking_helpers import (
    example_fix,
    proposal,
    result,
    run_iteration,
    spec,
    store_at,
    synonym,
)

TABLES = {
    "campaigns", "iterations", "question_results", "fixes", "config_blobs", "config_versions", "llm_calls",
    "events", "pending_applies", "schema_version", "health_checks",
}


def count(store: TrackingStore, table: str) -> int:
    with duckdb.connect(str(store.path), read_only=True) as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_new_file_gets_schema_and_reopening_keeps_data(tmp_path):
    store = store_at(tmp_path)
    assert store.path.exists()
    with duckdb.connect(str(store.path), read_only=True) as conn:
        tables = {r[0] for r in conn.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        versions = conn.execute("SELECT version FROM schema_version").fetchall()
    assert TABLES <= tables
    assert versions == [(v,) for v in range(1, SCHEMA_VERSION + 1)]
    store.start_campaign(spec())

    reopened = TrackingStore(store.path)
    assert reopened.campaign("camp-1").space_key == "space-a"
    assert count(reopened, "schema_version") == SCHEMA_VERSION  # reopening does not migrate again


def test_newer_schema_is_refused(tmp_path):
    store = store_at(tmp_path)
    with duckdb.connect(str(store.path)) as conn:
        conn.execute("INSERT INTO schema_version VALUES (?, now()::TIMESTAMP)", [SCHEMA_VERSION + 1])
    with pytest.raises(TrackingError, match="newer than this release"):
        TrackingStore(store.path)


def test_campaign_start_is_idempotent_and_guards_its_space(tmp_path):
    store = store_at(tmp_path)
    first = spec(settings={"workers": 4}, holdout_ids=["q9", "q3"])
    assert store.start_campaign(first) == "camp-1"
    assert store.start_campaign(spec(settings={"workers": 8})) == "camp-1"
    record = store.campaign("camp-1")
    assert count(store, "campaigns") == 1
    assert record.settings == {"workers": 4}  # resuming changes nothing
    assert record.holdout_ids == ["q3", "q9"] and record.status == "running" and record.target == 0.9
    with pytest.raises(TrackingError, match="belongs to space 'space-a'"):
        store.start_campaign(spec(space_key="space-b"))
    with pytest.raises(TrackingError, match="unknown campaign"):
        store.campaign("nope")


def test_latest_campaign_and_finish(tmp_path):
    store = store_at(tmp_path)
    assert store.latest_campaign() is None
    store.start_campaign(spec("c1", "a"))
    store.start_campaign(spec("c2", "b"))
    assert store.latest_campaign().campaign_id == "c2"
    assert store.latest_campaign("a").campaign_id == "c1"
    store.finish_campaign("c1", "converged", "abcd")
    done = store.campaign("c1")
    assert (done.status, done.stop_reason, done.best_version_id) == ("finished", "converged", "abcd")
    assert done.finished_at is not None and done.finished_at >= done.started_at
    store.finish_campaign("c2", "crashed", None, status="failed")
    assert store.campaign("c2").status == "failed"


def test_versions_are_content_hashes_and_bytes_round_trip_exactly(tmp_path):
    store = store_at(tmp_path)
    store.start_campaign(spec())
    data = bytes(range(256)) + b"\xff\xfe not utf-8 \x00\r\n"  # every byte value, invalid UTF-8, NUL, CRLF
    vid = store.record_version(data, source="snapshot", campaign_id="camp-1", iteration=0, etag="e1")
    assert vid == hashlib.sha256(data).hexdigest()[:16] == version_id_for(data)
    assert store.version_bytes(vid) == data
    child = store.record_version(data + b"!", parent_id=vid, source="apply", campaign_id="camp-1", iteration=0)
    assert child != vid

    again = store.record_version(data, parent_id=child, source="rollback", campaign_id="camp-1", iteration=1)
    assert again == vid
    assert count(store, "config_blobs") == 2 and count(store, "config_versions") == 2
    versions = store.versions("camp-1")
    assert [(v.version_id, v.parent_id, v.source) for v in versions] == [(vid, None, "snapshot"), (child, vid, "apply")]
    assert versions[0].etag == "e1" and versions[0].size_bytes == len(data)

    # a second campaign starting from the same bytes sees that version as its own, bytes stored once
    store.start_campaign(spec("camp-2"))
    assert store.record_version(data, source="snapshot", campaign_id="camp-2") == vid
    assert [v.version_id for v in store.versions("camp-2")] == [vid]
    assert count(store, "config_blobs") == 2
    assert len(store.versions()) == 3
    with pytest.raises(TrackingError, match="unknown config version"):
        store.version_bytes("0" * 16)
    with pytest.raises(TrackingError, match="version source"):
        store.record_version(b"x", source="magic")


def test_results_upsert_is_idempotent_and_keeps_diagnoses(tmp_path):
    store = store_at(tmp_path)
    store.start_campaign(spec())
    results = [result("q1"), result("q2", Verdict.FAIL, role="holdout")]
    diagnosis = Diagnosis(question_id="q2", category=FailureCategory.WRONG_FILTER,
                          evidence={"missing_literals": ["EMEA"]}, summary="filter on region missing")
    assert store.record_results("camp-1", 0, results, {"q2": diagnosis}) == 2
    first = store.results("camp-1", 0)
    store.record_results("camp-1", 0, results, {"q2": diagnosis})
    assert count(store, "question_results") == 2
    assert store.results("camp-1", 0) == first

    q1, q2 = first
    assert (q1.question_id, q1.verdict, q1.category, q1.diagnosis, q1.details) == ("q1", "pass", None, None, "match")
    assert q2.role == "holdout" and q2.reason == "value_difference" and q2.latency_s == 1.25
    assert q2.category == "wrong_filter"  # the diagnosis refines scoring's coarse "wrong_result"
    assert q2.diagnosis["evidence"] == {"missing_literals": ["EMEA"]}
    assert q2.details == "row 0 differs: 3 != 4"

    store.record_results("camp-1", 0, [result("q1", Verdict.FAIL, sql="SELECT 2")])
    changed = store.results("camp-1", 0)[0]
    assert (changed.verdict, changed.generated_sql) == ("fail", "SELECT 2")


def test_fixes_upsert_status_and_batch_effect(tmp_path):
    store = store_at(tmp_path)
    store.start_campaign(spec())
    p1, p2 = proposal(synonym("revenue")), proposal(example_fix("total sales?"), FailureCategory.WRONG_AGGREGATION)
    ids = store.record_fixes("camp-1", 1, [(p1, "applied"), (p2, "invalid", "SQL does not parse")])
    assert ids == store.record_fixes("camp-1", 1, [(p1, "applied"), (p2, "invalid", "SQL does not parse")])
    assert count(store, "fixes") == 2 and len(set(ids)) == 2
    fixes = {f.fix_id: f for f in store.fixes("camp-1", 1)}
    f1, f2 = fixes[ids[0]], fixes[ids[1]]
    assert (f1.fix_type, f1.target, f1.category, f1.status) == ("add_synonym", "demo.commerce.orders.amount",
                                                                "wrong_column", "applied")
    assert f1.payload["synonym"] == "revenue" and f1.description == p1.fix.describe()
    assert f1.question_ids == ["q1"] and f1.proposer == "heuristic"
    assert (f2.status, f2.status_reason) == ("invalid", "SQL does not parse")

    # the same fix in another iteration is another row; another campaign too
    assert store.record_fixes("camp-1", 2, [p1])[0] not in ids
    assert store.set_batch_effect("camp-1", 1, -0.1, 0.05) == 1  # only the applied fix of iteration 1
    store.set_fix_status([ids[0]], "reverted", "batch lowered the objective")
    after = {f.fix_id: f for f in store.fixes("camp-1")}
    assert (after[ids[0]].delta_objective, after[ids[0]].delta_train) == (-0.1, 0.05)
    assert after[ids[0]].status == "reverted" and after[ids[0]].measured_at is not None
    assert after[ids[1]].delta_objective is None
    assert len(store.fixes("camp-1")) == 3

    # re-recording a measured proposal keeps its measurement
    store.record_fixes("camp-1", 1, [(p1, "reverted", "batch lowered the objective")])
    assert {f.fix_id: f for f in store.fixes("camp-1", 1)}[ids[0]] == after[ids[0]]
    with pytest.raises(TrackingError, match="unknown fix ids: nope"):
        store.set_fix_status(["nope"], "kept")
    with pytest.raises(TrackingError, match="fix status must be one of"):
        store.record_fixes("camp-1", 1, [(p1, "maybe")])


def test_iterations_history_and_question_history(tmp_path):
    store = store_at(tmp_path)
    store.start_campaign(spec())
    for iteration, objective in [(2, 0.8), (0, 0.4), (1, 0.6)]:
        run_iteration(store, "camp-1", iteration, objective)
    run_iteration(store, "camp-1", 3, 0.9, complete=False)
    history = store.history("camp-1")
    assert [(h.iteration, h.objective) for h in history] == [(0, 0.4), (1, 0.6), (2, 0.8)]
    assert all(h.complete for h in history)
    assert store.last_complete_iteration("camp-1") == 2
    assert store.iteration("camp-1", 3).complete is False
    outcomes = store.question_history("camp-1")["q1"]
    assert [(o.iteration, o.verdict) for o in outcomes] == [(0, "fail"), (1, "pass"), (2, "pass")]

    summary = IterationSummary(objective=0.9, counts={"pass": 3, "fail": 1}, decision="rollback",
                               decision_reason="Δ -0.1", fixes_applied=2, cost_usd=0.25, applied_version_id="v9")
    store.complete_iteration("camp-1", 3, summary)
    first = store.iteration("camp-1", 3)
    later = summary.model_copy(update={"completed_at": summary.completed_at.replace(year=2100)})
    store.complete_iteration("camp-1", 3, later)
    assert store.iteration("camp-1", 3) == first  # completing twice keeps the first completion time
    assert (first.counts, first.decision, first.cost_usd) == ({"pass": 3, "fail": 1}, "rollback", 0.25)
    with pytest.raises(TrackingError, match="never begun"):
        store.complete_iteration("camp-1", 7, summary)
    with pytest.raises(TrackingError, match="already complete"):
        store.begin_iteration("camp-1", 3, "3", "another-version")
    with pytest.raises(TrackingError, match="unknown campaign"):
        store.begin_iteration("nope", 0, "0", "v")

    summ = store.campaign_summary("camp-1")
    assert (summ.iterations_completed, summ.first_objective, summ.last_objective) == (4, 0.4, 0.9)
    assert (summ.best_objective, summ.best_iteration) == (0.9, 3)


def test_discard_incomplete_removes_only_incomplete_rows(tmp_path):
    store = store_at(tmp_path)
    store.start_campaign(spec())
    store.start_campaign(spec("camp-2"))
    run_iteration(store, "camp-1", 0, 0.5)
    v1 = run_iteration(store, "camp-1", 1, 0.7, complete=False)
    run_iteration(store, "camp-2", 1, 0.7, complete=False)  # another campaign's incomplete work stays
    store.record_fixes("camp-1", 0, [(proposal(synonym("sales")), "applied")])
    store.record_fixes("camp-1", 1, [(proposal(synonym("income")), "proposed")])
    store.record_results("camp-1", 2, [result("q5")])  # a row of an iteration that was never begun
    store.record_event("camp-1", "start", "campaign started")
    store.record_event("camp-1", "score", "scored", iteration=1)
    store.record_llm_call(LLMCall(id="call-1", purpose="propose", model="m", prompt_hash="ph", cost_usd=0.01,
                                  outcome="ok"), "camp-1", 1)
    store.write_pending_apply("camp-1", 1, "base", "cand")

    assert store.discard_incomplete("camp-1") == [1, 2]
    assert store.discard_incomplete("camp-1") == []
    assert store.iteration("camp-1", 1) is None and store.results("camp-1", 1) == [] and store.results("camp-1", 2) == []
    assert [f.iteration for f in store.fixes("camp-1")] == [0]
    assert [e.kind for e in store.events("camp-1")] == ["start"]
    assert [r.question_id for r in store.results("camp-1", 0)] == ["q1"]
    assert store.version_bytes(v1) == b"config 1"  # versions are kept
    assert len(store.llm_calls("camp-1")) == 1  # money spent stays on the books
    assert store.pending_apply("camp-1") is not None  # still needed to resume
    assert store.iteration("camp-2", 1) is not None
    # the rerun starts the iteration cleanly
    run_iteration(store, "camp-1", 1, 0.75)
    assert [h.objective for h in store.history("camp-1")] == [0.5, 0.75]


def test_pending_apply_lifecycle(tmp_path):
    store = store_at(tmp_path)
    store.start_campaign(spec())
    base_bytes, cand_bytes = b'{"version": 2}', b'{"version": 2, "x": 1}'
    base = run_iteration(store, "camp-1", 0, 0.5, data=base_bytes)
    store.begin_iteration("camp-1", 1, "1", base)
    cand = store.record_version(cand_bytes, parent_id=base, source="apply", campaign_id="camp-1", iteration=1)
    assert store.pending_apply("camp-1") is None

    store.write_pending_apply("camp-1", 1, base, cand, base_etag="etag-0")
    store.write_pending_apply("camp-1", 1, base, cand, base_etag="etag-0")
    pending = store.pending_apply("camp-1")
    assert (pending.iteration, pending.base_version_id, pending.candidate_version_id, pending.base_etag) == (
        1, base, cand, "etag-0")
    assert pending.outcome(cand_bytes) == "applied"
    assert pending.outcome(base_bytes) == "not_applied"
    assert pending.outcome(b'{"edited": "by hand"}') == "external"

    assert store.clear_pending_apply("camp-1", iteration=5) is False  # another iteration's clear leaves it
    store.complete_iteration("camp-1", 1, IterationSummary(objective=0.6, applied_version_id=cand))
    assert store.pending_apply("camp-1") is None  # completion clears it atomically
    store.write_pending_apply("camp-1", 2, cand, base)
    assert store.clear_pending_apply("camp-1") is True and store.pending_apply("camp-1") is None


def test_llm_calls_and_events(tmp_path):
    store = store_at(tmp_path)
    store.start_campaign(spec())
    call = LLMCall(purpose="propose", model="gpt-4o-mini", prompt_hash="ph", input_tokens=120, output_tokens=30,
                   cost_usd=0.002, latency_s=1.5, outcome="ok")
    failed = LLMCall(id="c2", purpose="judge", model="m", prompt_hash="ph2", outcome="http_error", error="HTTP 500",
                     started_at="2025-01-01T00:00:00+00:00")
    assert store.record_llm_call(call, "camp-1", 1) == call.id
    store.record_llm_calls([call, failed], "camp-1", 1)
    calls = store.llm_calls("camp-1")
    assert count(store, "llm_calls") == 2
    recorded = {c.call_id: c for c in calls}
    mine = recorded[call.id]
    assert (mine.input_tokens, mine.cost_usd, mine.iteration, mine.outcome) == (120, 0.002, 1, "ok")
    assert recorded["c2"].error == "HTTP 500" and recorded["c2"].started_at.year == 2025
    assert store.campaign_summary("camp-1").llm_cost_usd == pytest.approx(0.002)

    assert store.record_event("camp-1", "start", "started", data={"n": 1}) == 1
    assert store.record_event("camp-1", "apply", "applied 2 fixes", iteration=1) == 2
    assert store.record_event("camp-2", "start", "other campaign") == 1
    events = store.events("camp-1")
    assert [(e.seq, e.kind, e.iteration) for e in events] == [(1, "start", None), (2, "apply", 1)]
    assert events[0].data == {"n": 1}
    assert [e.seq for e in store.events("camp-1", iteration=1)] == [2]


def test_v2_file_gains_the_label_column_and_keeps_its_rows(tmp_path):
    """Schema v3 adds `question_results.label` to a file written by the previous release, in place."""
    from genie_enhance.tracking.schema import MIGRATIONS

    path = tmp_path / "tracking.duckdb"
    with duckdb.connect(str(path)) as conn:
        conn.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMP NOT NULL)")
        for version in (1, 2):
            for statement in MIGRATIONS[version]:
                conn.execute(statement)
            conn.execute("INSERT INTO schema_version VALUES (?, now()::TIMESTAMP)", [version])
        conn.execute("INSERT INTO question_results (campaign_id, iteration, question_id, role, question, verdict) "
                     "VALUES ('camp-1', 1, 'q-old', 'train', 'old question?', 'pass')")
    store = TrackingStore(path)
    (old,) = store.results("camp-1", 1)
    assert (old.question_id, old.label) == ("q-old", None)
    store.start_campaign(spec())
    store.record_results("camp-1", 2, [result("q1").model_copy(update={"label": "kpi_001"}), result("q2")])
    assert [(r.question_id, r.label) for r in store.results("camp-1", 2)] == [("q1", "kpi_001"), ("q2", None)]
    assert count(store, "schema_version") == SCHEMA_VERSION
