"""The Databricks backend: Genie, space store and SQL warehouse over the official `databricks-sdk`.

Names are loaded on first use (PEP 562): `databricks-sdk` takes about a second to import, and commands that only
touch the local backend (or only need `errors`) should not pay for it.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "DatabricksAuthError": "errors",
    "DatabricksBackend": "backend",
    "DatabricksBackendError": "errors",
    "DatabricksGenie": "genie",
    "DatabricksSpaceStore": "space_store",
    "DatabricksWarehouse": "warehouse",
    "NativeEvalRun": "native_eval",
    "NativeEvaluator": "native_eval",
    "NativeVerdict": "native_eval",
    "databricks_llm_settings": "llm",
    "open_databricks_backend": "backend",
    "workspace_client": "client",
    "workspace_llm_settings": "llm",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{module}"), name)
