"""The embedded demo: a deterministic DuckDB warehouse (commerce + community) and two space configs."""

from genie_enhance.demo.build import DemoFiles, build_demo
from genie_enhance.demo.space_configs import BARE_SPACE, TUNED_SPACE, load_demo_space
from genie_enhance.demo.warehouse import DEFAULT_SEED, REFERENCE_DATE, build_demo_warehouse, demo_table_identifiers

__all__ = [
    "BARE_SPACE",
    "DEFAULT_SEED",
    "REFERENCE_DATE",
    "TUNED_SPACE",
    "DemoFiles",
    "build_demo",
    "build_demo_warehouse",
    "demo_table_identifiers",
    "load_demo_space",
]
