"""The emulator's HTTP server: a `ThreadingHTTPServer` on 127.0.0.1 speaking the Databricks REST subset.

Every API request needs `Authorization: Bearer <token>` (else 401, as the workspace answers), checked before the
body is read; a `Content-Length` that is not a non-negative integer is a 400, one above 64 MiB a 413, and a
request whose body was not read closes its connection. The token is
compared in constant time and never logged: the request log keeps method, path, query and JSON body only, and
the standard per-request log line goes to the `genie_enhance.emulator` logger at DEBUG without headers.
"""

from __future__ import annotations

import hmac
import json
import logging
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from genie_enhance.backends.local.factory import space_catalog
from genie_enhance.emulator.errors import ApiError
from genie_enhance.emulator.faults import FaultOptions, Faults
from genie_enhance.emulator.routes import Call, match, path_exists
from genie_enhance.emulator.service import EmulatedWorkspace, EmulatorOptions
from genie_enhance.emulator.state import RequestRecord, SpaceRecord
from genie_enhance.emulator.statements import EmulatorWarehouse
from genie_enhance.space.ids import stable_id
from genie_enhance.space.io import parse_document
from genie_enhance.space.model import SerializedSpace

logger = logging.getLogger("genie_enhance.emulator")
BIND_HOST = "127.0.0.1"
MAX_BODY_BYTES = 64 * 1024 * 1024  # far above any serialized_space the service accepts
BODY_TIMEOUT_S = 10.0  # a client that declares more bytes than it sends gets a 400, not a blocked handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int, workspace: EmulatedWorkspace, token: str) -> None:
        self.workspace = workspace
        self.expected_auth = f"Bearer {token}".encode()
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__((BIND_HOST, port), _Handler)

    def get_request(self) -> tuple[socket.socket, Any]:
        conn, address = super().get_request()
        with self._connections_lock:
            self._connections.add(conn)
        return conn, address

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """End idle keep-alive connections, so their handler threads finish instead of waiting for a request."""
        with self._connections_lock:
            connections = list(self._connections)
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed by the client


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the SDK's session expects
    disable_nagle_algorithm = True  # headers and body go out in two writes; Nagle would add 40 ms to each reply
    server: _Server
    _body_read = False

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        self._handle("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._handle("POST")

    def do_PATCH(self) -> None:  # noqa: N802
        self._handle("PATCH")

    def do_DELETE(self) -> None:  # noqa: N802
        self._handle("DELETE")

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - signature of the base class
        logger.debug("%s %s", self.address_string(), format % args)

    def _authorized(self) -> bool:
        given = (self.headers.get("Authorization") or "").encode("utf-8")
        return hmac.compare_digest(given, self.server.expected_auth)

    def _handle(self, method: str) -> None:
        started = time.monotonic()
        url = urlsplit(self.path)
        query = dict(parse_qsl(url.query))
        body: Any = None
        route_name = None
        self._body_read = False
        try:
            found = match(method, url.path)
            if found is None:
                if path_exists(url.path):
                    raise ApiError(405, "BAD_REQUEST", f"method {method} is not allowed on {url.path}")
                raise ApiError(404, "ENDPOINT_NOT_FOUND", f"no API endpoint {method} {url.path}")
            route, params = found
            route_name = route.name
            if route.authenticated and not self._authorized():
                raise ApiError(401, "UNAUTHENTICATED", "Invalid access token")
            body = self._json(self._read_body())
            workspace = self.server.workspace
            failure = None
            if not route.admin:
                workspace.faults.delay()
                failure = workspace.faults.before(route.name)
            status, payload, headers = 200, route.handler(workspace, Call(params, query, body, failure)), {}
        except ApiError as exc:
            status, payload, headers = exc.status, exc.body(), exc.headers()
        except Exception as exc:  # a bug here must answer, not hang the client
            logger.exception("emulator failure on %s %s", method, url.path)
            message = f"emulator failure: {type(exc).__name__}: {exc}"
            status, payload, headers = 500, {"error_code": "INTERNAL_ERROR", "message": message}, {}
        # logged before replying, so a client that got the reply always finds its request in the log
        self.server.workspace.state.log(RequestRecord(method, url.path, query, body, status, route_name))
        self._send(status, payload, headers)
        logger.debug("%s %s -> %d (%.1f ms)", method, url.path, status, (time.monotonic() - started) * 1000)

    def _read_body(self) -> bytes:
        """The request body, read only after routing and auth: a declared length that is not a non-negative
        integer is a 400, one above `MAX_BODY_BYTES` a 413, and a body that stops short times out as a 400."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            raise ApiError(411, "MALFORMED_REQUEST", "chunked request bodies are not supported; send Content-Length")
        declared = (self.headers.get("Content-Length") or "0").strip()
        if not declared.isdigit():
            raise ApiError(400, "MALFORMED_REQUEST", f"invalid Content-Length {declared[:40]!r}")
        length = int(declared)
        if length > MAX_BODY_BYTES:
            raise ApiError(413, "REQUEST_ENTITY_TOO_LARGE",
                           f"request body of {length} bytes is larger than the limit of {MAX_BODY_BYTES} bytes")
        self.connection.settimeout(BODY_TIMEOUT_S)  # read at call time (tests shorten it)
        try:
            raw = self.rfile.read(length)
        except TimeoutError as exc:
            raise ApiError(400, "MALFORMED_REQUEST", f"request body ended before its Content-Length {length}") from exc
        finally:
            self.connection.settimeout(None)
        if len(raw) != length:
            raise ApiError(400, "MALFORMED_REQUEST", f"request body ended before its Content-Length {length}")
        self._body_read = True
        return raw

    @staticmethod
    def _json(raw: bytes) -> dict[str, Any]:
        if not raw.strip():
            return {}
        try:
            data = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ApiError(400, "MALFORMED_REQUEST", f"request body is not valid JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise ApiError(400, "MALFORMED_REQUEST", "request body must be a JSON object")
        return data

    def _send(self, status: int, payload: Any, headers: dict[str, str]) -> None:
        data = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if not self._body_read and (self.headers.get("Content-Length") or "0").strip() != "0":
            self.close_connection = True  # the unread body would be taken for the next request
            self.send_header("Connection", "close")
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


class Emulator:
    """A local Databricks workspace: Genie spaces, conversations and a SQL warehouse over one DuckDB file."""

    def __init__(
        self,
        warehouse_path: str | Path,
        *,
        token: str,
        catalog: str | None = None,
        warehouse_id: str | None = None,
        faults: FaultOptions | None = None,
        options: EmulatorOptions | None = None,
        port: int = 0,
    ) -> None:
        if not token:
            raise ValueError("the emulator needs a non-empty token")
        path = Path(warehouse_path)
        self.warehouse = EmulatorWarehouse(path, catalog)
        self.warehouse_id = warehouse_id or stable_id("emulator-warehouse", path.stem)[:16]
        try:
            self.workspace = EmulatedWorkspace(self.warehouse, self.warehouse_id, Faults(faults), options or EmulatorOptions())
            self._server = _Server(port, self.workspace, token)
        except BaseException:
            self.warehouse.close()
            raise
        self._thread: threading.Thread | None = None

    @classmethod
    def for_space(cls, warehouse_path: str | Path, space_path: str | Path, *, token: str, space_id: str | None = None,
                  catalog: str | None = None, **kwargs: Any) -> tuple[Emulator, SpaceRecord]:
        """An emulator serving the space file (bare or export wrapper), its DuckDB attached under the space's catalog."""
        path = Path(space_path)
        document = parse_document(path.read_text(encoding="utf-8"), source=str(path))
        emulator = cls(warehouse_path, token=token, catalog=catalog or space_catalog(document.space, str(path)), **kwargs)
        try:
            title = (document.export.title if document.export else None) or path.stem
            record = emulator.add_space(document.space, space_id=space_id or stable_id("emulator-space", path.stem), title=title)
        except BaseException:
            emulator.close()
            raise
        return emulator, record

    # ------------------------------------------------------------------------------------------ set-up
    def add_space(self, space: SerializedSpace | str, *, space_id: str | None = None,
                  title: str = "Emulated space") -> SpaceRecord:
        """Store a space (validated like an update; `ApiError` 400 lists the problems)."""
        return self.workspace.add_space(space, space_id=space_id, title=title)

    @property
    def faults(self) -> Faults:
        return self.workspace.faults

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def host(self) -> str:
        return f"http://{BIND_HOST}:{self.port}"

    def requests(self, route: str | None = None) -> list[RequestRecord]:
        """Every request served so far (optionally only one route's)."""
        return [r for r in self.workspace.state.request_log() if route is None or r.route == route]

    # ------------------------------------------------------------------------------------------ life cycle
    def start(self) -> Emulator:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="genie-emulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and wait for the server thread (a no-op when not started)."""
        if self._thread is None:
            return
        self._server.shutdown()
        self._server.close_connections()
        self._thread.join(timeout=10)
        self._thread = None

    def close(self) -> None:
        self._server.server_close()
        self.warehouse.close()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
        self.close()
