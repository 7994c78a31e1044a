"""Benchmark questions with known-good SQL: markdown, JSON and space-embedded sources, one model, a stable split."""

from genie_enhance.benchmarks.checks import ensure_unique_ids
from genie_enhance.benchmarks.json_fields import ALIASES, ITEM_FIELDS
from genie_enhance.benchmarks.json_source import benchmarks_from_json, json_benchmarks, load_json_benchmarks
from genie_enhance.benchmarks.loaded import BenchmarkWarning, LoadedBenchmarks
from genie_enhance.benchmarks.loader import (
    is_space_document,
    load_benchmark_paths,
    load_benchmark_set,
    load_benchmarks,
)
from genie_enhance.benchmarks.markdown import (
    QUERY_LABELS,
    load_markdown,
    markdown_benchmarks,
    parse_markdown,
    read_markdown,
)
from genie_enhance.benchmarks.model import Benchmark, label_id, normalize_question, question_id
from genie_enhance.benchmarks.space_source import (
    SkippedQuestion,
    SpaceBenchmarks,
    benchmarks_from_space,
    space_benchmarks,
)
from genie_enhance.benchmarks.split import BenchmarkSplit, holdout_size, split_benchmarks, split_score

__all__ = [
    "ALIASES",
    "Benchmark",
    "BenchmarkSplit",
    "BenchmarkWarning",
    "ITEM_FIELDS",
    "LoadedBenchmarks",
    "QUERY_LABELS",
    "SkippedQuestion",
    "SpaceBenchmarks",
    "benchmarks_from_json",
    "benchmarks_from_space",
    "ensure_unique_ids",
    "holdout_size",
    "is_space_document",
    "json_benchmarks",
    "label_id",
    "load_benchmark_paths",
    "load_benchmark_set",
    "load_benchmarks",
    "load_json_benchmarks",
    "load_markdown",
    "markdown_benchmarks",
    "normalize_question",
    "parse_markdown",
    "question_id",
    "read_markdown",
    "space_benchmarks",
    "split_benchmarks",
    "split_score",
]
