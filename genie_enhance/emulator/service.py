"""The emulated workspace: Genie spaces, the Conversation API (answered by the offline Genie) and the Statement
Execution API (run on the DuckDB file), with the fault decisions of `faults.py` applied by the routes.

A question is answered when it is posted (so a later space edit does not change it), from the config in effect:
with `propagation_s`, the one before the last update until that long after it. Its outcome is revealed
one status per poll: SUBMITTED → FETCHING_METADATA → ASKING_AI → EXECUTING_QUERY → COMPLETED/FAILED. Generated
SQL is executed like Genie does; if it fails, the message ends FAILED with SQL_EXECUTION_EXCEPTION and keeps the
query attachment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from genie_enhance.backends.local.offline_genie import OfflineGenie
from genie_enhance.core.protocols import AnswerStatus
from genie_enhance.emulator.errors import ApiError, bad_request, invalid_state, not_found
from genie_enhance.emulator.evals import EvalRuns
from genie_enhance.emulator.faults import Faults
from genie_enhance.emulator.spaces import accept_space, concurrent_edit
from genie_enhance.emulator.state import EmulatorState, MessageRecord, SpaceRecord, new_id, now_ms
from genie_enhance.emulator.statements import EmulatorWarehouse, StatementRecord
from genie_enhance.errors import SqlExecutionError
from genie_enhance.space.io import space_to_json
from genie_enhance.space.model import SerializedSpace

_WAIT_TIMEOUT = re.compile(r"^(0|[5-9]|[1-4][0-9]|50)s$")
_SPACE_FIELDS = ("title", "description", "warehouse_id", "parent_path")


@dataclass
class EmulatorOptions:
    """Service behaviour that is not a fault: result chunking, Genie's inline cap, strictness, slow statements."""

    chunk_rows: int = 1000
    genie_result_rows: int = 5000
    strict_sorting: bool = True
    statement_pending_polls: int = 0  # polls a statement reports RUNNING before its result (≥ 1 for wait "0s")
    serving_upstream: str | None = None  # OpenAI-compatible base URL behind /serving-endpoints (see serving.py)
    propagation_s: float = 0.0  # Genie answers from the previous config until this long after an update

    def __post_init__(self) -> None:
        if self.chunk_rows < 1 or self.genie_result_rows < 1 or self.statement_pending_polls < 0:
            raise ValueError("chunk_rows and genie_result_rows must be >= 1, statement_pending_polls >= 0")
        if self.propagation_s < 0:
            raise ValueError(f"propagation_s must be >= 0, got {self.propagation_s}")


class EmulatedWorkspace:
    """Everything behind the routes; thread-safe through `state.lock`."""

    def __init__(self, warehouse: EmulatorWarehouse, warehouse_id: str, faults: Faults, options: EmulatorOptions) -> None:
        self.warehouse = warehouse
        self.warehouse_id = warehouse_id
        self.faults = faults
        self.options = options
        self.state = EmulatorState()
        self.workspace_id = "1000000000000001"
        self._genies: dict[str, OfflineGenie] = {}
        self.evals = EvalRuns(lambda space_id: self.space(space_id).answering(), self._genie, warehouse)

    # ------------------------------------------------------------------------------------------ spaces
    def add_space(self, space: SerializedSpace | str, *, space_id: str | None = None,
                  title: str = "Emulated space") -> SpaceRecord:
        serialized, model = accept_space(
            space if isinstance(space, str) else space_to_json(space), strict_sorting=self.options.strict_sorting
        )
        record = SpaceRecord(space_id or new_id(), title, self.warehouse_id, serialized, model)
        record.stored(serialized, model)
        with self.state.lock:
            self.state.spaces[record.space_id] = record
        return record

    def space(self, space_id: str) -> SpaceRecord:
        with self.state.lock:
            record = self.state.spaces.get(space_id)
        if record is None:
            raise not_found(f"Genie space {space_id} does not exist")
        return record

    def get_space(self, space_id: str, include_serialized_space: bool) -> dict[str, Any]:
        with self.state.lock:
            payload = self.space(space_id).to_api(include_serialized_space=include_serialized_space)
            if include_serialized_space and self.faults.take_concurrent_edit():
                self.edit_behind_the_back(space_id)
        return payload

    def edit_behind_the_back(self, space_id: str) -> SpaceRecord:
        """Another user's edit: the space changes and gets a new etag."""
        with self.state.lock:
            record = self.space(space_id)
            edited = concurrent_edit(record.space, f"{space_id}:{record.writes}")
            record.stored(space_to_json(edited, indent=None), edited, propagation_s=self.options.propagation_s)
            return record

    def update_space(self, space_id: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.state.lock:
            record = self.space(space_id)
            etag = body.get("etag")
            if etag is not None and etag != record.etag:
                raise ApiError(409, "ABORTED", f"Genie space {space_id} was modified since etag {etag} was read; "
                               "read it again and retry")
            stored = None
            if body.get("serialized_space") is not None:
                stored = accept_space(body["serialized_space"], strict_sorting=self.options.strict_sorting)
            for name in _SPACE_FIELDS:
                if body.get(name) is not None and not isinstance(body[name], str):
                    raise bad_request(f"{name} must be a string")
            for name in _SPACE_FIELDS:
                if body.get(name) is not None:
                    setattr(record, name, body[name])
            record.stored(*(stored or (record.serialized_space, record.space)), propagation_s=self.options.propagation_s)
            return record.to_api(include_serialized_space=True)

    def _genie(self, space_id: str) -> OfflineGenie:
        with self.state.lock:
            genie = self._genies.get(space_id)
            if genie is None:
                genie = self._genies[space_id] = OfflineGenie(lambda: self.space(space_id).answering(), self.warehouse)
            return genie

    # ------------------------------------------------------------------------------------------ conversations
    def start_conversation(self, space_id: str, content: Any, failure: str | None) -> dict[str, Any]:
        self.space(space_id)
        conversation_id = new_id()
        message = self._new_message(space_id, conversation_id, content, failure)
        with self.state.lock:
            self.state.conversations[conversation_id] = space_id
        conversation = {
            "id": conversation_id, "conversation_id": conversation_id, "space_id": space_id,
            "title": message.content, "created_timestamp": message.created_ms, "last_updated_timestamp": message.created_ms,
        }
        return {"conversation_id": conversation_id, "message_id": message.message_id,
                "conversation": conversation, "message": message.to_api()}

    def create_message(self, space_id: str, conversation_id: str, content: Any, failure: str | None) -> dict[str, Any]:
        self._conversation(space_id, conversation_id)
        return self._new_message(space_id, conversation_id, content, failure).to_api()

    def _conversation(self, space_id: str, conversation_id: str) -> None:
        self.space(space_id)
        with self.state.lock:
            owner = self.state.conversations.get(conversation_id)
        if owner != space_id:
            raise not_found(f"conversation {conversation_id} does not exist in space {space_id}")

    def _new_message(self, space_id: str, conversation_id: str, content: Any, failure: str | None) -> MessageRecord:
        if not isinstance(content, str) or not content.strip():
            raise bad_request("content must be a non-empty string")
        message = MessageRecord(space_id, conversation_id, new_id(), content, final_status="COMPLETED")
        failure = self.faults.question_failure(content) or failure  # a persistent failure wins over a random one
        if failure is not None:
            message.final_status = "FAILED"
            message.error = {"error": f"{failure} (injected fault)", "type": failure}
        else:
            self._answer(message)
        with self.state.lock:
            self.state.messages[message.message_id] = message
        return message

    def _answer(self, message: MessageRecord) -> None:
        answer = self._genie(message.space_id).ask(message.content)
        message.text = answer.text
        if answer.status is not AnswerStatus.COMPLETED:
            message.final_status = "FAILED"
            kind = "RETRYABLE_PROCESSING_EXCEPTION" if answer.retryable else "UNEXPECTED_REPLY_PROCESS_EXCEPTION"
            message.error = {"error": answer.error or "the question could not be answered", "type": kind}
            return
        if answer.sql is None:
            return
        message.sql = answer.sql
        record = self._run(answer.sql, self.options.genie_result_rows, pending_polls=0)
        message.statement_id = record.statement_id
        if record.state != "SUCCEEDED":
            message.final_status = "FAILED"
            message.error = {"error": (record.error or {}).get("message", "query failed"), "type": "SQL_EXECUTION_EXCEPTION"}
            return
        message.row_count, message.truncated = record.total_rows, record.truncated
        if self.faults.expire():
            message.final_status = "QUERY_RESULT_EXPIRED"

    def message(self, space_id: str, conversation_id: str, message_id: str, *, poll: bool = False) -> MessageRecord:
        self._conversation(space_id, conversation_id)
        with self.state.lock:
            message = self.state.messages.get(message_id)
            if message is None or message.conversation_id != conversation_id:
                raise not_found(f"message {message_id} does not exist in conversation {conversation_id}")
            if poll:
                message.poll()
            return message

    def get_message(self, space_id: str, conversation_id: str, message_id: str) -> dict[str, Any]:
        with self.state.lock:
            return self.message(space_id, conversation_id, message_id, poll=True).to_api()

    def query_result(self, space_id: str, conversation_id: str, message_id: str, attachment_id: str) -> dict[str, Any]:
        message = self._query_message(space_id, conversation_id, message_id, attachment_id)
        status = message.status()
        if status == "QUERY_RESULT_EXPIRED":
            raise invalid_state(f"the query result of message {message_id} expired; run it again with execute-query")
        if status not in ("EXECUTING_QUERY", "COMPLETED", "FAILED"):
            raise invalid_state(f"message {message_id} is {status}; its query result is not available yet")
        record = self.state.statement(message.statement_id or "")
        if record is None:
            raise not_found(f"the query result of message {message_id} is no longer available")
        return {"statement_response": record.response()}

    def execute_query(self, space_id: str, conversation_id: str, message_id: str, attachment_id: str) -> dict[str, Any]:
        """Re-run an attachment's query (the way out of QUERY_RESULT_EXPIRED)."""
        message = self._query_message(space_id, conversation_id, message_id, attachment_id)
        record = self._run(message.sql or "", self.options.genie_result_rows, pending_polls=0)
        with self.state.lock:
            message.statement_id = record.statement_id
            if message.final_status == "QUERY_RESULT_EXPIRED":
                message.final_status, message.updated_ms = "COMPLETED", now_ms()
        return {"statement_response": record.response()}

    def _query_message(self, space_id: str, conversation_id: str, message_id: str, attachment_id: str) -> MessageRecord:
        message = self.message(space_id, conversation_id, message_id)
        if message.sql is None or attachment_id != message.attachment_id:
            raise not_found(f"message {message_id} has no query attachment {attachment_id}")
        return message

    # ------------------------------------------------------------------------------------------ statements
    def execute_statement(self, body: dict[str, Any]) -> dict[str, Any]:
        statement = body.get("statement")
        if not isinstance(statement, str) or not statement.strip():
            raise bad_request("statement must be a non-empty string")
        if body.get("warehouse_id") != self.warehouse_id:
            raise not_found(f"SQL warehouse {body.get('warehouse_id')!r} does not exist")
        wait = body.get("wait_timeout", "10s")
        if not isinstance(wait, str) or not _WAIT_TIMEOUT.match(wait):
            raise bad_request(f"wait_timeout must be '0s' or between '5s' and '50s', got {wait!r}")
        if body.get("disposition", "INLINE") != "INLINE" or body.get("format", "JSON_ARRAY") != "JSON_ARRAY":
            raise bad_request("this emulator supports disposition INLINE with format JSON_ARRAY only")
        if body.get("parameters"):
            raise bad_request("this emulator does not support statement parameters")
        row_limit = body.get("row_limit")
        if row_limit is not None and (not isinstance(row_limit, int) or isinstance(row_limit, bool) or row_limit < 1):
            raise bad_request(f"row_limit must be a positive integer, got {row_limit!r}")
        pending = max(self.options.statement_pending_polls, 1 if wait == "0s" else 0)
        record = self._run(statement, row_limit, pending_polls=pending)
        if pending:
            return {"statement_id": record.statement_id, "status": {"state": "PENDING"}}
        return record.response()

    def _run(self, sql: str, limit: int | None, *, pending_polls: int) -> StatementRecord:
        statement_id = new_id()
        try:
            record = StatementRecord.succeeded(statement_id, self.warehouse.run(sql, limit), self.options.chunk_rows)
        except SqlExecutionError as exc:
            record = StatementRecord.failed(statement_id, exc)
        record.pending_polls = pending_polls
        with self.state.lock:
            self.state.statements[statement_id] = record
        return record

    def _statement(self, statement_id: str) -> StatementRecord:
        record = self.state.statement(statement_id)
        if record is None:
            raise not_found(f"statement {statement_id} does not exist")
        return record

    def get_statement(self, statement_id: str) -> dict[str, Any]:
        with self.state.lock:
            record = self._statement(statement_id)
            if record.pending_polls > 0:
                record.pending_polls -= 1
                return {"statement_id": statement_id, "status": {"state": "RUNNING"}}
            return record.response()

    def chunk(self, statement_id: str, index: int) -> dict[str, Any]:
        with self.state.lock:
            record = self._statement(statement_id)
            if record.pending_polls > 0 or record.state != "SUCCEEDED":
                raise invalid_state(f"statement {statement_id} has no result (state {record.status()['state']})")
            if not 0 <= index < len(record.chunks):
                raise bad_request(f"chunk index {index} is out of range (statement has {len(record.chunks)} chunks)")
            return record.chunk(index)

    def cancel(self, statement_id: str) -> dict[str, Any]:
        with self.state.lock:
            record = self._statement(statement_id)
            if record.pending_polls > 0:
                record.pending_polls, record.state, record.chunks, record.columns = 0, "CANCELED", [], []
        return {}
