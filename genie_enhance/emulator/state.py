"""What the emulator remembers: spaces (with etags), conversations and their messages, executed statements, and
a log of every request (method, path, query, JSON body and status; never headers, so never the token).

Records are plain dataclasses rendered to the REST shapes of `databricks-sdk` (`GenieSpace`, `GenieMessage`,
`StatementResponse`). All mutation happens under `EmulatorState.lock`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
import time
import uuid
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Any

from genie_enhance.emulator.statements import StatementRecord
from genie_enhance.space.model import SerializedSpace

# A message's visible status moves one step per poll (GET) until its final status.
PROGRESSION = ("SUBMITTED", "FETCHING_METADATA", "ASKING_AI", "EXECUTING_QUERY")
MAX_KEPT = 5000  # statements and messages kept; older ones answer 404 as expired ones do on the service


def now_ms() -> int:
    return int(time.time() * 1000)


def rfc3339(when: dt.datetime | None = None) -> str:
    when = when or dt.datetime.now(dt.UTC)
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def new_id() -> str:
    return uuid.uuid4().hex


@dataclass
class SpaceRecord:
    space_id: str
    title: str
    warehouse_id: str
    serialized_space: str
    space: SerializedSpace
    description: str | None = None
    parent_path: str | None = None
    etag: str = ""
    writes: int = 0
    create_time: str = field(default_factory=rfc3339)
    update_time: str = field(default_factory=rfc3339)
    previous: SerializedSpace | None = None  # what Genie answers from until `settles_at` (propagation)
    settles_at: float = 0.0  # monotonic seconds

    def stored(self, serialized: str, space: SerializedSpace, *, propagation_s: float = 0.0) -> None:
        """Record a write: new content, new etag (even when the content did not change), new update time. With
        `propagation_s`, Genie keeps answering from the config it answered from until that long after."""
        if propagation_s > 0 and self.writes > 0:
            self.previous, self.settles_at = self.answering(), time.monotonic() + propagation_s
        self.serialized_space, self.space = serialized, space
        self.writes += 1
        self.etag = hashlib.sha256(f"{self.space_id}:{self.writes}:{serialized}".encode()).hexdigest()[:32]
        self.update_time = rfc3339()

    def answering(self) -> SerializedSpace:
        """The config Genie answers from now: the stored one once the last write has propagated."""
        if self.previous is not None and time.monotonic() < self.settles_at:
            return self.previous
        return self.space

    def to_api(self, *, include_serialized_space: bool) -> dict[str, Any]:
        out: dict[str, Any] = {
            "space_id": self.space_id,
            "title": self.title,
            "warehouse_id": self.warehouse_id,
            "etag": self.etag,
            "create_time": self.create_time,
            "update_time": self.update_time,
        }
        if self.description is not None:
            out["description"] = self.description
        if self.parent_path is not None:
            out["parent_path"] = self.parent_path
        if include_serialized_space:
            out["serialized_space"] = self.serialized_space
        return out


@dataclass
class MessageRecord:
    """One question and its (precomputed) outcome, revealed step by step as the client polls."""

    space_id: str
    conversation_id: str
    message_id: str
    content: str
    final_status: str
    sql: str | None = None
    text: str | None = None
    error: dict[str, str] | None = None
    statement_id: str | None = None
    row_count: int | None = None
    truncated: bool = False
    attachment_id: str = field(default_factory=new_id)
    created_ms: int = field(default_factory=now_ms)
    updated_ms: int = field(default_factory=now_ms)
    polls: int = 0

    @property
    def steps(self) -> tuple[str, ...]:
        through = PROGRESSION if self.sql is not None else PROGRESSION[:3]
        return (*through, self.final_status)

    def status(self) -> str:
        return self.steps[min(self.polls, len(self.steps) - 1)]

    def poll(self) -> None:
        if self.polls < len(self.steps) - 1:
            self.polls += 1
            self.updated_ms = now_ms()

    def to_api(self) -> dict[str, Any]:
        status = self.status()
        out: dict[str, Any] = {
            "id": self.message_id,
            "message_id": self.message_id,
            "conversation_id": self.conversation_id,
            "space_id": self.space_id,
            "content": self.content,
            "status": status,
            "created_timestamp": self.created_ms,
            "last_updated_timestamp": self.updated_ms,
        }
        attachments = []
        if self.sql is not None and status not in PROGRESSION[:3]:
            query: dict[str, Any] = {
                "id": self.attachment_id,
                "query": self.sql,
                "last_updated_timestamp": self.updated_ms,
            }
            if self.text:
                query["description"] = self.text
            if self.statement_id:
                query["statement_id"] = self.statement_id
                query["query_result_metadata"] = {"row_count": self.row_count, "is_truncated": self.truncated}
            attachments.append({"attachment_id": self.attachment_id, "query": query})
        if self.sql is None and self.text and status == self.final_status and status != "FAILED":
            attachments.append({
                "attachment_id": self.attachment_id,
                "text": {"id": self.attachment_id, "content": self.text, "purpose": "TEXT_ATTACHMENT_PURPOSE_ANSWER"},
            })
        if attachments:
            out["attachments"] = attachments
        if status == "FAILED" and self.error:
            out["error"] = self.error
        return out


@dataclass(frozen=True)
class RequestRecord:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    status: int
    route: str | None
    at: float = field(default_factory=time.monotonic)  # when it was answered (monotonic seconds)


class Bounded(OrderedDict):
    """An insertion-ordered dict that forgets its oldest entries beyond `MAX_KEPT`."""

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(key, value)
        while len(self) > MAX_KEPT:
            self.popitem(last=False)


class EmulatorState:
    """Spaces, conversations (conversation id → space id), messages, statements and the request log."""

    def __init__(self, request_log_size: int = 10_000) -> None:
        self.lock = threading.RLock()
        self.spaces: dict[str, SpaceRecord] = {}
        self.conversations: Bounded = Bounded()
        self.messages: Bounded = Bounded()
        self.statements: Bounded = Bounded()
        self.requests: deque[RequestRecord] = deque(maxlen=request_log_size)

    def log(self, record: RequestRecord) -> None:
        with self.lock:
            self.requests.append(record)

    def request_log(self) -> list[RequestRecord]:
        with self.lock:
            return list(self.requests)

    def statement(self, statement_id: str) -> StatementRecord | None:
        with self.lock:
            return self.statements.get(statement_id)
