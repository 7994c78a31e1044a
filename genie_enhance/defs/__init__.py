"""The Dagster front end: assets, checks, jobs, sensors, schedules and resources, thin over `genie_enhance.engine`.

`genie_enhance.defs.project.build_definitions` assembles them (`genie_enhance/definitions.py` is the entry point);
`genie_enhance.defs.local_run` runs the iteration job in-process for the CLI.
"""
