"""Benchmark questions with known-good SQL: markdown, JSON and space-embedded sources, one model, a stable split."""

from genie_enhance.benchmarks.checks import ensure_unique_ids
from genie_enhance.benchmarks.json_source import benchmarks_from_json, load_json_benchmarks
from genie_enhance.benchmarks.loader import LoadedBenchmarks, is_space_document, load_benchmark_set, load_benchmarks
from genie_enhance.benchmarks.markdown import load_markdown, parse_markdown
from genie_enhance.benchmarks.model import Benchmark, normalize_question, question_id
from genie_enhance.benchmarks.space_source import (
    SkippedQuestion,
    SpaceBenchmarks,
    benchmarks_from_space,
    space_benchmarks,
)
from genie_enhance.benchmarks.split import BenchmarkSplit, holdout_size, split_benchmarks, split_score

__all__ = [
    "Benchmark",
    "BenchmarkSplit",
    "LoadedBenchmarks",
    "SkippedQuestion",
    "SpaceBenchmarks",
    "benchmarks_from_json",
    "benchmarks_from_space",
    "ensure_unique_ids",
    "holdout_size",
    "is_space_document",
    "load_benchmark_set",
    "load_benchmarks",
    "load_json_benchmarks",
    "load_markdown",
    "normalize_question",
    "parse_markdown",
    "question_id",
    "space_benchmarks",
    "split_benchmarks",
    "split_score",
]
