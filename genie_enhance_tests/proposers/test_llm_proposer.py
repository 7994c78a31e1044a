"""LLMProposer and the judge review, end to end through the real `openai` client against the scripted
chat-completions server, on a small real space over a real DuckDB warehouse."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from genie_enhance.backends.local.warehouse import DuckDBWarehouse
from genie_enhance.benchmarks.model import Benchmark
from genie_enhance.diagnosis import diagnose
from genie_enhance.llm import LLMSettings, ModelSpec
from genie_enhance.proposers.base import Proposer, ProposerContext
from genie_enhance.proposers.lessons import Lesson
from genie_enhance.proposers.llm_proposer import LLMProposer
from genie_enhance.scoring.categories import FailureCategory
from genie_enhance.scoring.judge_review import review_needs_review
from genie_enhance.scoring.runner import QuestionResult
from genie_enhance.scoring.verdicts import Reason, Verdict
from genie_enhance.space.fixes import AddSqlSnippet, AddSynonym, apply_fixes, parse_fix
from genie_enhance.space.ids import stable_id
from genie_enhance.space.io import parse_space
from genie_enhance.space.validation import validate_space
from genie_enhance_tests.support.fixes_helpers import CUSTOMERS, ORDERS, small_space_dict
from genie_enhance_tests.support.scripted_openai import ScriptedOpenAI, delay, status, text

MODEL = "proposer-model"
Q_REV, Q_REGION, Q_SLOW = stable_id("q_rev"), stable_id("q_region"), stable_id("q_slow")
HOLDOUT = Benchmark(
    id=stable_id("h_emea"), question="How many distinct EMEA customers placed an order in January?",
    expected_sql="SELECT COUNT(DISTINCT customer_id) FROM demo.commerce.orders WHERE customer_id = 10", source="t:1",
)
SHIPPED_FILTER = {
    "type": "add_sql_snippet", "kind": "filter", "sql": "orders.status = 'shipped'", "display_name": "shipped orders",
    "synonyms": ["dispatched"], "rationale": "misses the status filter", "question_ids": [Q_REV],
}
TERRITORY = {
    "type": "add_synonym", "table": CUSTOMERS, "column": "region", "synonym": "sales territory",
    "rationale": "users say territory for region", "question_ids": [Q_REGION],
}


# ---------------------------------------------------------------------------------------------- builders
def settings_for(server: ScriptedOpenAI, **overrides) -> LLMSettings:
    values = dict(
        base_url=server.base_url, api_key="sk-test-proposer-0123456789",
        models=[ModelSpec(name=MODEL, input_usd_per_mtok=1.0, output_usd_per_mtok=2.0)],
        timeout_s=5, max_retries=3, backoff_initial_s=0.01, backoff_max_s=0.05,
    )
    values.update(overrides)
    return LLMSettings(**values)


@pytest.fixture
def warehouse(tmp_path: Path):
    path = tmp_path / "demo.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA commerce")
    con.execute("CREATE TABLE commerce.orders (order_id INT, customer_id INT, product_id INT, amt_usd DOUBLE, "
                "legacy_amt DOUBLE, status VARCHAR, order_ts TIMESTAMP)")
    con.execute("INSERT INTO commerce.orders VALUES (1, 10, 100, 25.0, 25.0, 'shipped', '2024-01-05'), "
                "(2, 11, 100, 40.0, 40.0, 'pending', '2024-02-01'), (3, 10, 100, 5.5, 5.5, 'shipped', '2024-03-01')")
    con.execute("CREATE TABLE commerce.customers AS SELECT * FROM (VALUES (10, 'EMEA'), (11, 'AMER')) t(customer_id, region)")
    con.execute("CREATE TABLE commerce.products AS SELECT * FROM (VALUES (100, 'Widget')) t(product_id, name)")
    con.close()
    wh = DuckDBWarehouse(path, catalog="demo")
    yield wh
    wh.close()


def failed(qid: str, question: str, expected: str, generated: str | None) -> QuestionResult:
    return QuestionResult(
        id=qid, question=question, role="train", expected_sql=expected, generated_sql=generated, verdict=Verdict.FAIL,
        reason=Reason.VALUE_DIFFERENCE, category=FailureCategory.WRONG_RESULT, details="values differ",
    )


def make_context(warehouse: DuckDBWarehouse, **overrides) -> ProposerContext:
    data = small_space_dict()
    # the space's own benchmark section holds the holdout question: it must not reach the prompt either
    data["benchmarks"]["questions"] = [{"id": "60000000000000000000000000000001", "question": [HOLDOUT.question],
                                        "answer": [{"format": "SQL", "content": [HOLDOUT.expected_sql]}]}]
    space, catalog = parse_space(data), warehouse.catalog()
    results = [
        failed(Q_REV, "What is the revenue from shipped orders?",
               f"SELECT SUM(amt_usd) FROM {ORDERS} WHERE status = 'shipped'", f"SELECT SUM(amt_usd) FROM {ORDERS}"),
        failed(Q_REGION, "Revenue per sales territory?",
               f"SELECT c.region, SUM(o.amt_usd) FROM {ORDERS} o JOIN {CUSTOMERS} c ON o.customer_id = c.customer_id "
               "GROUP BY c.region", f"SELECT o.status, SUM(o.amt_usd) FROM {ORDERS} o GROUP BY o.status"),
    ]
    failures = [(r, diagnose(r, catalog, space)) for r in results]
    assert all(d is not None for _, d in failures)
    values = dict(space=space, catalog=catalog, warehouse=warehouse, train_failures=failures, iteration=1, lessons=[
        Lesson(fix_type="add_sql_snippet", category="wrong_filter", applied=4, helped=3, hurt=1, mean_delta=0.0625,
               examples=[]),
    ])
    values.update(overrides)
    return ProposerContext(**values)


def fix_of(item: dict):
    """The typed fix of a reply item (without its rationale and question ids)."""
    return parse_fix({k: v for k, v in item.items() if k not in ("rationale", "question_ids")})


def reply(*items: object, notes: str = "two causes") -> str:
    return json.dumps({"fixes": list(items), "notes": notes})


# ---------------------------------------------------------------------------------------------- proposals
def test_good_reply_gives_two_proposals_that_apply_cleanly(llm_client, scripted_llm, warehouse):
    scripted_llm.push(text(reply(SHIPPED_FILTER, TERRITORY)))
    client = llm_client(settings_for(scripted_llm))
    proposer = LLMProposer(client)
    ctx = make_context(warehouse)
    proposals = proposer.propose(ctx)

    assert isinstance(proposer, Proposer) and proposer.name == f"llm:{MODEL}"
    assert [type(p.fix) for p in proposals] == [AddSqlSnippet, AddSynonym]
    snippet, synonym = proposals
    assert snippet.question_ids == [Q_REV] and snippet.rationale == "misses the status filter"
    assert snippet.category is FailureCategory.WRONG_FILTER and synonym.category is FailureCategory.WRONG_JOIN
    assert synonym.fix == AddSynonym(table=CUSTOMERS, column="region", synonym="sales territory")
    assert {p.proposer for p in proposals} == {f"llm:{MODEL}"}
    assert Q_REGION in synonym.expected_effect
    assert proposer.last_rejections == [] and proposer.last_error is None
    assert proposer.last_run.notes == ["two causes"]
    assert [c.purpose for c in client.calls] == ["propose"]
    # the two fixes together apply and add no validation problem
    after = apply_fixes(ctx.space, [p.fix for p in proposals])
    before_problems = {str(p) for p in validate_space(ctx.space, catalog=ctx.catalog)}
    assert {str(p) for p in validate_space(after, catalog=ctx.catalog)} <= before_problems


def test_malformed_json_then_valid_repair_gives_proposals(llm_client, scripted_llm, warehouse):
    scripted_llm.push(text(reply(SHIPPED_FILTER)[:-5]), text(reply(SHIPPED_FILTER)))
    client = llm_client(settings_for(scripted_llm))
    proposer = LLMProposer(client)
    proposals = proposer.propose(make_context(warehouse))

    assert [p.question_ids for p in proposals] == [[Q_REV]]
    assert [c.outcome for c in client.calls] == ["invalid_reply", "repaired"]
    assert {c.purpose for c in client.calls} == {"propose"}
    repair = scripted_llm.requests[1].messages[-1]["content"]
    assert "ProposerReply" in repair and "question_ids" in repair  # the item schema travels with the repair


def test_malformed_twice_gives_no_proposals_and_a_reason(llm_client, scripted_llm, warehouse):
    scripted_llm.push(text("I think you should add a synonym."), text("{fixes: [oops"))
    proposer = LLMProposer(llm_client(settings_for(scripted_llm)))
    assert proposer.propose(make_context(warehouse)) == []
    assert "no usable reply" in proposer.last_error and "still invalid after one repair attempt" in proposer.last_error
    assert len(scripted_llm.requests) == 2


def test_only_valid_items_are_kept_and_the_others_recorded_with_reasons(llm_client, scripted_llm, warehouse):
    unknown_type = {"type": "rename_table", "table": ORDERS, "new_name": "sales", "rationale": "r",
                    "question_ids": [Q_REV]}
    missing_table = {"type": "add_synonym", "table": "demo.commerce.refunds", "column": "amount", "synonym": "refund",
                     "rationale": "r", "question_ids": [Q_REV]}
    holdout_target = {**TERRITORY, "synonym": "EMEA customers", "question_ids": [Q_REGION, HOLDOUT.id]}
    scripted_llm.push(text(reply(unknown_type, SHIPPED_FILTER, missing_table, holdout_target)))
    proposer = LLMProposer(llm_client(settings_for(scripted_llm)))
    proposals = proposer.propose(make_context(warehouse))

    assert [p.fix for p in proposals] == [fix_of(SHIPPED_FILTER)]
    rejected = proposer.last_rejections
    assert [item for item, _ in rejected] == [unknown_type, missing_table, holdout_target]
    reasons = [reason for _, reason in rejected]
    assert "type" in reasons[0] and "rename_table" in reasons[0]
    assert "demo.commerce.refunds" in reasons[1] and "not in the space" in reasons[1]
    assert HOLDOUT.id in reasons[2] and "holdout or unknown" in reasons[2] and Q_REGION not in reasons[2]
    assert proposer.last_error is None


def test_blocked_noop_duplicate_and_incomplete_items_are_dropped(llm_client, scripted_llm, warehouse):
    already_there = {"type": "add_synonym", "table": ORDERS, "column": "amt_usd", "synonym": "Amount",
                     "rationale": "r", "question_ids": [Q_REV]}
    no_rationale = {k: v for k, v in TERRITORY.items() if k != "rationale"}
    nested = {"fix": {k: v for k, v in TERRITORY.items() if k not in ("rationale", "question_ids")},
              "rationale": "nested form", "question_ids": [Q_REGION]}
    blocked = fix_of(SHIPPED_FILTER).key
    scripted_llm.push(text(reply(SHIPPED_FILTER, already_there, no_rationale, nested, TERRITORY, "add a join")))
    proposer = LLMProposer(llm_client(settings_for(scripted_llm)))
    proposals = proposer.propose(make_context(warehouse, blocked_keys={blocked}))

    assert [(p.rationale, p.question_ids) for p in proposals] == [("nested form", [Q_REGION])]
    reasons = [reason for _, reason in proposer.last_rejections]
    assert len(reasons) == 5
    assert "blocked" in reasons[0]
    assert "changes nothing" in reasons[1]
    assert "rationale" in reasons[2] and "Field required" in reasons[2]
    assert "duplicate" in reasons[3]
    assert "must be a JSON object" in reasons[4]


def test_fixes_per_reply_are_capped(llm_client, scripted_llm, warehouse):
    scripted_llm.push(text(reply(SHIPPED_FILTER, TERRITORY)))
    proposer = LLMProposer(llm_client(settings_for(scripted_llm)), max_fixes_per_call=1)
    assert len(proposer.propose(make_context(warehouse))) == 1
    [(item, reason)] = proposer.last_rejections
    assert item == TERRITORY and "limit of 1" in reason
    assert "at most 1 configuration fixes" in scripted_llm.requests[0].messages[-1]["content"]


@pytest.mark.parametrize("first", [status(429, headers={"Retry-After": "0"}), status(500)], ids=["429", "500"])
def test_retryable_error_then_success(llm_client, scripted_llm, warehouse, first):
    scripted_llm.push(first, text(reply(SHIPPED_FILTER)))
    client = llm_client(settings_for(scripted_llm))
    proposer = LLMProposer(client)
    assert len(proposer.propose(make_context(warehouse))) == 1
    assert [(c.outcome, c.status_code, c.attempt) for c in client.calls] == [
        ("http_error", first.code, 1), ("ok", 200, 2)]
    assert proposer.last_run.calls == client.calls and proposer.last_error is None


def test_timeout_then_success(llm_client, scripted_llm, warehouse):
    scripted_llm.push(delay(1.0, then=text(reply())), text(reply(TERRITORY)))
    client = llm_client(settings_for(scripted_llm, timeout_s=0.3))
    proposals = LLMProposer(client).propose(make_context(warehouse))
    assert [p.question_ids for p in proposals] == [[Q_REGION]]
    assert [c.outcome for c in client.calls] == ["timeout", "ok"]


def test_endpoint_down_gives_no_proposals_and_a_reason(llm_client, scripted_llm, warehouse):
    scripted_llm.push(*[status(500) for _ in range(5)])
    client = llm_client(settings_for(scripted_llm, max_retries=2))
    proposer = LLMProposer(client, max_failures_per_call=1)  # two chunks: the second is not even tried
    assert proposer.propose(make_context(warehouse)) == []
    assert "no proposals from the LLM" in proposer.last_error and "HTTP 500" in proposer.last_error
    assert len(scripted_llm.requests) == 3 and [c.outcome for c in client.calls] == ["http_error"] * 3


def test_budget_reached_gives_no_proposals_and_sends_nothing(llm_client, scripted_llm, warehouse):
    proposer = LLMProposer(llm_client(settings_for(scripted_llm, budget_usd=0.0)))
    assert proposer.propose(make_context(warehouse)) == []
    assert "budget reached" in proposer.last_error
    assert scripted_llm.requests == []


def test_prompt_has_lessons_schema_and_train_failures_but_no_holdout(llm_client, scripted_llm, warehouse):
    scripted_llm.push(text(reply()))
    proposer = LLMProposer(llm_client(settings_for(scripted_llm)))
    timeout = QuestionResult(id=Q_SLOW, question="Which product sells best on Tuesdays?", role="train",
                             expected_sql=f"SELECT 1 FROM {ORDERS}", verdict=Verdict.ERROR,
                             category=FailureCategory.TIMEOUT, genie_error="timed out")
    ctx = make_context(warehouse)
    ctx.train_failures.append((timeout, diagnose(timeout, ctx.catalog, ctx.space)))
    assert proposer.propose(ctx) == [] and proposer.last_error is None

    [request] = scripted_llm.requests
    system_prompt, user_prompt = (m["content"] for m in request.messages)
    assert "Genie space" in system_prompt
    assert "What is the revenue from shipped orders?" in user_prompt and "Revenue per sales territory?" in user_prompt
    assert "SELECT SUM(amt_usd) FROM demo.commerce.orders WHERE status = 'shipped'" in user_prompt
    assert "| add_sql_snippet | wrong_filter | 4 | 3 | 1 | +0.062 |" in user_prompt  # the lessons table
    assert '"question_ids"' in user_prompt and '"add_example_sql"' in user_prompt  # the item schema
    assert "sales territory" not in user_prompt.split("# Questions")[0]  # the summary is the space's, not ours
    assert "amt_usd DOUBLE (synonyms: amount" in user_prompt and "legacy_amt DOUBLE [exclude]" in user_prompt
    assert "SUM(orders.amt_usd)" in user_prompt  # existing snippet
    raw = request.raw.decode("utf-8")
    assert "EMEA customers placed an order" not in raw and "COUNT(DISTINCT customer_id)" not in raw
    assert HOLDOUT.id not in raw
    assert "Tuesdays" not in raw  # service failures say nothing about the space


def test_failures_are_chunked_and_ids_checked_per_call(llm_client, scripted_llm, warehouse):
    cross = {**TERRITORY, "question_ids": [Q_REGION]}
    scripted_llm.push(text(reply(cross)), text(reply(TERRITORY)))
    proposer = LLMProposer(llm_client(settings_for(scripted_llm)), max_failures_per_call=1)
    proposals = proposer.propose(make_context(warehouse))

    first, second = (r.messages[-1]["content"] for r in scripted_llm.requests)
    questions = [text.split("# Lessons")[0] for text in (first, second)]
    assert "shipped orders?" in questions[0] and "Revenue per sales territory?" not in questions[0]
    assert "Revenue per sales territory?" in questions[1] and "shipped orders?" not in questions[1]
    assert [p.question_ids for p in proposals] == [[Q_REGION]]
    [(_, reason)] = proposer.last_rejections  # q_region was not shown in the first call (wrong_filter chunk)
    assert Q_REGION in reason


def test_cost_is_recorded(llm_client, scripted_llm, warehouse):
    scripted_llm.push(text(reply(SHIPPED_FILTER), prompt_tokens=1000, completion_tokens=200))
    seen = []
    client = llm_client(settings_for(scripted_llm), on_call=seen.append)
    proposer = LLMProposer(client)
    proposer.propose(make_context(warehouse))
    expected = (1000 * 1.0 + 200 * 2.0) / 1_000_000
    assert proposer.last_run.cost_usd == pytest.approx(expected)
    assert client.total_cost_usd() == pytest.approx(expected)
    assert [(c.purpose, c.input_tokens, c.output_tokens, c.cost_known) for c in seen] == [("propose", 1000, 200, True)]


# ---------------------------------------------------------------------------------------------- judge review
def review_case(qid: str, verdict: Verdict, generated: str) -> QuestionResult:
    return QuestionResult(id=qid, question="Orders of customer 99?", role="train",
                          expected_sql=f"SELECT order_id FROM {ORDERS} WHERE customer_id = 99",
                          generated_sql=generated, verdict=verdict, reason=Reason.EMPTY_EXPECTED)


def test_judge_review_returns_the_scripted_verdict_and_changes_nothing(llm_client, scripted_llm, warehouse):
    scripted_llm.push(text('{"equivalent": false, "confidence": 0.8, "reason": "the filters differ"}'))
    client = llm_client(settings_for(scripted_llm))
    review = review_case("q_empty", Verdict.NEEDS_REVIEW, f"SELECT order_id, status FROM {ORDERS} WHERE amt_usd > 30")
    passed = review_case("q_ok", Verdict.PASS, f"SELECT order_id FROM {ORDERS} WHERE customer_id = 99")
    verdicts = review_needs_review([passed, review], client, warehouse)

    assert set(verdicts) == {"q_empty"}
    assert verdicts["q_empty"].equivalent is False and verdicts["q_empty"].reason == "the filters differ"
    assert review.verdict is Verdict.NEEDS_REVIEW  # advisory: the caller decides
    [request] = scripted_llm.requests
    prompt = request.messages[-1]["content"]
    assert "order_id | status" in prompt and "2 | pending" in prompt  # the generated result's preview
    assert "(no rows)" in prompt  # the expected result is empty
    assert [c.purpose for c in client.calls] == ["judge"]


def test_judge_review_stops_quietly_when_the_endpoint_is_down(llm_client, scripted_llm, warehouse):
    scripted_llm.push(text('{"equivalent": true, "confidence": 0.9, "reason": "same"}'), *[status(503)] * 3)
    client = llm_client(settings_for(scripted_llm, max_retries=1))
    cases = [review_case(f"q{i}", Verdict.NEEDS_REVIEW, f"SELECT order_id FROM {ORDERS} WHERE order_id > {i}")
             for i in range(4)]
    verdicts = review_needs_review(cases, client, warehouse, max_questions=3)
    assert list(verdicts) == ["q0"] and verdicts["q0"].equivalent is True
    assert len(scripted_llm.requests) == 3  # q0, then q1 twice (one retry); q2 never asked


def test_a_model_that_keeps_sending_replies_beyond_the_limits_is_not_asked_again(llm_client, scripted_llm, warehouse):
    """Each reply breaks a JSON decoder (deep nesting, a 5000-digit integer, a lone surrogate): each is dropped with
    the reason and counts as an invalid reply, so once the model's valid-reply rate is judged (3 replies) the
    proposer stops asking it instead of paying for the next one."""
    scripted_llm.push(text("[" * 20_000 + "]" * 20_000), text('{"fixes": [], "notes": "", "n": 1' + "0" * 5000 + "}"),
                      text('{"fixes": [], "notes": "\\ud800"}'), text(reply(TERRITORY)))
    proposer = LLMProposer(llm_client(settings_for(scripted_llm, max_retries=0)))
    for round_ in range(3):
        assert proposer.propose(make_context(warehouse, iteration=round_ + 1)) == []
        assert "beyond the parser's limits" in proposer.last_error
    assert len(scripted_llm.requests) == 3  # no repair round trips
    assert proposer.propose(make_context(warehouse, iteration=4)) == []
    assert len(scripted_llm.requests) == 3 and scripted_llm.remaining == 1
    assert "keeps sending unusable replies (0 valid of 3" in proposer.last_error
