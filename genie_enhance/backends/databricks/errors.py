"""How Databricks SDK failures surface here: an error type (`HTTP_429`, …), whether a retry can help, and the
exceptions the backend raises when a failure is not a per-question answer (auth, missing space, service down).

Why a classifier: the SDK already retried 429/503 within its (lowered) budget and then raises `TimeoutError`
*from* the last error, so the useful status hides in `__cause__`. SDK messages never carry the token (headers are
not logged unless `debug_headers` is set), so they are safe to repeat.
"""

from __future__ import annotations

import requests
from databricks.sdk.errors import DatabricksError, PermissionDenied, Unauthenticated
from databricks.sdk.errors.platform import STATUS_CODE_MAPPING

from genie_enhance.errors import ServiceError

RETRYABLE_STATUSES = frozenset({429, 500, 503, 504})


class DatabricksBackendError(ServiceError):
    """A Databricks API call failed; `error_type` is e.g. `HTTP_503`, `retryable` whether trying later may help."""

    def __init__(self, message: str, *, error_type: str, retryable: bool) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.retryable = retryable


class DatabricksAuthError(DatabricksBackendError):
    """The workspace refused our credentials (401) or the identity lacks a permission (403)."""

    fatal = True


def last_error(exc: BaseException) -> BaseException:
    """The error behind the SDK's `TimeoutError("Timed out after …")` (its retry budget ran out), else `exc`."""
    seen = exc
    while isinstance(seen, TimeoutError) and seen.__cause__ is not None:
        seen = seen.__cause__
    return seen


def http_status(exc: BaseException) -> int | None:
    """The HTTP status an SDK exception stands for (its class follows the status; error codes subclass those)."""
    for status, cls in STATUS_CODE_MAPPING.items():
        if isinstance(exc, cls):
            return status
    return None


def classify(exc: BaseException) -> tuple[str, bool]:
    """`(error_type, retryable)` of an exception raised by an SDK call."""
    root = last_error(exc)
    status = http_status(root)
    if status is not None:
        return f"HTTP_{status}", status in RETRYABLE_STATUSES
    if isinstance(root, requests.ConnectionError):
        return "CONNECTION_ERROR", True
    if isinstance(root, requests.Timeout):
        return "HTTP_TIMEOUT", True
    if isinstance(root, TimeoutError):
        return "SDK_TIMEOUT", True
    if isinstance(root, DatabricksError):
        return (root.error_code or "API_ERROR"), False
    return type(root).__name__, False


def describe(exc: BaseException) -> str:
    """One line: the SDK's message, plus the last error when the retry budget ran out."""
    root = last_error(exc)
    text = str(exc) or type(exc).__name__
    if root is not exc:
        text += f" (retry budget exhausted; last error: {type(root).__name__}: {root})"
    return text


def backend_error(exc: BaseException, action: str, host: str | None) -> DatabricksBackendError:
    """The exception to raise for a failed call: auth failures say which settings to check."""
    error_type, retryable = classify(exc)
    root = last_error(exc)
    where = f" at {host}" if host else ""
    if isinstance(root, Unauthenticated):
        return DatabricksAuthError(
            f"{action}: authentication failed{where} ({error_type}: {root}); check DATABRICKS_HOST and "
            "DATABRICKS_TOKEN, or the Databricks config profile",
            error_type=error_type, retryable=False,
        )
    if isinstance(root, PermissionDenied):
        return DatabricksAuthError(
            f"{action}: permission denied{where} ({error_type}: {root})", error_type=error_type, retryable=False
        )
    return DatabricksBackendError(f"{action}{where}: {error_type}: {describe(exc)}", error_type=error_type, retryable=retryable)
