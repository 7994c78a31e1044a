"""Databricks-style error responses: `{"error_code": ..., "message": ...}` with the matching HTTP status, so that
`databricks.sdk.errors` maps them to the same exception classes as the real service (409 ABORTED → `Aborted`,
429 → `TooManyRequests`, `Retry-After` honoured …). Messages never contain "Unexpected error": the SDK would
silently retry anything that does."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error the emulator answers with instead of a normal response."""

    def __init__(self, status: int, error_code: str, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code
        self.message = message
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        return {"error_code": self.error_code, "message": self.message}

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)} if self.retry_after is not None else {}


def bad_request(message: str) -> ApiError:
    return ApiError(400, "INVALID_PARAMETER_VALUE", message)


def not_found(message: str) -> ApiError:
    return ApiError(404, "RESOURCE_DOES_NOT_EXIST", message)


def invalid_state(message: str) -> ApiError:
    return ApiError(400, "INVALID_STATE", message)
