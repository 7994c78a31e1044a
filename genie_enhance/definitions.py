"""Dagster entry point (the asset graph arrives with the Dagster issue; this keeps `dagster dev` loadable)."""

import dagster as dg

defs = dg.Definitions()
