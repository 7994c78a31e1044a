"""The embedded default backend in one call: a DuckDB warehouse, a file space store and the offline Genie.

Why the catalog comes from the space: a space names its tables `catalog.schema.table`, and both its own SQL and
the benchmark SQL use those names, so the DuckDB file must be attached under exactly that catalog name. The offline
Genie reads the space from the store on every question (re-parsing only when the file's etag changed), so a fix
applied through the store is what the very next question sees, as with the live service.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from sqlglot import exp
from sqlglot.errors import ParseError

from genie_enhance.backends.local.offline_genie import OfflineGenie
from genie_enhance.backends.local.space_store import FileSpaceStore, etag_of
from genie_enhance.backends.local.warehouse import DuckDBWarehouse
from genie_enhance.errors import ConfigError
from genie_enhance.space.io import decode_text, parse_document
from genie_enhance.space.model import SerializedSpace
from genie_enhance.sql import DIALECT


class CurrentSpace:
    """A callable returning the store's current space, parsed once per etag (thread-safe)."""

    def __init__(self, store: FileSpaceStore) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._etag: str | None = None
        self._space: SerializedSpace | None = None

    @property
    def etag(self) -> str | None:
        """The etag of the space last returned."""
        return self._etag

    def __call__(self) -> SerializedSpace:
        data = self.store.read_bytes()
        etag = etag_of(data)
        with self._lock:
            if etag != self._etag or self._space is None:
                self._space = parse_document(decode_text(data, str(self.store.path)), source=str(self.store.path)).space
                self._etag = etag
            return self._space


@dataclass
class LocalBackend:
    """The three local protocol implementations, wired to one warehouse file and one space file."""

    warehouse: DuckDBWarehouse
    store: FileSpaceStore
    genie: OfflineGenie

    def close(self) -> None:
        self.warehouse.close()

    def __enter__(self) -> LocalBackend:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def space_catalog(space: SerializedSpace, source: str = "<space>") -> str | None:
    """The one catalog name the space's table identifiers use (None when it has no tables).

    `ConfigError` names the field when an identifier is not `catalog.schema.table` or two identifiers disagree.
    """
    first: tuple[str, str] | None = None
    sections = (("tables", space.data_sources.tables), ("metric_views", space.data_sources.metric_views))
    for section, tables in sections:
        for index, table in enumerate(tables):
            field = f"data_sources.{section}[{index}].identifier"
            name = _catalog_part(table.identifier)
            if name is None:
                raise ConfigError(
                    f"{source}: {field}: {table.identifier!r} is not a three-part catalog.schema.table identifier"
                )
            if first is None:
                first = (name, field)
            elif name.lower() != first[0].lower():
                raise ConfigError(
                    f"{source}: {field} uses catalog {name!r} but {first[1]} uses {first[0]!r}; "
                    "pass --catalog NAME to choose the one the warehouse file is attached as"
                )
    return first[0] if first else None


def _catalog_part(identifier: str) -> str | None:
    try:
        table = exp.to_table(identifier, dialect=DIALECT)
    except ParseError:
        return None
    parts = [part.name for part in table.parts]
    if len(parts) != 3 or not all(parts):
        return None
    return parts[0]


def open_local_backend(
    warehouse_path: str | Path,
    space_path: str | Path,
    *,
    catalog: str | None = None,
    latency_ms: float = 0,
    max_per_minute: float | None = None,
    noise: float = 0.0,
    seed: int = 0,
    timeout_s: float | None = 60.0,
) -> LocalBackend:
    """Open the warehouse under the space's catalog (or `catalog`) and an offline Genie over the space file."""
    store = FileSpaceStore(space_path)
    space, _ = store.export()  # fails early, naming the file, on a missing or invalid space
    name = catalog or space_catalog(space, str(store.path))
    warehouse = DuckDBWarehouse(warehouse_path, name, timeout_s=timeout_s)
    genie = OfflineGenie(
        CurrentSpace(store), warehouse, latency_ms=latency_ms, max_per_minute=max_per_minute, noise=noise, seed=seed
    )
    return LocalBackend(warehouse=warehouse, store=store, genie=genie)
