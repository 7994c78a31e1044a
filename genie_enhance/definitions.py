"""Dagster entry point (`dagster dev -w workspace.yaml`): the enhancement loop as assets over the spaces of
genie_enhance.yaml ($GENIE_ENHANCE_CONFIG, else ./genie_enhance.yaml), or the offline demo space without one.

`@dg.definitions` makes the build lazy: importing this module reads no config and no environment; Dagster calls
`defs` when it loads the code location.
"""

import dagster as dg

from genie_enhance.defs.project import build_definitions


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions()
