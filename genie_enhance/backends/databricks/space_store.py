"""A Genie space's `serialized_space` through `w.genie.get_space` / `w.genie.update_space`, guarded by etags.

Why the care: the loop exports a config, works on it for minutes and then applies a batch. `update_space` with
the exported etag makes the service refuse the write (409 ABORTED) if anyone changed the space meanwhile; we turn
that into `ConcurrentEditError` and never retry without the etag. After a successful write we read the space
back, because the service upgrades and re-serializes what it stores, and the engine keeps what Genie actually
holds (configs are compared by their canonical `space_to_json`, so re-serialization does not count as a change).
"""

from __future__ import annotations

from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import BadRequest, DatabricksError, ResourceConflict

from genie_enhance.backends.databricks.client import workspace_host
from genie_enhance.backends.databricks.errors import DatabricksBackendError, backend_error
from genie_enhance.errors import ConcurrentEditError, SpaceFormatError
from genie_enhance.space.io import parse_space, space_to_json
from genie_enhance.space.model import SerializedSpace
from genie_enhance.space.normalize import upgrade_to_v2

SDK_ERRORS = (DatabricksError, TimeoutError, OSError)


class DatabricksSpaceStore:
    """`SpaceStore` for one Genie space; `last_exported` is the space as Genie returned it most recently."""

    def __init__(self, w: WorkspaceClient, space_id: str) -> None:
        self.w = w
        self.space_id = space_id
        self.last_exported: SerializedSpace | None = None
        self.title: str | None = None
        self.warehouse_id: str | None = None

    @property
    def source(self) -> str:
        return f"Genie space {self.space_id} at {workspace_host(self.w)}"

    def export(self) -> tuple[SerializedSpace, str]:
        """The live space (v1 upgraded to v2) and its etag."""
        try:
            found = self.w.genie.get_space(self.space_id, include_serialized_space=True)
        except SDK_ERRORS as exc:
            raise backend_error(exc, f"read Genie space {self.space_id}", workspace_host(self.w)) from exc
        if not found.serialized_space:
            raise DatabricksBackendError(
                f"{self.source}: the response has no serialized_space (exporting a space needs CAN EDIT on it)",
                error_type="NO_SERIALIZED_SPACE", retryable=False,
            )
        if not found.etag:
            raise DatabricksBackendError(
                f"{self.source}: the response has no etag, so an update could not be guarded against concurrent edits",
                error_type="NO_ETAG", retryable=False,
            )
        space = parse_space(found.serialized_space, source=self.source)
        if space.version == 1:
            space = upgrade_to_v2(space)
        self.last_exported, self.title, self.warehouse_id = space, found.title, found.warehouse_id
        return space, found.etag

    def update(self, space: SerializedSpace, etag: str) -> str:
        """Replace the whole space if `etag` is current (else `ConcurrentEditError`, nothing written); returns the
        etag of what Genie now holds."""
        try:
            written = self.w.genie.update_space(self.space_id, serialized_space=space_to_json(space), etag=etag)
        except ResourceConflict as exc:  # ABORTED (stale etag) is a subclass
            raise ConcurrentEditError(
                f"{self.source}: the space changed since it was exported (etag {etag} is stale); nothing was "
                f"written ({exc})"
            ) from exc
        except BadRequest as exc:
            raise SpaceFormatError(self.source, _problems(str(exc))) from exc
        except SDK_ERRORS as exc:
            raise backend_error(exc, f"update Genie space {self.space_id}", workspace_host(self.w)) from exc
        _, current = self.export()
        if written.etag and current != written.etag:
            # Someone wrote between our update and the re-read: hand back *our* etag, so the next update is
            # refused instead of silently replacing their edit.
            return written.etag
        return current


def _problems(message: str) -> list[str]:
    """The service's rejection as one problem per line (a leading "Invalid …:" header line is dropped)."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    if len(lines) > 1 and lines[0].endswith(":"):
        lines = lines[1:]
    return lines or ["the service rejected the space without a reason"]
