"""Genie's own benchmark evaluation (`genie_create_eval_run` and friends): the mapping of GOOD/BAD/NEEDS_REVIEW
and reason codes onto our verdicts, the emulator's eval-run endpoints through the real SDK, and `score`/`run
--native-eval` showing both verdicts per question and how often they agree."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from databricks.sdk.service.dashboards import (
    EvaluationStatusType,
    GenieEvalAssessment,
    GenieEvalResponse,
    GenieEvalResponseType,
    GenieEvalResultDetails,
    ScoreReason,
)
from typer.testing import CliRunner

import genie_enhance.cli  # noqa: F401  (registers every command on the app)
from genie_enhance.backends.databricks import DatabricksBackendError, native_eval, open_databricks_backend
from genie_enhance.backends.databricks.native_eval import native_verdict
from genie_enhance.cli.app import app
from genie_enhance.emulator import Emulator
from genie_enhance.space.ids import stable_id
from genie_enhance.tracking import TrackingStore
from genie_enhance_tests.support.emulator import ORDERS, SPACE_ID, TOKEN, emulator_space

CUSTOMERS = "emu.sales.customers"
# (question, expected SQL or None for a benchmark without an answer, how Genie grades the offline Genie's answer)
BENCHMARKS = [
    ("How many orders are there?", f"SELECT COUNT(*) FROM {ORDERS}", "GOOD"),
    ("What is the total revenue by city?",
     f"SELECT c.city, SUM(o.amount) AS revenue FROM {ORDERS} o JOIN {CUSTOMERS} c ON o.customer_id = c.customer_id "
     "GROUP BY c.city", "GOOD"),
    ("How many paid orders are there?", f"SELECT COUNT(*) FROM {ORDERS} WHERE is_paid", "BAD"),  # counts is_paid values
    ("Who won the football world cup in 1954?", f"SELECT COUNT(*) FROM {ORDERS}", "BAD"),  # a text answer, no SQL
    ("What is the average discount per status?", f"SELECT AVG(discount) FROM {ORDERS} GROUP BY status", "BAD"),
    ("What is the total revenue?", None, "NEEDS_REVIEW"),  # no answer: graded by manual review, skipped by us
]


def _question(text: str, sql: str | None) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": stable_id("native-eval", text), "question": [text]}
    if sql is not None:
        entry["answer"] = [{"format": "SQL", "content": [sql]}]
    return entry


def _details(assessment: GenieEvalAssessment | None, reasons: list[ScoreReason], sql: str | None = "SELECT 1",
             status: EvaluationStatusType = EvaluationStatusType.DONE) -> GenieEvalResultDetails:
    response = GenieEvalResponse(response=sql or "I cannot answer that.",
                                 response_type=GenieEvalResponseType.SQL if sql else GenieEvalResponseType.TEXT)
    return GenieEvalResultDetails(result_id="r", space_id="s", benchmark_question_id="q", assessment=assessment,
                                  assessment_reasons=reasons, actual_response=[response], eval_run_status=status)


A, R = GenieEvalAssessment, ScoreReason


@pytest.mark.parametrize(("details", "expected"), [
    (_details(A.GOOD, []), ("pass", "match", None)),
    (_details(A.BAD, [R.RESULT_MISSING_ROWS, R.LLM_JUDGE_MISSING_OR_INCORRECT_JOIN]), ("fail", "missing_rows", "wrong_join")),
    (_details(A.BAD, [R.SINGLE_CELL_DIFFERENCE]), ("fail", "value_difference", "wrong_result")),
    (_details(A.BAD, [R.RESULT_EXTRA_COLUMNS, R.LLM_JUDGE_INCORRECT_METRIC_CALCULATION]),
     ("fail", "extra_columns", "wrong_aggregation")),
    (_details(A.BAD, [R.LLM_JUDGE_WRONG_FILTER]), ("fail", None, "wrong_filter")),  # a deprecated judge reason
    (_details(A.BAD, [R.LLM_JUDGE_OTHER], sql=None), ("fail", "no_sql", "no_sql_generated")),
    (_details(A.NEEDS_REVIEW, [R.EMPTY_GOOD_SQL]), ("needs_review", "empty_expected", None)),
    (_details(None, [], status=EvaluationStatusType.EVALUATION_FAILED), ("error", None, "api_error")),
    (_details(None, []), ("needs_review", None, None)),  # evaluated, but nobody graded it
])
def test_native_verdicts_map_onto_ours(details: GenieEvalResultDetails, expected: tuple) -> None:
    got = native_verdict(details)
    assert (got.verdict.value, got.reason.value if got.reason else None, got.category.value if got.category else None) == expected
    assert got.assessment == (details.assessment.value if details.assessment else None)


def test_a_failed_result_is_a_service_failure_never_a_wrong_answer() -> None:
    got = native_verdict(_details(None, [], sql=None), EvaluationStatusType.EVALUATION_TIMEOUT)
    assert got.verdict.value == "error" and got.category.is_service_failure


@pytest.fixture
def native_space(emulator_files, tmp_path: Path) -> Path:
    space = emulator_space()
    questions = [_question(text, sql) for text, sql, _ in BENCHMARKS]
    space["benchmarks"] = {"questions": sorted(questions, key=lambda q: q["id"])}
    path = tmp_path / "native_space.json"
    path.write_text(json.dumps(space, indent=2), encoding="utf-8")
    return path


@pytest.fixture
def native_emulator(emulator_files, native_space: Path):
    emulator, _ = Emulator.for_space(emulator_files.warehouse, native_space, token=TOKEN, space_id=SPACE_ID)
    with emulator:
        yield emulator


def _ids(*texts: str) -> list[str]:
    return [stable_id("native-eval", t) for t in texts]


def test_eval_runs_through_the_sdk_are_graded_and_paged(native_emulator: Emulator, monkeypatch) -> None:
    monkeypatch.setattr(native_eval, "PAGE_SIZE", 2)  # several pages of results
    backend = open_databricks_backend(SPACE_ID, native_emulator.warehouse_id, host=native_emulator.host, token=TOKEN,
                                      max_per_minute=None, poll_interval_s=0.001)
    with backend:
        run = backend.native_eval()  # every benchmark of the space
        chosen = backend.native_eval(_ids("How many orders are there?", "How many paid orders are there?"))
        with pytest.raises(DatabricksBackendError, match="HTTP_400.*do not exist") as unknown:
            backend.native_eval(["0" * 32])
        listed = backend.client.genie.genie_list_eval_runs(SPACE_ID)
    assert run.status == "DONE" and run.num_questions == len(BENCHMARKS)
    assessments = {r.question: r.assessment for r in run.results}
    assert assessments == {text: grade for text, _, grade in BENCHMARKS}
    by_question = {r.question: r for r in run.results}
    paid = by_question["How many paid orders are there?"]
    assert (paid.verdict.value, paid.assessment_reasons, paid.reason.value) == ("fail", ["SINGLE_CELL_DIFFERENCE"], "value_difference")
    assert by_question["Who won the football world cup in 1954?"].reason.value == "no_sql"
    assert by_question["What is the average discount per status?"].assessment_reasons == ["RESULT_EXTRA_COLUMNS"]
    assert run.num_correct == 2 and run.score == 2 / 5
    assert [r.question for r in chosen.results] == ["How many orders are there?", "How many paid orders are there?"]
    assert not unknown.value.retryable
    assert {r.eval_run_id for r in listed.eval_runs} == {run.eval_run_id, chosen.eval_run_id}
    polls = native_emulator.requests("get-eval-run")
    assert len(polls) >= 4 and all(p.status == 200 for p in polls)  # RUNNING, then DONE, for each run


def _score(emulator: Emulator, space: Path, *extra: str):
    args = ["score", "--backend", "databricks", "--space-id", SPACE_ID, "--warehouse-id", emulator.warehouse_id,
            "--benchmarks", str(space), "--holdout", "0", "--poll-interval", "0.001", "--rate-per-minute", "100000",
            "--native-eval", *extra]
    return CliRunner().invoke(app, args, env={"DATABRICKS_HOST": emulator.host, "DATABRICKS_TOKEN": TOKEN})


def test_score_native_eval_shows_both_verdicts_and_their_agreement(native_emulator: Emulator, native_space: Path) -> None:
    result = _score(native_emulator, native_space, "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    native = data["native_eval"]
    ours = {q["id"]: q["verdict"] for q in data["questions"]}
    assert len(ours) == 5  # the unanswered benchmark cannot be scored by execution
    rows = {row["question"]: row for row in native["questions"]}
    assert set(rows) == {text for text, sql, _ in BENCHMARKS if sql}
    assert all(rows[q["question"]]["verdict"] == q["verdict"] for q in data["questions"])
    assert (native["compared"], native["agreement"], native["status"]) == (5, 5, "DONE")
    assert native["native_score"] == data["score"]["all"] == 2 / 5


def test_score_native_eval_counts_disagreements(native_emulator: Emulator, native_space: Path) -> None:
    # allowing extra columns, we pass the per-status answer that Genie's grader (stricter) marks BAD
    result = _score(native_emulator, native_space, "--extra-columns", "allow", "--json")
    assert result.exit_code == 0, result.stderr
    native = json.loads(result.stdout)["native_eval"]
    assert (native["compared"], native["agreement"]) == (5, 4)
    [differs] = [row for row in native["questions"] if row["agree"] is False]
    assert differs["question"] == "What is the average discount per status?"
    assert (differs["verdict"], differs["native_verdict"], differs["native_reasons"]) == ("pass", "fail", ["RESULT_EXTRA_COLUMNS"])
    shown = _score(native_emulator, native_space, "--extra-columns", "allow")
    assert shown.exit_code == 0, shown.stderr
    assert "Genie's own evaluation" in shown.stdout and "agreement 4 of 5 questions graded by both" in shown.stdout


def test_native_eval_needs_the_spaces_own_benchmarks(native_emulator: Emulator, tmp_path: Path) -> None:
    other = tmp_path / "other.md"
    other.write_text(f"## Orders\n**Question:** How many orders are there?\n\n```sql\nSELECT COUNT(*) FROM {ORDERS}\n```\n",
                     encoding="utf-8")
    result = _score(native_emulator, other)
    assert result.exit_code == 2 and "benchmarks.questions" in result.stderr
    local = CliRunner().invoke(app, ["score", "--benchmarks", str(other), "--native-eval"])
    assert local.exit_code == 2 and "--backend databricks" in local.stderr


def test_run_native_eval_grades_the_final_config(native_emulator: Emulator, native_space: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["run", "--backend", "databricks", "--space-id", SPACE_ID, "--warehouse-id", native_emulator.warehouse_id,
            "--benchmarks", str(native_space), "--holdout", "0", "--max-iterations", "1", "--poll-interval", "0.001",
            "--rate-per-minute", "100000", "--llm", "off", "--native-eval", "--out", str(out), "--json"]
    env = {"DATABRICKS_HOST": native_emulator.host, "DATABRICKS_TOKEN": TOKEN, "DAGSTER_HOME": str(tmp_path / "dagster")}
    result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    native = summary["native_eval"]
    assert native["status"] == "DONE" and native["compared"] == 5
    assert native["agreement"] == native["compared"]  # same config, same comparison semantics
    assert native["same_config"] is True and native["iteration"] == summary["iterations"]
    events = [e for e in TrackingStore(out / "tracking.duckdb").events(summary["campaign"]) if e.kind == "native_eval"]
    assert len(events) == 1 and events[0].data["eval_run_id"] == native["eval_run_id"]


def test_ask_through_the_workspace(native_emulator: Emulator) -> None:
    args = ["ask", "What is the total revenue by city?", "--backend", "databricks", "--space-id", SPACE_ID,
            "--warehouse-id", native_emulator.warehouse_id, "--poll-interval", "0.001"]
    result = CliRunner().invoke(app, args, env={"DATABRICKS_HOST": native_emulator.host, "DATABRICKS_TOKEN": TOKEN})
    assert result.exit_code == 0, result.stderr
    assert "SUM(orders.amount)" in result.stdout and "Incheon" in result.stdout and "4 row(s)" in result.stdout
    denied = CliRunner().invoke(app, args, env={"DATABRICKS_HOST": native_emulator.host, "DATABRICKS_TOKEN": "dapi-nope"})
    assert denied.exit_code == 2 and "authentication failed" in denied.stderr and "dapi-nope" not in denied.stderr
