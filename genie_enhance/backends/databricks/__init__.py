"""The Databricks backend: Genie, space store and SQL warehouse over the official `databricks-sdk`."""

from genie_enhance.backends.databricks.backend import DatabricksBackend, open_databricks_backend
from genie_enhance.backends.databricks.client import workspace_client
from genie_enhance.backends.databricks.errors import DatabricksAuthError, DatabricksBackendError
from genie_enhance.backends.databricks.genie import DatabricksGenie
from genie_enhance.backends.databricks.llm import databricks_llm_settings, workspace_llm_settings
from genie_enhance.backends.databricks.native_eval import NativeEvalRun, NativeEvaluator, NativeVerdict
from genie_enhance.backends.databricks.space_store import DatabricksSpaceStore
from genie_enhance.backends.databricks.warehouse import DatabricksWarehouse

__all__ = [
    "DatabricksAuthError",
    "DatabricksBackend",
    "DatabricksBackendError",
    "DatabricksGenie",
    "DatabricksSpaceStore",
    "DatabricksWarehouse",
    "NativeEvalRun",
    "NativeEvaluator",
    "NativeVerdict",
    "databricks_llm_settings",
    "open_databricks_backend",
    "workspace_client",
    "workspace_llm_settings",
]
