"""Dagster entry point (`dagster dev -w workspace.yaml`): the enhancement loop as assets over the spaces of
genie_enhance.yaml ($GENIE_ENHANCE_CONFIG, else ./genie_enhance.yaml), or the offline demo space without one."""

from genie_enhance.defs.project import build_definitions

defs = build_definitions()
