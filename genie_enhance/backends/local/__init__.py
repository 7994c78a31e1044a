"""The embedded default backend: a DuckDB warehouse, the offline Genie and a file space store."""
