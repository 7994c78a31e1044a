"""Prompt templates (strict rendering, lessons table, fix schema, anti-copy rule), the LLM judge through the scripted
server, settings from the environment, model selection rules and reply parsing."""

from __future__ import annotations

import jinja2
import pytest
from pydantic import BaseModel, Field

from genie_enhance.errors import ConfigError
from genie_enhance.llm import (
    FailureCase,
    JudgeVerdict,
    LessonRow,
    LLMCall,
    LLMSettings,
    ModelSelector,
    ModelSpec,
    failure_analysis_messages,
    judge_answer,
    render,
)
from genie_enhance.llm.judge import format_rows
from genie_enhance.llm.prompts import PROMPTS_DIR
from genie_enhance.llm.replies import parse_reply, strip_fences
from genie_enhance_tests.support.scripted_openai import text


class AddSynonymFix(BaseModel):
    type: str = "add_synonym"
    table: str
    column: str
    synonym: str = Field(description="the business term users type")


FAILURE = FailureCase(
    id="0123456789abcdef0123456789abcdef",
    question="Which city had the most rides in 2024?",
    expected_sql="SELECT city, COUNT(*) AS n FROM mobility.ops.rides WHERE year(started_at) = 2024 AND fare < 100\n"
    "GROUP BY city ORDER BY n DESC LIMIT 1",
    generated_sql="SELECT COUNT(*) FROM mobility.ops.rides",
    verdict="fail",
    reason="missing_columns",
    category="wrong_aggregation",
    diagnosis="grouping by city is missing",
)
LESSONS = [
    LessonRow(fix_type="add_synonym", failure_category="wrong_column", applied=3, helped=2, hurt=1, mean_delta=0.05),
    LessonRow(fix_type="add_example_sql", failure_category="wrong_join", applied=1, helped=0, hurt=1, mean_delta=-0.1),
    LessonRow(fix_type="add_join", failure_category="wrong_join", applied=0, helped=0, hurt=0),
]


def analysis_prompt(**overrides) -> str:
    context = dict(space_summary="Tables: mobility.ops.rides (city, fare, started_at)", failures=[FAILURE],
                   lessons=LESSONS, fix_schema=AddSynonymFix.model_json_schema(), max_fixes=5)
    context.update(overrides)
    return render("failure_analysis", **context)


# ------------------------------------------------------------------------------------------- templates
def test_failure_analysis_shows_failures_lessons_and_schema():
    prompt = analysis_prompt()
    assert "Which city had the most rides in 2024?" in prompt
    assert "fare < 100" in prompt and "&lt;" not in prompt  # SQL is not HTML-escaped
    assert "SELECT COUNT(*) FROM mobility.ops.rides" in prompt
    assert "**fail** — missing_columns" in prompt and "`wrong_aggregation`" in prompt
    assert "| add_synonym | wrong_column | 3 | 2 | 1 | +0.050 |" in prompt
    assert "| add_example_sql | wrong_join | 1 | 0 | 1 | -0.100 |" in prompt
    assert "| add_join | wrong_join | 0 | 0 | 0 | n/a |" in prompt
    assert '"synonym": {' in prompt and "the business term users type" in prompt
    assert "Never copy a question's expected SQL verbatim" in prompt
    assert "at most 5 configuration fixes" in prompt
    assert '{"fixes": [' in prompt


def test_failure_analysis_without_lessons_or_generated_sql():
    case = FAILURE.model_copy(update={"generated_sql": None, "category": None, "diagnosis": None})
    prompt = analysis_prompt(failures=[case], lessons=[])
    assert "No lessons yet" in prompt and "| fix type |" not in prompt
    assert "Genie generated no SQL." in prompt and "failure category" not in prompt


def test_rendering_is_strict_about_missing_variables():
    with pytest.raises(jinja2.UndefinedError, match="lessons"):
        render("failure_analysis.md.j2", space_summary="s", failures=[], fix_schema={}, max_fixes=3)
    with pytest.raises(jinja2.TemplateNotFound, match="available: .*answer_comparison"):
        render("no_such_prompt")


def test_every_template_renders_its_documented_inputs():
    names = sorted(p.name for p in PROMPTS_DIR.iterdir())
    assert names == ["answer_comparison.md.j2", "failure_analysis.md.j2", "genie_best_practices.md", "json_repair.md.j2"]
    assert render("json_repair", problem="bad", schema_name="X", schema="{}").startswith("Your previous reply")
    comparison = render("answer_comparison", question="q?", expected_sql="SELECT 1", expected_rows="1",
                        actual_sql="", actual_rows="")
    assert "(no SQL)" in comparison and "(no rows)" in comparison


def test_best_practices_prompt_covers_the_levers_and_limits():
    practices = render("genie_best_practices.md")
    for needle in ("SQL expressions (`sql_snippets`)", "usage_guidance", ":parameters", "synonyms", "--rt=",
                   "entity matching", "exactly **one** text instruction", "100 instructions", "200",
                   "30 tables", "32 lowercase hex", "read-only"):
        assert needle in practices, needle
    assert practices.index("sql_snippets") < practices.index("example_question_sqls") < practices.index("Text instructions")


def test_failure_analysis_messages_pair_best_practices_with_the_task():
    system, user = failure_analysis_messages(space_summary="rides", failures=[FAILURE], lessons=LESSONS,
                                             fix_schema=AddSynonymFix.model_json_schema())
    assert system["role"] == "system" and "What helps Genie most" in system["content"]
    assert user["role"] == "user" and FAILURE.question in user["content"] and "at most 8" in user["content"]


# ------------------------------------------------------------------------------------------- judge
def judge_settings(server) -> LLMSettings:
    models = [ModelSpec(name="proposer-model", role="proposer"), ModelSpec(name="judge-model", role="judge")]
    return LLMSettings(base_url=server.base_url, api_key="sk-judge-test", models=models, timeout_s=5)


def test_judge_returns_a_verdict(llm_client, scripted_llm):
    scripted_llm.push(text('{"equivalent": true, "confidence": 0.85, "reason": "Same city and count."}'))
    verdict = judge_answer(
        llm_client(judge_settings(scripted_llm)),
        "Which city had the most rides?",
        "SELECT city, COUNT(*) n FROM rides GROUP BY city ORDER BY n DESC LIMIT 1",
        [("Seoul", 120)],
        "SELECT city AS c, COUNT(*) FROM rides GROUP BY 1 ORDER BY 2 DESC LIMIT 1",
        "Seoul | 120",
    )
    assert verdict == JudgeVerdict(equivalent=True, confidence=0.85, reason="Same city and count.")
    [request] = scripted_llm.requests
    assert request.body["model"] == "judge-model"  # chosen for the judge role
    prompt = request.messages[-1]["content"]
    assert "Which city had the most rides?" in prompt and "GROUP BY 1 ORDER BY 2" in prompt
    assert prompt.count("Seoul | 120") == 2


def test_judge_gives_none_when_the_reply_stays_invalid(llm_client, scripted_llm):
    scripted_llm.push(text('{"equivalent": "maybe", "confidence": 3}'), text("I think they match."))
    verdict = judge_answer(llm_client(judge_settings(scripted_llm)), "q", "SELECT 1", [], None, None)
    assert verdict is None and len(scripted_llm.requests) == 2


def test_row_previews_are_truncated():
    preview = format_rows([(i, None, "x" * 200) for i in range(25)], limit=3)
    lines = preview.splitlines()
    assert lines[0].startswith("0 | NULL | xxx") and lines[0].endswith("…") and len(lines[0]) < 100
    assert lines[-1] == "… 22 more rows" and len(lines) == 4


# ------------------------------------------------------------------------------------------- settings
def test_settings_from_env_with_price_defaults():
    env = {"OPENAI_API_KEY": "sk-env-secret-123", "OPENAI_BASE_URL": "http://proxy:8080/v1",
           "GENIE_ENHANCE_LLM_MODEL": "gpt-4o-mini, my-endpoint"}
    settings = LLMSettings.from_env(env, timeout_s=9)
    assert settings.base_url == "http://proxy:8080/v1" and settings.timeout_s == 9
    assert settings.api_key.get_secret_value() == "sk-env-secret-123"
    mini, custom = settings.models
    assert mini.name == "gpt-4o-mini" and mini.price_known and mini.cost_usd(1_000_000, 0) > 0
    assert custom.name == "my-endpoint" and not custom.price_known and custom.cost_usd(10, 10) is None
    for shown in (repr(settings), str(settings), settings.model_dump_json(), str(settings.model_dump())):
        assert "sk-env-secret-123" not in shown


def test_settings_errors_name_the_variable_or_field():
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        LLMSettings.from_env({})
    with pytest.raises(ValueError, match="repeated: a"):
        LLMSettings(api_key="k", models=[ModelSpec(name="a"), ModelSpec(name="a")])
    defaults = LLMSettings.from_env({"OPENAI_API_KEY": "k"})
    assert defaults.base_url is None and defaults.default_model == "gpt-4o-mini"


# ------------------------------------------------------------------------------------------- selection
def call(model: str, outcome: str, cost: float = 0.001) -> LLMCall:
    return LLMCall(purpose="p", model=model, prompt_hash="h", outcome=outcome, cost_usd=cost)


def test_selector_prefers_the_cheapest_acceptable_model():
    models = [ModelSpec(name="big", input_usd_per_mtok=5, output_usd_per_mtok=15),
              ModelSpec(name="small", input_usd_per_mtok=0.1, output_usd_per_mtok=0.4),
              ModelSpec(name="unpriced")]
    selector = ModelSelector(models, min_valid_rate=0.75, min_observations=4)
    assert selector.choose() == "small"
    for outcome in ("ok", "invalid_reply", "http_error", "timeout", "cache_hit", "repaired"):
        selector.observe(call("small", outcome))
    assert selector.choose() == "small"  # 3 replies (2 valid) < 4 observations: not judged yet
    selector.observe(call("small", "invalid_reply"))
    stats = selector.stats("small")
    assert (stats.replies, stats.valid_rate, stats.calls) == (4, 0.5, 6)
    assert selector.choose() == "big"
    for _ in range(4):
        selector.observe(call("big", "invalid_reply"))
    assert selector.choose() == "unpriced"  # still unjudged, so acceptable despite the unknown price
    for _ in range(4):
        selector.observe(call("unpriced", "invalid_reply"))
    assert selector.choose() == "small"  # none acceptable: best valid rate wins


def test_selector_role_filter():
    selector = ModelSelector([ModelSpec(name="p", role="proposer")])
    assert selector.choose("proposer") == "p" and selector.choose("any") == "p"
    with pytest.raises(ConfigError, match="role 'judge'"):
        selector.choose("judge")


# ------------------------------------------------------------------------------------------- reply parsing
class Pair(BaseModel):
    a: int
    b: list[str]


def test_reply_parsing_variants():
    assert strip_fences('```json\n{"a": 1}\n```') == '{"a": 1}'
    assert strip_fences('```\n{"a": 1}```') == '{"a": 1}'
    assert parse_reply('Sure! {"a": 1, "b": ["x"]} Hope this helps.', Pair)[0] == Pair(a=1, b=["x"])
    assert parse_reply("", Pair) == (None, "the reply was empty")
    assert "one JSON object, got list" in parse_reply("[1, 2]", Pair)[1]
    value, problem = parse_reply('{"a": "x", "b": [1]}', Pair)
    assert value is None and "a: Input should be a valid integer" in problem and "b.0:" in problem
