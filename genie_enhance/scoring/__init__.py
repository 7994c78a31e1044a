"""Scoring: execute expected and answer SQL and compare their results (execution accuracy, explained)."""

from genie_enhance.scoring.compare import compare_results
from genie_enhance.scoring.compare_sql import compare_actual, compare_sql, expected_error
from genie_enhance.scoring.expected import ExpectedResult, expected_cache_key, run_expected
from genie_enhance.scoring.verdicts import CompareOptions, Comparison, Reason, Verdict

__all__ = [
    "CompareOptions",
    "Comparison",
    "ExpectedResult",
    "Reason",
    "Verdict",
    "compare_actual",
    "compare_results",
    "compare_sql",
    "expected_cache_key",
    "expected_error",
    "run_expected",
]
