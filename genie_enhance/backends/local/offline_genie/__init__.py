"""The offline Genie simulator: a deterministic, config-driven text-to-SQL engine standing in for Databricks Genie.

It reads only the space config, the warehouse schema and, for columns with entity matching on, their distinct
values; it never sees benchmark SQL and names no particular schema. Modules by responsibility:
`text` (words and stems), `schema` (tables/columns seen through the space), `snippets` (SQL snippets and
text-instruction definitions), `joins` (join graph from join specs), `vocabulary` (phrase index), `mentions`
(phrases found in a question), `keywords`/`markers` (question structure), `roles` (tie-breaking), `reader`,
`question` and `clauses` (question → `intent`), `sql_builder` (intent → SQL), `examples` (example SQL reuse),
`noise` (seeded mistakes) and `simulator` (`OfflineGenie`, the `Genie` protocol implementation).
"""

from genie_enhance.backends.local.offline_genie.simulator import OfflineGenie

__all__ = ["OfflineGenie"]
