"""Model Serving's OpenAI-compatible chat endpoint (`POST /serving-endpoints/chat/completions`), emulated by
forwarding to an upstream OpenAI-compatible server (`--serving-upstream URL`, e.g. a local model server or a
test double). The workspace token is checked here like on every API route and is *not* forwarded: the upstream
gets the request body only, so the path a real workspace's serving endpoints take (base URL, bearer auth, model
= endpoint name) can be tried locally without a workspace.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from genie_enhance.emulator.errors import ApiError, bad_request

UPSTREAM_TIMEOUT_S = 120.0
_ERROR_CODES = {400: "BAD_REQUEST", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "RESOURCE_DOES_NOT_EXIST",
                429: "REQUEST_LIMIT_EXCEEDED", 503: "TEMPORARILY_UNAVAILABLE"}


def chat_completions(upstream: str | None, body: dict[str, Any]) -> Any:
    """The upstream's chat completion for `body`; its errors come back with their status, Databricks-style."""
    if not upstream:
        raise ApiError(404, "RESOURCE_DOES_NOT_EXIST",
                       "this emulator serves no model endpoints (start it with --serving-upstream URL)")
    model = body.get("model")
    if not isinstance(model, str) or not model.strip():
        raise bad_request("model (the serving endpoint name) is required")
    request = urllib.request.Request(
        upstream.rstrip("/") + "/chat/completions", data=json.dumps(body).encode("utf-8"),
        headers={"Content-Type": "application/json"}, method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=UPSTREAM_TIMEOUT_S) as response:  # noqa: S310 - configured URL
            return json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode("utf-8", "replace")[:500]
        retry_after = exc.headers.get("Retry-After") if exc.headers else None
        raise ApiError(exc.code, _ERROR_CODES.get(exc.code, "INTERNAL_ERROR"),
                       f"serving endpoint {model}: upstream answered {exc.code}: {detail}",
                       retry_after=int(retry_after) if retry_after and retry_after.isdigit() else None) from exc
    except (urllib.error.URLError, TimeoutError, json.JSONDecodeError) as exc:
        raise ApiError(503, "TEMPORARILY_UNAVAILABLE", f"serving endpoint {model}: upstream failed: {exc}") from exc
