"""A scripted OpenAI-compatible chat-completions server for tests.

Speaks `POST /v1/chat/completions` and `POST /serving-endpoints/chat/completions` (Databricks Model Serving's path)
on 127.0.0.1 with an OS-chosen port. Each request takes the next scripted reply from a queue:

    server.push(text('{"a": 1}', prompt_tokens=100, completion_tokens=20))
    server.push(status(429, headers={"Retry-After": "0"}), status(500), delay(2.0, then=text("{}")))

and every request (path, headers, parsed JSON body) is kept in `server.requests`, so tests can assert what a client
sent. With an empty queue the server answers its `fallback` reply when it has one (e.g. an empty fix list, for a
loop that may ask more often than a test scripts), else 500 with a message saying so (and still records the request).
"""

from __future__ import annotations

import itertools
import json
import queue
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CHAT_PATHS = ("/v1/chat/completions", "/serving-endpoints/chat/completions")
EMPTY_QUEUE_MESSAGE = "scripted server: no reply queued"


@dataclass(frozen=True)
class Reply:
    """One scripted reply: a chat completion (`content`), an HTTP error (`code`), or a delay before another reply."""

    kind: str  # "text" | "status" | "delay"
    content: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    finish_reason: str = "stop"
    include_usage: bool = True
    code: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    then: Reply | None = None


def text(
    content: str, prompt_tokens: int = 10, completion_tokens: int = 5, *, finish_reason: str = "stop",
    include_usage: bool = True,
) -> Reply:
    return Reply("text", content=content, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens,
                 finish_reason=finish_reason, include_usage=include_usage)


def status(code: int, body: Any = None, headers: dict[str, str] | None = None) -> Reply:
    if body is None:
        body = {"error": {"message": f"scripted status {code}", "type": "scripted", "code": code}}
    return Reply("status", code=code, body=body, headers=dict(headers or {}))


def delay(seconds: float, then: Reply | None = None) -> Reply:
    """Sleep before answering (to trigger client timeouts); then send `then` (default: an empty JSON object)."""
    return Reply("delay", seconds=seconds, then=then or text("{}"))


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    raw: bytes
    received_at: float

    @property
    def body(self) -> Any:
        return json.loads(self.raw) if self.raw else None

    @property
    def messages(self) -> list[dict[str, Any]]:
        return (self.body or {}).get("messages", [])


class ScriptedOpenAI:
    """The server; use as a context manager or call `start()`/`stop()`."""

    def __init__(self, fallback: Reply | None = None) -> None:
        self.fallback = fallback
        self._replies: queue.Queue[Reply] = queue.Queue()
        self._requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, name="scripted-openai", daemon=True
        )

    # -------------------------------------------------------------------------------------- lifecycle
    def start(self) -> ScriptedOpenAI:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> ScriptedOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -------------------------------------------------------------------------------------- script + record
    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def host(self) -> str:
        """Base of a fake Databricks workspace (`<host>/serving-endpoints` is the OpenAI-compatible base URL)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.host}/v1"

    def push(self, *replies: Reply) -> ScriptedOpenAI:
        for reply in replies:
            self._replies.put(reply)
        return self

    @property
    def remaining(self) -> int:
        return self._replies.qsize()

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _next_reply(self) -> Reply | None:
        try:
            return self._replies.get_nowait()
        except queue.Empty:
            return self.fallback

    def completion_body(self, reply: Reply, model: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": f"chatcmpl-scripted-{next(self._ids)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": reply.content},
                "finish_reason": reply.finish_reason,
                "logprobs": None,
            }],
        }
        if reply.include_usage:
            body["usage"] = {
                "prompt_tokens": reply.prompt_tokens,
                "completion_tokens": reply.completion_tokens,
                "total_tokens": reply.prompt_tokens + reply.completion_tokens,
            }
        return body

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
                return

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length") or 0))
                server._record(RecordedRequest(
                    "POST", self.path, {k.lower(): v for k, v in self.headers.items()}, raw, time.time()
                ))
                if self.path.split("?")[0] not in CHAT_PATHS:
                    self._send(404, {"error": {"message": f"no route {self.path}"}})
                    return
                reply = server._next_reply()
                if reply is None:
                    self._send(500, {"error": {"message": EMPTY_QUEUE_MESSAGE}})
                    return
                self._answer(reply, raw)

            def do_GET(self) -> None:
                server._record(RecordedRequest("GET", self.path, {k.lower(): v for k, v in self.headers.items()}, b"", time.time()))
                self._send(404, {"error": {"message": f"no route GET {self.path}"}})

            def _answer(self, reply: Reply, raw: bytes) -> None:
                if reply.kind == "delay":
                    time.sleep(reply.seconds)
                    self._answer(reply.then or text("{}"), raw)
                elif reply.kind == "status":
                    self._send(reply.code, reply.body, reply.headers)
                else:
                    model = (json.loads(raw) if raw else {}).get("model", "unknown")
                    self._send(200, server.completion_body(reply, model))

            def _send(self, code: int, body: Any, headers: dict[str, str] | None = None) -> None:
                payload = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
                try:
                    self.send_response(code)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(payload)))
                    for name, value in (headers or {}).items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
                    self.close_connection = True

        return Handler
