"""Secrets never reach the tracking store: the `scrub` rules, and the bytes of a store file after real writes."""

from __future__ import annotations

import duckdb
from pydantic import SecretStr

from genie_enhance.llm.config import LLMSettings, spec_for
from genie_enhance.llm.records import LLMCall
from genie_enhance.redact import REDACTED, is_secret_key, scrub, scrub_text
from genie_enhance_tests.tracking.tracking_helpers import proposal, spec, store_at, synonym

API_KEY = "sk-test-9f8e7d6c5b4a39281706f5e4d3c2b1a0"
PAT = "dapi0123456789abcdef0123456789abcdef"


def test_secret_key_names_are_matched_word_by_word():
    for key in ("api_key", "apiKey", "OPENAI_API_KEY", "x-api-key", "access_token", "token", "client_secret",
                "password", "db_password", "Authorization", "private_key", "credentials"):
        assert is_secret_key(key), key
    for key in ("max_tokens", "input_tokens", "tokenizer", "keyword", "monkey", "author", "secretary_name", "model"):
        assert not is_secret_key(key), key


def test_scrub_redacts_nested_values_and_keeps_everything_else():
    settings = {
        "llm": {"api_key": API_KEY, "max_tokens": 512, "models": ["gpt-4o-mini"]},
        "headers": [{"Authorization": "Bearer abcdefghijklmnop"}],
        "databricks": {"host": "https://x.cloud.databricks.com", "token": PAT, "warehouse_id": "w1"},
        "empty_token": None,
        "note": f"connect with {API_KEY} please",
        "password": "",
    }
    clean = scrub(settings)
    assert clean["llm"] == {"api_key": REDACTED, "max_tokens": 512, "models": ["gpt-4o-mini"]}
    assert clean["headers"] == [{"Authorization": REDACTED}]
    assert clean["databricks"] == {"host": "https://x.cloud.databricks.com", "token": REDACTED, "warehouse_id": "w1"}
    assert clean["empty_token"] is None and clean["password"] == ""  # nothing to hide
    assert clean["note"] == f"connect with {REDACTED} please"  # token-shaped text anywhere
    assert settings["llm"]["api_key"] == API_KEY  # the input is not modified


def test_scrub_removes_known_secret_values_under_any_key():
    secret = "hunter2-correct-horse"
    data = {"comment": secret, "list": ["a", f"x{secret}y"], "nested": {"k": (secret,)}, "n": 3}
    assert scrub(data, secrets={secret}) == {
        "comment": REDACTED, "list": ["a", f"x{REDACTED}y"], "nested": {"k": [REDACTED]}, "n": 3,
    }
    assert scrub_text("Bearer eyJhbGciOiJIUzI1NiJ9.payload") == REDACTED
    assert scrub_text("just text", {"ab"}) == "just text"  # short secrets only redact exact matches
    assert scrub("ab", {"ab"}) == REDACTED


def test_scrub_handles_pydantic_models_and_secret_str():
    settings = LLMSettings(api_key=SecretStr(API_KEY), models=[spec_for("gpt-4o-mini")])
    clean = scrub({"llm": settings, "raw": SecretStr("zzz-secret-zzz")})
    assert clean["llm"]["api_key"] == REDACTED and clean["raw"] == REDACTED
    assert clean["llm"]["models"][0]["name"] == "gpt-4o-mini"


def test_no_secret_reaches_the_store_file(tmp_path):
    extra_secret = "wh-secret-7d1c9e2b"
    store = store_at(tmp_path, secrets={extra_secret})
    marker = "visible-setting-4b2a"  # control: proves plain settings text does land in the file
    store.start_campaign(spec(settings={
        "llm": {"api_key": API_KEY, "base_url": "https://llm.example"}, "databricks_token": PAT,
        "warehouse": extra_secret, "label": marker,
    }))
    store.record_event("camp-1", "error", f"call failed with key {API_KEY}", data={"password": "pw-1234567",
                                                                                  "header": f"Bearer {PAT}"})
    store.record_llm_call(LLMCall(id="c1", purpose="p", model="m", prompt_hash="ph", outcome="http_error",
                                  error=f"401 for token {extra_secret}"), "camp-1", 0)
    store.record_fixes("camp-1", 0, [(proposal(synonym("sales"), rationale=f"seen {API_KEY}"), "rejected",
                                      f"leaked {PAT}")])

    assert store.campaign("camp-1").settings["llm"]["api_key"] == REDACTED
    with duckdb.connect(str(store.path), read_only=True) as conn:
        dump = "\n".join(
            str(row)
            for (table,) in conn.execute("SELECT table_name FROM information_schema.tables").fetchall()
            for row in conn.execute(f"SELECT * FROM {table}").fetchall()
        )
    files = [p for p in tmp_path.iterdir() if p.name.startswith("tracking.duckdb")]
    raw = b"".join(p.read_bytes() for p in files)
    assert marker in dump and marker.encode() in raw
    for secret in (API_KEY, PAT, extra_secret, "pw-1234567"):
        assert secret not in dump
        assert secret.encode() not in raw
