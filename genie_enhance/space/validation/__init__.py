"""Validate a `serialized_space` the way the Genie API would (and a little stricter), naming the JSON path of
every problem. Each rule is a small generator of `Problem`s; `validate_space` chains them. Every problem has a
severity (`problems.RULES`): errors are what the API rejects (or SQL Genie cannot run), warnings are advice.
"""

from __future__ import annotations

from genie_enhance.core.catalog import Catalog
from genie_enhance.core.protocols import Warehouse
from genie_enhance.space.model import SerializedSpace
from genie_enhance.space.validation.budgets import (
    check_budgets,
    check_sizes,
    instruction_count,
    snippet_count,
    table_count,
)
from genie_enhance.space.validation.deny import check_denied_functions
from genie_enhance.space.validation.execution import ExecutionCache, check_execution
from genie_enhance.space.validation.problems import (
    RULES,
    Problem,
    Severity,
    errors,
    problems_from_format_error,
    warnings,
)
from genie_enhance.space.validation.references import (
    check_catalog_tables,
    check_join_references,
    check_snippet_references,
    check_statement_references,
)
from genie_enhance.space.validation.sql_checks import (
    check_join_specs,
    check_parameters,
    check_snippets,
    check_statements,
)
from genie_enhance.space.validation.structure import (
    check_benchmark_answers,
    check_duplicate_columns,
    check_entity_matching,
    check_ids,
    check_sorting,
    check_table_identifiers,
    check_text_instructions,
    check_v1_column_flags,
    check_version,
)
from genie_enhance.space.validation.text import check_joined_lines, check_template_placeholders, dominated

STRUCTURE_RULES = (
    check_version,
    check_template_placeholders,
    check_joined_lines,
    check_ids,
    check_text_instructions,
    check_benchmark_answers,
    check_table_identifiers,
    check_duplicate_columns,
    check_v1_column_flags,
    check_entity_matching,
    check_join_specs,
    check_snippets,
    check_statements,
    check_parameters,
    check_budgets,
    check_sizes,
)
# Ours, not the Genie API's: SQL reaching outside the data (the emulator, mimicking the API, leaves them out).
SAFETY_RULES = (check_denied_functions,)
CATALOG_RULES = (check_catalog_tables, check_statement_references, check_join_references, check_snippet_references)


def validate_space(
    space: SerializedSpace,
    *,
    catalog: Catalog | None = None,
    warehouse: Warehouse | None = None,
    strict_sorting: bool = True,
    safety: bool = True,
    execution_cache: ExecutionCache | None = None,
) -> list[Problem]:
    """Every problem found, errors and warnings (see `errors`). `catalog` adds existence checks, `warehouse` a
    LIMIT 0 dry run of every SQL in context (`execution_cache` runs each statement once across calls);
    `safety=False` leaves out the rules the Genie API itself does not apply (the deny list);
    `strict_sorting=False` skips the order checks (for input about to be normalized)."""
    problems = [p for rule in STRUCTURE_RULES for p in rule(space)]
    if safety:
        problems += [p for rule in SAFETY_RULES for p in rule(space)]
    if strict_sorting:
        problems += check_sorting(space)
    if catalog is not None:
        problems += [p for rule in CATALOG_RULES for p in rule(space, catalog)]
    if warehouse is not None:
        problems += check_execution(space, warehouse, skip={p.path for p in problems}, cache=execution_cache)
    return dominated(space, problems)


__all__ = [
    "ExecutionCache",
    "RULES",
    "Problem",
    "Severity",
    "errors",
    "warnings",
    "instruction_count",
    "problems_from_format_error",
    "snippet_count",
    "table_count",
    "validate_space",
]
