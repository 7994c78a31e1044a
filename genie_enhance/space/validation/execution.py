"""Dry-run every statement on a warehouse (LIMIT 0): the SQL must not only parse but actually run."""

from __future__ import annotations

from collections.abc import Container, Iterator

from genie_enhance.backends.protocols import Warehouse
from genie_enhance.space.model import SerializedSpace
from genie_enhance.space.validation.locate import statements
from genie_enhance.space.validation.params import bind_parameters
from genie_enhance.space.validation.problems import Problem


def check_execution(
    space: SerializedSpace, warehouse: Warehouse, *, skip: Container[str] = ()
) -> Iterator[Problem]:
    """Run each statement with `limit=0`, parameters bound to their defaults; report the warehouse's error.

    Statements whose path is in `skip` (already reported, e.g. unparseable) are not run again.
    """
    for st in statements(space):
        if st.path in skip or not st.sql.strip():
            continue
        sql = bind_parameters(st.sql, st.example.parameters if st.example else [])
        try:
            warehouse.execute(sql, limit=0)
        except Exception as exc:  # noqa: BLE001 - whatever the warehouse raises is the finding we report
            yield Problem(st.path, "sql_execution", f"fails on the warehouse: {exc}")
