"""The REST routes the emulator serves: method + path pattern → a small handler over `EmulatedWorkspace`.

Route names are what fault scripts refer to (`start-conversation`, `execute-statement`, …). Before an API route
runs, the server asks `Faults.before(route)`, which may reject the call (429/503 …) or, for a question POST,
decide that its message will fail; handlers receive that decision as `Call.failure`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from genie_enhance.emulator.errors import bad_request
from genie_enhance.emulator.service import EmulatedWorkspace
from genie_enhance.emulator.serving import chat_completions

SPACE = r"/api/2\.0/genie/spaces/(?P<space_id>[^/]+)"
MESSAGE = SPACE + r"/conversations/(?P<conversation_id>[^/]+)/messages/(?P<message_id>[^/]+)"
ATTACHMENT = MESSAGE + r"/attachments/(?P<attachment_id>[^/]+)"
STATEMENT = r"/api/2\.0/sql/statements/(?P<statement_id>[^/]+)"
EVAL_RUNS = SPACE + "/eval-runs"
EVAL_RUN = EVAL_RUNS + r"/(?P<eval_run_id>[^/]+)"


@dataclass
class Call:
    """One request as handlers see it."""

    params: dict[str, str]
    query: dict[str, str]
    body: dict[str, Any] = field(default_factory=dict)
    failure: str | None = None  # the error type a question's message must end with (fault injection)

    def flag(self, name: str) -> bool:
        return self.query.get(name, "").lower() == "true"


Handler = Callable[[EmulatedWorkspace, Call], Any]


@dataclass(frozen=True)
class Route:
    name: str
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    authenticated: bool = True
    admin: bool = False  # emulator control endpoints: no latency, no faults


def _message_ids(c: Call) -> tuple[str, str, str]:
    return c.params["space_id"], c.params["conversation_id"], c.params["message_id"]


def _chunk(ws: EmulatedWorkspace, c: Call) -> Any:
    try:
        index = int(c.params["chunk_index"])
    except ValueError:
        raise bad_request(f"chunk index must be an integer, got {c.params['chunk_index']!r}") from None
    return ws.chunk(c.params["statement_id"], index)


def _configure_faults(ws: EmulatedWorkspace, c: Call) -> Any:
    ws.faults.configure(c.body)
    return {}


ROUTES = [
    Route("host-metadata", "GET", re.compile(r"/\.well-known/databricks-config"),
          lambda ws, c: {"workspace_id": ws.workspace_id}, authenticated=False, admin=True),
    Route("get-space", "GET", re.compile(SPACE),
          lambda ws, c: ws.get_space(c.params["space_id"], c.flag("include_serialized_space"))),
    Route("update-space", "PATCH", re.compile(SPACE), lambda ws, c: ws.update_space(c.params["space_id"], c.body)),
    Route("start-conversation", "POST", re.compile(SPACE + "/start-conversation"),
          lambda ws, c: ws.start_conversation(c.params["space_id"], c.body.get("content"), c.failure)),
    Route("create-message", "POST", re.compile(SPACE + r"/conversations/(?P<conversation_id>[^/]+)/messages"),
          lambda ws, c: ws.create_message(c.params["space_id"], c.params["conversation_id"], c.body.get("content"), c.failure)),
    Route("get-message", "GET", re.compile(MESSAGE), lambda ws, c: ws.get_message(*_message_ids(c))),
    Route("query-result", "GET", re.compile(ATTACHMENT + "/query-result"),
          lambda ws, c: ws.query_result(*_message_ids(c), c.params["attachment_id"])),
    Route("execute-query", "POST", re.compile(ATTACHMENT + "/execute-query"),
          lambda ws, c: ws.execute_query(*_message_ids(c), c.params["attachment_id"])),
    Route("create-eval-run", "POST", re.compile(EVAL_RUNS), lambda ws, c: ws.evals.create(c.params["space_id"], c.body)),
    Route("list-eval-runs", "GET", re.compile(EVAL_RUNS), lambda ws, c: ws.evals.list_runs(c.params["space_id"], c.query)),
    Route("get-eval-run", "GET", re.compile(EVAL_RUN), lambda ws, c: ws.evals.get(c.params["space_id"], c.params["eval_run_id"])),
    Route("list-eval-results", "GET", re.compile(EVAL_RUN + "/results"),
          lambda ws, c: ws.evals.list_results(c.params["space_id"], c.params["eval_run_id"], c.query)),
    Route("get-eval-result", "GET", re.compile(EVAL_RUN + r"/results/(?P<result_id>[^/]+)"),
          lambda ws, c: ws.evals.result(c.params["space_id"], c.params["eval_run_id"], c.params["result_id"])),
    Route("serving-chat", "POST", re.compile(r"/serving-endpoints/chat/completions"),
          lambda ws, c: chat_completions(ws.options.serving_upstream, c.body)),
    Route("execute-statement", "POST", re.compile(r"/api/2\.0/sql/statements/?"), lambda ws, c: ws.execute_statement(c.body)),
    Route("get-statement", "GET", re.compile(STATEMENT), lambda ws, c: ws.get_statement(c.params["statement_id"])),
    Route("get-chunk", "GET", re.compile(STATEMENT + r"/result/chunks/(?P<chunk_index>[^/]+)"), _chunk),
    Route("cancel-statement", "POST", re.compile(STATEMENT + "/cancel"), lambda ws, c: ws.cancel(c.params["statement_id"])),
    Route("emulator-faults", "POST", re.compile(r"/emulator/faults"), _configure_faults, admin=True),
    Route("emulator-edit-space", "POST", re.compile(r"/emulator/spaces/(?P<space_id>[^/]+)/edit"),
          lambda ws, c: ws.edit_behind_the_back(c.params["space_id"]).to_api(include_serialized_space=False), admin=True),
    Route("emulator-requests", "GET", re.compile(r"/emulator/requests"),
          lambda ws, c: {"requests": [vars(r) for r in ws.state.request_log()]}, admin=True),
]


def match(method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    """The route for a request and its path parameters (None: no such endpoint)."""
    for route in ROUTES:
        if route.method == method:
            found = route.pattern.fullmatch(path)
            if found:
                return route, found.groupdict()
    return None


def path_exists(path: str) -> bool:
    return any(r.pattern.fullmatch(path) for r in ROUTES)
