"""`DatabricksGenie` through the real `databricks-sdk` against the emulator: answers with SQL or text only, the
mapping of FAILED messages and HTTP failures onto retryable answers, the SDK's retries within the lowered budget,
the question token bucket, and parity with the offline Genie it stands in front of."""

from __future__ import annotations

import time

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.service.dashboards import GenieMessage

from genie_enhance.backends.databricks import DatabricksGenie, DatabricksSpaceStore
from genie_enhance.backends.databricks.genie import answer_from_message
from genie_enhance.backends.local.offline_genie import OfflineGenie
from genie_enhance.backends.local.warehouse import DuckDBWarehouse
from genie_enhance.core.protocols import AnswerStatus
from genie_enhance.emulator import Emulator
from genie_enhance.space.ids import stable_id
from genie_enhance.space.io import parse_space
from genie_enhance.space.model import ExampleQuestionSql
from genie_enhance_tests.support.emulator import QUESTIONS, SPACE_ID, client_for, emulator_space


def genie(w: WorkspaceClient, **kwargs) -> DatabricksGenie:
    kwargs.setdefault("max_per_minute", None)
    kwargs.setdefault("poll_interval_s", 0.01)
    return DatabricksGenie(w, SPACE_ID, **kwargs)


def test_question_is_answered_with_sql_from_the_query_attachment(sdk_client: WorkspaceClient, emulator: Emulator) -> None:
    answer = genie(sdk_client).ask("What is the total revenue by city?")
    assert answer.status is AnswerStatus.COMPLETED and not answer.retryable
    assert "GROUP BY customers.city" in answer.sql and "SUM(orders.amount)" in answer.sql
    assert answer.text and answer.latency_s > 0
    assert answer.meta["genie_status"] == "COMPLETED" and answer.meta["row_count"] == 4  # Seoul, Busan, Jeju, Incheon
    # our own polling loop, not the SDK waiter: several GETs of the same message until COMPLETED
    polls = emulator.requests("get-message")
    assert len(polls) == 4 and {p.path.rsplit("/", 1)[-1] for p in polls} == {answer.meta["message_id"]}


def test_text_only_answer_has_no_sql(sdk_client: WorkspaceClient) -> None:
    answer = genie(sdk_client).ask("Who won the football world cup in 1954?")
    assert answer.status is AnswerStatus.COMPLETED
    assert answer.sql is None and answer.text


@pytest.mark.parametrize(
    ("error_type", "status", "mapped", "retryable"),
    [
        ("RATE_LIMIT_EXCEEDED_GENERIC_EXCEPTION", AnswerStatus.FAILED, "RATE_LIMIT_EXCEEDED", True),
        ("RATE_LIMIT_EXCEEDED_SPECIFIED_WAIT_EXCEPTION", AnswerStatus.FAILED, "RATE_LIMIT_EXCEEDED", True),
        ("REPLY_PROCESS_TIMEOUT_EXCEPTION", AnswerStatus.TIMEOUT, "REPLY_PROCESS_TIMEOUT_EXCEPTION", True),
        ("RETRYABLE_PROCESSING_EXCEPTION", AnswerStatus.FAILED, "RETRYABLE_PROCESSING_EXCEPTION", True),
        ("WAREHOUSE_ACCESS_MISSING_EXCEPTION", AnswerStatus.FAILED, "WAREHOUSE_ACCESS_MISSING_EXCEPTION", False),
    ],
)
def test_failed_message_maps_to_status_type_and_retryability(
    sdk_client: WorkspaceClient, emulator: Emulator, error_type: str, status: AnswerStatus, mapped: str, retryable: bool
) -> None:
    emulator.faults.script_message_failure(error_type)
    answer = genie(sdk_client).ask("How many orders are there?")
    assert (answer.status, answer.error_type, answer.retryable) == (status, mapped, retryable)
    assert answer.sql is None and error_type in answer.error
    assert genie(sdk_client).ask("How many orders are there?").status is AnswerStatus.COMPLETED  # only once


def test_failing_generated_sql_is_an_answer_of_the_space_not_a_service_failure(
    sdk_client: WorkspaceClient, emulator: Emulator
) -> None:
    store = DatabricksSpaceStore(sdk_client, SPACE_ID)
    space, etag = store.export()
    question = "Which orders have the best flux capacitor?"
    space.instructions.example_question_sqls = [ExampleQuestionSql(
        id=stable_id("flux"), question=[question], sql=["SELECT order_id, flux_capacitor FROM emu.sales.orders"]
    )]
    store.update(space, etag)
    answer = genie(sdk_client).ask(question)
    assert answer.meta["genie_status"] == "FAILED"
    assert answer.status is AnswerStatus.COMPLETED and answer.error_type == "SQL_EXECUTION_EXCEPTION"
    assert "flux_capacitor" in answer.sql and "flux_capacitor" in answer.error and not answer.retryable


def test_expired_query_result_still_gives_the_sql(sdk_client: WorkspaceClient, emulator: Emulator) -> None:
    emulator.faults.script_expired()
    answer = genie(sdk_client).ask("How many orders are there?")
    assert answer.meta["genie_status"] == "QUERY_RESULT_EXPIRED"
    assert answer.status is AnswerStatus.COMPLETED and "COUNT(*)" in answer.sql


@pytest.mark.parametrize("status", [429, 503])
def test_throttled_post_is_retried_by_the_sdk_after_retry_after(
    sdk_client: WorkspaceClient, emulator: Emulator, status: int
) -> None:
    emulator.faults.script_http("start-conversation", status, retry_after=1)
    started = time.monotonic()
    answer = genie(sdk_client).ask("How many orders are there?")
    assert answer.status is AnswerStatus.COMPLETED and answer.sql
    assert time.monotonic() - started >= 1.0  # slept Retry-After
    assert [r.status for r in emulator.requests("start-conversation")] == [status, 200]


def test_exhausted_retry_budget_is_a_retryable_failed_answer(make_emulator) -> None:
    emulator = make_emulator()
    emulator.faults.script_http("start-conversation", 503, times=50, retry_after=1)
    started = time.monotonic()
    answer = genie(client_for(emulator, retry_timeout_s=2)).ask("How many orders are there?")
    assert time.monotonic() - started < 6  # the lowered budget, not the SDK's default 300 s
    assert (answer.status, answer.error_type, answer.retryable) == (AnswerStatus.FAILED, "HTTP_503", True)
    assert "retry budget exhausted" in answer.error


def test_question_without_terminal_state_in_time_is_a_timeout(sdk_client: WorkspaceClient) -> None:
    answer = genie(sdk_client, per_question_timeout_s=0.0001).ask("How many orders are there?")
    assert (answer.status, answer.error_type, answer.retryable) == (AnswerStatus.TIMEOUT, "TIMEOUT", True)
    assert "SUBMITTED" in answer.error


def test_token_bucket_paces_questions_and_is_shared_per_workspace(sdk_client: WorkspaceClient, emulator: Emulator) -> None:
    first, second = genie(sdk_client, max_per_minute=240), genie(sdk_client, max_per_minute=240)
    assert first.bucket is second.bucket  # one budget per workspace
    started = time.monotonic()
    answers = [first.ask("How many orders are there?"), second.ask("How many customers are there?"), first.ask("What is the total revenue?")]
    assert time.monotonic() - started >= 0.45  # 3 questions at 4 per second with a burst of 1
    assert answers[0].meta["throttle_wait_s"] == 0 and answers[2].meta["throttle_wait_s"] > 0
    assert all(a.status is AnswerStatus.COMPLETED for a in answers)


def test_cancelled_message_is_retryable() -> None:
    message = GenieMessage.from_dict({
        "space_id": SPACE_ID, "conversation_id": "c", "message_id": "m", "content": "q", "status": "CANCELLED",
    })
    answer = answer_from_message("q", message)
    assert (answer.status, answer.error_type, answer.retryable) == (AnswerStatus.CANCELLED, "CANCELLED", True)


def test_every_benchmark_question_gets_the_offline_genies_sql(sdk_client: WorkspaceClient, emulator_files) -> None:
    warehouse = DuckDBWarehouse(emulator_files.warehouse, "emu")
    try:
        offline = OfflineGenie(parse_space(emulator_space()), warehouse)
        remote = genie(sdk_client)
        for question, has_sql in QUESTIONS:
            expected, got = offline.ask(question), remote.ask(question)
            assert got.sql == expected.sql, question
            assert (got.sql is not None) == has_sql, question
    finally:
        warehouse.close()
