"""Genie over the Conversation API: one new conversation per question, polled by our own loop.

Why not the SDK waiter (`start_conversation_and_wait`): it polls for 20 minutes, treats CANCELLED and
QUERY_RESULT_EXPIRED as non-terminal (so it spins until the timeout) and raises on FAILED without the error
type. Our loop ends on every terminal status, backs off from `poll_interval_s`, stops at
`per_question_timeout_s`, and maps each outcome onto a `GenieAnswer` the scorer understands:

* COMPLETED (or QUERY_RESULT_EXPIRED: the SQL is still attached; we re-run it on our side anyway): the query
  attachment's SQL, or a text-only answer (`sql=None`).
* FAILED because the *generated SQL* is bad (SQL_EXECUTION_EXCEPTION, …): a COMPLETED answer that keeps the
  SQL (or none) and the error, so scoring judges it as a wrong answer of this space, not as a service failure.
* FAILED for service reasons: RATE_LIMIT_EXCEEDED_* → `RATE_LIMIT_EXCEEDED`, retryable; timeouts → status TIMEOUT,
  retryable; transient processing errors → retryable; anything else → not retryable.
* SDK exceptions (429/503 after the SDK's own retries, connection errors) → FAILED with `HTTP_429`, … .

Questions pass a per-workspace token bucket (default 5 per minute) before every start-conversation.
"""

from __future__ import annotations

import time
from typing import Any

from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import DatabricksError
from databricks.sdk.service.dashboards import (
    GenieMessage,
    GenieStartConversationResponse,
    MessageErrorType,
    MessageStatus,
)

from genie_enhance.backends.databricks.client import workspace_host
from genie_enhance.backends.databricks.errors import classify, describe
from genie_enhance.backends.databricks.ratelimit import DEFAULT_QUESTIONS_PER_MINUTE, workspace_bucket
from genie_enhance.core.protocols import AnswerStatus, GenieAnswer
from genie_enhance.core.ratelimit import TokenBucket

E = MessageErrorType
TERMINAL = frozenset({MessageStatus.COMPLETED, MessageStatus.FAILED, MessageStatus.CANCELLED, MessageStatus.QUERY_RESULT_EXPIRED})
RATE_LIMITS = frozenset({E.RATE_LIMIT_EXCEEDED_GENERIC_EXCEPTION, E.RATE_LIMIT_EXCEEDED_SPECIFIED_WAIT_EXCEPTION})
TIMEOUTS = frozenset({E.REPLY_PROCESS_TIMEOUT_EXCEPTION, E.CHAT_COMPLETION_CLIENT_TIMEOUT_EXCEPTION, E.DESCRIBE_QUERY_TIMEOUT})
TRANSIENT = frozenset({
    E.RETRYABLE_PROCESSING_EXCEPTION,
    E.CHAT_COMPLETION_NETWORK_EXCEPTION,
    E.GENERIC_CHAT_COMPLETION_SERVICE_EXCEPTION,
    E.UNEXPECTED_REPLY_PROCESS_EXCEPTION,
    E.COULD_NOT_GET_MODEL_DEPLOYMENTS_EXCEPTION,
    E.GENERIC_SQL_EXEC_API_CALL_EXCEPTION,
    E.DESCRIBE_QUERY_UNEXPECTED_FAILURE,
    E.INTERNAL_CATALOG_ASSET_CREATION_ONGOING_EXCEPTION,
    E.STOP_PROCESS_DUE_TO_AUTO_REGENERATE,
})
# Genie answered, but with SQL that is wrong: the space's fault, scored as a wrong answer.
BAD_SQL = frozenset({
    E.SQL_EXECUTION_EXCEPTION,
    E.INVALID_SQL_UNKNOWN_TABLE_EXCEPTION,
    E.INVALID_SQL_MULTIPLE_STATEMENTS_EXCEPTION,
    E.INVALID_SQL_MULTIPLE_DATASET_REFERENCES_EXCEPTION,
    E.MISSING_SQL_QUERY_EXCEPTION,
    E.GENERATED_SQL_QUERY_TOO_LONG_EXCEPTION,
    E.DESCRIBE_QUERY_INVALID_SQL_ERROR,
})
SDK_ERRORS = (DatabricksError, TimeoutError, OSError)


class DatabricksGenie:
    """`Genie` for one space of a workspace."""

    def __init__(
        self,
        w: WorkspaceClient,
        space_id: str,
        *,
        per_question_timeout_s: float = 120.0,
        poll_interval_s: float = 1.0,
        max_poll_interval_s: float = 10.0,
        max_per_minute: float | None = DEFAULT_QUESTIONS_PER_MINUTE,
        bucket: TokenBucket | None = None,
    ) -> None:
        self.w = w
        self.space_id = space_id
        self.per_question_timeout_s = per_question_timeout_s
        self.poll_interval_s = poll_interval_s
        self.max_poll_interval_s = max(max_poll_interval_s, poll_interval_s)
        if bucket is None and max_per_minute is not None:
            bucket = workspace_bucket(workspace_host(w), max_per_minute)
        self.bucket = bucket

    def ask(self, question: str) -> GenieAnswer:
        waited = self.bucket.acquire() if self.bucket is not None else 0.0
        started = time.monotonic()
        meta: dict = {"throttle_wait_s": round(waited, 3)}
        try:
            answer = self._ask(question, started, meta)
        except SDK_ERRORS as exc:
            error_type, retryable = classify(exc)
            answer = GenieAnswer(question, status=AnswerStatus.FAILED, error=describe(exc), error_type=error_type,
                                 retryable=retryable)
        answer.meta = {**meta, **answer.meta}
        answer.latency_s = time.monotonic() - started
        return answer

    def _ask(self, question: str, started: float, meta: dict) -> GenieAnswer:
        # the SDK's `Wait.response` is untyped; the start call answers with the conversation and its first message
        started_conversation: GenieStartConversationResponse = self.w.genie.start_conversation(
            space_id=self.space_id, content=question).response
        meta.update(conversation_id=started_conversation.conversation_id, message_id=started_conversation.message_id)
        message = started_conversation.message
        deadline = started + self.per_question_timeout_s
        interval = self.poll_interval_s
        while message is None or message.status not in TERMINAL:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                last = message.status.value if message is not None and message.status else "unknown"
                return GenieAnswer(
                    question, status=AnswerStatus.TIMEOUT, error_type="TIMEOUT", retryable=True,
                    error=f"no answer within {self.per_question_timeout_s:g}s (last status {last})",
                )
            time.sleep(min(interval, remaining))
            interval = min(interval * 1.5, self.max_poll_interval_s)
            message = self.w.genie.get_message(
                space_id=self.space_id,
                conversation_id=started_conversation.conversation_id,
                message_id=started_conversation.message_id,
            )
        return answer_from_message(question, message)


def _query_and_text(message: GenieMessage) -> tuple[str | None, str | None, dict]:
    """The generated SQL (first query attachment), the answer text, and attachment ids."""
    sql, texts = None, []
    meta: dict[str, Any] = {}
    for attachment in message.attachments or []:
        query = attachment.query
        if query is not None and query.query and sql is None:
            sql = query.query
            meta.update(attachment_id=attachment.attachment_id, statement_id=query.statement_id)
            if query.query_result_metadata is not None:
                meta["row_count"] = query.query_result_metadata.row_count
            texts += [t for t in (query.title, query.description) if t]
        if attachment.text is not None and attachment.text.content:
            texts.append(attachment.text.content)
    return sql, ("\n\n".join(texts) or None), meta


def answer_from_message(question: str, message: GenieMessage) -> GenieAnswer:
    """A terminal message as a `GenieAnswer` (see the module docstring for the mapping)."""
    sql, text, meta = _query_and_text(message)
    status = message.status
    meta["genie_status"] = status.value if status else None
    if status in (MessageStatus.COMPLETED, MessageStatus.QUERY_RESULT_EXPIRED):
        return GenieAnswer(question, sql=sql, text=text, meta=meta)
    if status == MessageStatus.CANCELLED:
        return GenieAnswer(question, text=text, status=AnswerStatus.CANCELLED, error="the message was cancelled",
                           error_type="CANCELLED", retryable=True, meta=meta)
    error = message.error
    kind = error.type if error is not None else None
    detail = (error.error if error is not None else None) or "Genie reported FAILED without an error message"
    name = kind.value if kind is not None else "UNKNOWN"
    if kind in BAD_SQL:
        return GenieAnswer(question, sql=sql, text=text, error=detail, error_type=name, meta=meta)
    if kind in RATE_LIMITS:
        meta["genie_error_type"] = name
        return GenieAnswer(question, text=text, status=AnswerStatus.FAILED, error=detail,
                           error_type="RATE_LIMIT_EXCEEDED", retryable=True, meta=meta)
    if kind in TIMEOUTS:
        return GenieAnswer(question, text=text, status=AnswerStatus.TIMEOUT, error=detail, error_type=name,
                           retryable=True, meta=meta)
    return GenieAnswer(question, sql=sql, text=text, status=AnswerStatus.FAILED, error=detail, error_type=name,
                       retryable=kind in TRANSIENT, meta=meta)
