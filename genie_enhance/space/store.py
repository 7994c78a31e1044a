"""The protocol a backend implements to read and replace the live space (the local file or a Databricks space).

Why here and not in `genie_enhance.core`: its value type is the space model, so it lives beside it, and `core`
stays free of any package it serves.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from genie_enhance.space.model import SerializedSpace


@runtime_checkable
class SpaceStore(Protocol):
    def export(self) -> tuple[SerializedSpace, str]:
        """The live space and its etag."""
        ...

    def update(self, space: SerializedSpace, etag: str) -> str:
        """Replace the live space if `etag` is current (else `ConcurrentEditError`); returns the new etag."""
        ...
