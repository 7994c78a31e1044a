"""The gate every campaign command passes first: the input space must be valid before anything is written.

Why here: `run`, `demo`, `apply`, `score` and the Dagster runs all start from a live space; a campaign on an
invalid one would record, score and rewrite it (a `{}` file came back with 66 fixes). So the space is validated
like any candidate — structure, catalog, every SQL with LIMIT 0 — and its errors refuse the command before a
tracking store, a versions folder or an output directory exists. Its warnings are returned, to be shown and
recorded as events of the campaign.
"""

from __future__ import annotations

from genie_enhance.core.catalog import Catalog
from genie_enhance.core.protocols import Warehouse
from genie_enhance.errors import SpaceFormatError
from genie_enhance.space.normalize import upgrade_to_v2
from genie_enhance.space.store import SpaceStore
from genie_enhance.space.validation import Problem, errors, validate_space, warnings

SPACE_WARNING = "space_warning"  # event kind: a warning about the starting config (it did not refuse the campaign)


def admit_space(store: SpaceStore, warehouse: Warehouse, catalog: Catalog | None = None) -> list[Problem]:
    """The warnings of the live space; `SpaceFormatError` listing its errors when it has any (nothing written)."""
    space, _ = store.export()  # an unparseable file raises SpaceFormatError naming it
    if space.version < 2:
        space = upgrade_to_v2(space)
    problems = validate_space(space, catalog=catalog or warehouse.catalog(), warehouse=warehouse)
    found = errors(problems)
    if found:
        source = str(getattr(store, "path", None) or getattr(store, "source", None) or "the live space")
        raise SpaceFormatError(source, [*(str(p) for p in found),
                                        "refusing to start: fix these (see `genie-enhance validate-space`)"])
    return warnings(problems)
