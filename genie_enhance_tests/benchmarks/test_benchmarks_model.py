"""The benchmark model: stable text-derived ids, Korean/translations kept in sync, validation."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

import pytest
from pydantic import ValidationError

from genie_enhance.benchmarks import Benchmark, normalize_question, question_id
from genie_enhance.space.ids import is_valid_id


def make(**fields: object) -> Benchmark:
    base: dict[str, object] = {"question": "How many orders?", "expected_sql": "SELECT COUNT(*) FROM o", "source": "t"}
    return Benchmark(**{**base, **fields})


def test_id_is_a_hash_of_the_normalized_question() -> None:
    text = "  How many   ORDERS\twere placed?\n"
    assert normalize_question(text) == "how many orders were placed?"
    expected = hashlib.sha256(b"benchmark\x1fhow many orders were placed?").hexdigest()[:32]
    assert question_id(text) == expected
    assert is_valid_id(question_id(text))


def test_same_text_same_id_case_and_whitespace_insensitive() -> None:
    a = make(question="What is the total revenue by region?")
    b = make(question="what is the   total revenue\nby REGION?  ")
    c = make(question="What is the total revenue by country?")
    assert a.id == b.id == question_id("What is the total revenue by region?")
    assert a.id != c.id


def test_ids_are_identical_in_another_process_with_another_hash_seed() -> None:
    questions = ["How many orders?", "지역별 총매출은 얼마입니까?", "Top 5 customers"]
    code = (
        "import sys; from genie_enhance.benchmarks import question_id; "
        "print('\\n'.join(question_id(q) for q in sys.argv[1:]))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONIOENCODING": "utf-8"}
    out = subprocess.run([sys.executable, "-c", code, *questions], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.split() == [question_id(q) for q in questions]


def test_explicit_id_is_kept_and_validated() -> None:
    assert make(id="0123456789abcdef0123456789abcdef").id == "0123456789abcdef0123456789abcdef"
    for bad in ("0123456789ABCDEF0123456789ABCDEF", "123", "01f0d0b4e815100000000000000000g1"):
        with pytest.raises(ValidationError, match="32 lowercase hex"):
            make(id=bad)


def test_korean_question_and_translations_stay_in_sync() -> None:
    ko = "주문이 몇 건입니까?"
    assert make(question_ko=ko).translations == {"ko": ko}
    from_translations = make(translations={"KO": ko, "ja": "注文は何件？"})
    assert from_translations.question_ko == ko
    assert from_translations.translations == {"ko": ko, "ja": "注文は何件？"}
    with pytest.raises(ValidationError, match="differ"):
        make(question_ko=ko, translations={"ko": "다른 질문"})


def test_empty_question_or_sql_is_invalid_and_tags_are_cleaned() -> None:
    with pytest.raises(ValidationError):
        make(question="   ")
    with pytest.raises(ValidationError):
        make(expected_sql="")
    assert make(tags=[" a", "b", "a", ""]).tags == ["a", "b"]


def test_benchmarks_are_immutable() -> None:
    bench = make()
    with pytest.raises(ValidationError):
        bench.question = "changed"  # type: ignore[misc]
