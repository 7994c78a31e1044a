"""The Databricks API emulator on its own: the REST shapes and errors the SDK maps, the message status
progression, statements in chunks, bearer-token auth, and seeded fault injection."""

from __future__ import annotations

import json
import time

import pytest
import requests
from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import Aborted, InvalidParameterValue, NotFound
from databricks.sdk.service.dashboards import MessageStatus
from databricks.sdk.service.sql import StatementState

from genie_enhance.emulator import Emulator, EmulatorOptions, FaultOptions
from genie_enhance.space.io import parse_space
from genie_enhance_tests.support.emulator import ORDERS, SPACE_ID, TOKEN, client_for, emulator_space

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def post_question(emulator: Emulator, content: str = "How many orders are there?") -> requests.Response:
    return requests.post(f"{emulator.host}/api/2.0/genie/spaces/{SPACE_ID}/start-conversation",
                         json={"content": content}, headers=AUTH, timeout=10)


def test_message_moves_through_the_genie_statuses(sdk_client: WorkspaceClient) -> None:
    started = sdk_client.genie.start_conversation(SPACE_ID, "What is the total revenue by city?").response
    assert started.message.status == MessageStatus.SUBMITTED
    seen = [sdk_client.genie.get_message(SPACE_ID, started.conversation_id, started.message_id) for _ in range(5)]
    assert [m.status.value for m in seen] == ["FETCHING_METADATA", "ASKING_AI", "EXECUTING_QUERY", "COMPLETED", "COMPLETED"]
    assert not seen[1].attachments and seen[2].attachments[0].query.query.startswith("SELECT")
    attachment = seen[3].attachments[0]
    result = sdk_client.genie.get_message_attachment_query_result(
        SPACE_ID, started.conversation_id, started.message_id, attachment.attachment_id
    ).statement_response
    assert result.status.state == StatementState.SUCCEEDED
    assert [c.name for c in result.manifest.schema.columns] == ["city", "total_amount"]
    assert all(isinstance(cell, str) for row in result.result.data_array for cell in row)
    assert attachment.query.query_result_metadata.row_count == len(result.result.data_array) == 4


def test_follow_up_message_in_a_conversation(sdk_client: WorkspaceClient) -> None:
    started = sdk_client.genie.start_conversation(SPACE_ID, "How many orders are there?").response
    follow = sdk_client.genie.create_message(SPACE_ID, started.conversation_id, "How many customers are there?").response
    assert follow.conversation_id == started.conversation_id and follow.status == MessageStatus.SUBMITTED
    with pytest.raises(NotFound):
        sdk_client.genie.create_message(SPACE_ID, "f" * 32, "How many customers are there?")


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nope"}, {"Authorization": TOKEN}])
def test_requests_without_the_bearer_token_are_unauthenticated(emulator: Emulator, headers: dict) -> None:
    response = requests.get(f"{emulator.host}/api/2.0/genie/spaces/{SPACE_ID}", headers=headers, timeout=10)
    assert response.status_code == 401 and response.json()["error_code"] == "UNAUTHENTICATED"
    assert TOKEN not in response.text


def test_space_writes_change_the_etag_and_stale_etags_abort(sdk_client: WorkspaceClient) -> None:
    space = sdk_client.genie.get_space(SPACE_ID, include_serialized_space=True)
    same = sdk_client.genie.update_space(SPACE_ID, serialized_space=space.serialized_space, etag=space.etag)
    assert same.etag != space.etag and same.serialized_space == space.serialized_space  # every write, new etag
    with pytest.raises(Aborted):
        sdk_client.genie.update_space(SPACE_ID, serialized_space=space.serialized_space, etag=space.etag)
    assert sdk_client.genie.get_space(SPACE_ID).etag == same.etag
    assert sdk_client.genie.get_space(SPACE_ID).serialized_space is None  # only when asked for


def test_invalid_or_unsorted_space_is_rejected_with_its_problems(sdk_client: WorkspaceClient) -> None:
    doc = emulator_space()
    doc["data_sources"]["tables"].reverse()
    doc["instructions"]["join_specs"][0]["sql"] = ["`orders`.`customer_id` = `customers`.`customer_id`"]
    with pytest.raises(InvalidParameterValue) as caught:
        sdk_client.genie.update_space(SPACE_ID, serialized_space=json.dumps(doc))
    message = str(caught.value)
    assert "data_sources.tables" in message and "instructions.join_specs[0]" in message
    with pytest.raises(InvalidParameterValue, match="invalid JSON"):
        sdk_client.genie.update_space(SPACE_ID, serialized_space="{not json")


def test_unsorted_space_is_normalized_when_not_strict(make_emulator) -> None:
    emulator = make_emulator(options=EmulatorOptions(strict_sorting=False))
    doc = emulator_space()
    doc["data_sources"]["tables"].reverse()
    stored = client_for(emulator).genie.update_space(SPACE_ID, serialized_space=json.dumps(doc))
    assert [t.identifier for t in parse_space(stored.serialized_space).data_sources.tables] == [
        "emu.sales.customers", ORDERS]


def test_statements_are_chunked_and_failures_are_http_200(make_emulator) -> None:
    emulator = make_emulator(options=EmulatorOptions(chunk_rows=1000))
    w = client_for(emulator)
    response = w.statement_execution.execute_statement(statement=f"SELECT order_id FROM {ORDERS} ORDER BY 1",
                                                       warehouse_id=emulator.warehouse_id, wait_timeout="10s")
    manifest = response.manifest
    assert (manifest.total_row_count, manifest.total_chunk_count) == (2500, 3)
    assert [c.row_offset for c in manifest.chunks] == [0, 1000, 2000]
    assert response.result.next_chunk_index == 1 and response.result.data_array[0] == ["1"]
    last = w.statement_execution.get_statement_result_chunk_n(response.statement_id, 2)
    assert last.row_count == 500 and last.next_chunk_index is None and last.data_array[-1] == ["2500"]
    failed = w.statement_execution.execute_statement(statement="SELECT nope FROM emu.sales.orders",
                                                     warehouse_id=emulator.warehouse_id)
    assert failed.status.state == StatementState.FAILED and "nope" in failed.status.error.message
    with pytest.raises(NotFound):
        w.statement_execution.execute_statement(statement="SELECT 1", warehouse_id="unknown")
    with pytest.raises(InvalidParameterValue, match="wait_timeout"):
        w.statement_execution.execute_statement(statement="SELECT 1", warehouse_id=emulator.warehouse_id, wait_timeout="3s")


def test_rate_limit_answers_429_with_retry_after(make_emulator) -> None:
    emulator = make_emulator(faults=FaultOptions(rate_limit_per_minute=2))
    statuses = [post_question(emulator) for _ in range(3)]
    assert [r.status_code for r in statuses] == [200, 200, 429]
    assert 1 <= int(statuses[2].headers["Retry-After"]) <= 60
    assert statuses[2].json()["error_code"] == "RESOURCE_EXHAUSTED"  # the SDK raises ResourceExhausted (a 429)
    assert len(emulator.workspace.state.messages) == 2  # the refused question was not asked


def outcomes(emulator: Emulator, n: int) -> list[str]:
    """What each of `n` raw question POSTs turned into: an HTTP status, or the message's final state."""
    found = []
    for _ in range(n):
        response = post_question(emulator)
        if response.status_code != 200:
            found.append(f"http_{response.status_code}")
            continue
        ids = response.json()
        message = emulator.workspace.message(SPACE_ID, ids["conversation_id"], ids["message_id"])
        found.append(message.error["type"] if message.error else message.final_status)
    return found


def test_fail_rate_injects_seeded_http_and_message_failures(make_emulator) -> None:
    first = outcomes(make_emulator(faults=FaultOptions(fail_rate=1.0, seed=7)), 12)
    again = outcomes(make_emulator(faults=FaultOptions(fail_rate=1.0, seed=7)), 12)
    assert first == again  # seeded
    assert {"http_503", "http_429"} <= set(first)
    assert any(o.startswith(("RATE_LIMIT_EXCEEDED", "RETRYABLE", "REPLY_PROCESS")) for o in first)
    assert "COMPLETED" not in first
    assert outcomes(make_emulator(faults=FaultOptions(fail_rate=0.0)), 3) == ["COMPLETED"] * 3


def test_latency_and_expiry_options(make_emulator) -> None:
    emulator = make_emulator(faults=FaultOptions(latency_ms=150, expire_rate=1.0))
    started = time.monotonic()
    assert outcomes(emulator, 1) == ["QUERY_RESULT_EXPIRED"]
    assert time.monotonic() - started >= 0.15


def test_admin_endpoints_script_faults_and_edit_spaces(emulator: Emulator, sdk_client: WorkspaceClient) -> None:
    script = {"concurrent_edit": 1, "http": [{"route": "get-message", "status": 503, "times": 1}]}
    requests.post(f"{emulator.host}/emulator/faults", json=script, headers=AUTH, timeout=10).raise_for_status()
    exported = sdk_client.genie.get_space(SPACE_ID, include_serialized_space=True)
    assert sdk_client.genie.get_space(SPACE_ID).etag != exported.etag  # someone edited it right after the export
    ids = post_question(emulator).json()
    message_url = (f"{emulator.host}/api/2.0/genie/spaces/{SPACE_ID}/conversations/{ids['conversation_id']}"
                   f"/messages/{ids['message_id']}")
    assert [requests.get(message_url, headers=AUTH, timeout=10).status_code for _ in range(2)] == [503, 200]
    edited = requests.post(f"{emulator.host}/emulator/spaces/{SPACE_ID}/edit", headers=AUTH, timeout=10).json()
    assert edited["etag"] == emulator.workspace.space(SPACE_ID).etag
    log = requests.get(f"{emulator.host}/emulator/requests", headers=AUTH, timeout=10).json()["requests"]
    routes = [r["route"] for r in log]
    assert routes[:1] == ["host-metadata"] and routes[-1] == "emulator-edit-space" and "emulator-faults" in routes
    bad = requests.post(f"{emulator.host}/emulator/faults", json={"http": [{"status": 503}]}, headers=AUTH, timeout=10)
    assert bad.status_code == 400 and "route" in bad.json()["message"]
