"""LLM layer: an OpenAI-compatible client with cost/latency accounting, caching, bounded retries and validated JSON
replies; model selection; prompt templates; and the optional answer judge."""

from genie_enhance.llm.cache import ResponseCache, cache_key
from genie_enhance.llm.client import LLMClient
from genie_enhance.llm.config import DEFAULT_PRICES_USD_PER_MTOK, LLMSettings, ModelSpec, Role, spec_for
from genie_enhance.llm.errors import BudgetExceededError, LLMError, LLMUnavailableError
from genie_enhance.llm.judge import JudgeVerdict, judge_answer
from genie_enhance.llm.prompts import FailureCase, LessonRow, failure_analysis_messages, render
from genie_enhance.llm.records import CallOutcome, JsonReply, LLMCall, ReplyOutcome
from genie_enhance.llm.selection import ModelSelector, ModelStats

__all__ = [
    "BudgetExceededError",
    "CallOutcome",
    "DEFAULT_PRICES_USD_PER_MTOK",
    "FailureCase",
    "JsonReply",
    "JudgeVerdict",
    "LLMCall",
    "LLMClient",
    "LLMError",
    "LLMSettings",
    "LLMUnavailableError",
    "LessonRow",
    "ModelSelector",
    "ModelSpec",
    "ModelStats",
    "ReplyOutcome",
    "ResponseCache",
    "Role",
    "cache_key",
    "failure_analysis_messages",
    "judge_answer",
    "render",
    "spec_for",
]
