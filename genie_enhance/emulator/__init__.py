"""A local HTTP emulator of the Databricks REST API subset genie-enhance uses (Genie spaces, the Conversation
API, benchmark eval runs, statement execution, and `/serving-endpoints` chat forwarded to an OpenAI-compatible
upstream), backed by the offline Genie and a DuckDB file, with seeded fault injection. It lets the Databricks
backend be tested end to end through the real `databricks-sdk`."""

from genie_enhance.emulator.errors import ApiError
from genie_enhance.emulator.faults import FaultOptions, Faults
from genie_enhance.emulator.server import Emulator
from genie_enhance.emulator.service import EmulatedWorkspace, EmulatorOptions
from genie_enhance.emulator.state import RequestRecord

__all__ = ["ApiError", "EmulatedWorkspace", "Emulator", "EmulatorOptions", "FaultOptions", "Faults", "RequestRecord"]
