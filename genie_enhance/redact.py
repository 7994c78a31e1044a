"""Remove secrets from anything the tracking store is about to write.

Why: the store is a plain file that gets copied, attached to reports and read by LLM prompts (lessons), so an
API key that slips into a settings dict or an error message would leak. Two independent nets: values under keys
that *name* a secret (`api_key`, `access_token`, `Authorization`, …), and any text equal to or containing a
known secret value (the `secrets` set) or shaped like a well-known token (Databricks PAT, OpenAI key, bearer).
Keys are matched word by word, so counters such as `max_tokens` or `input_tokens` are kept.
A top-level module because both the tracking store and space validation (whose SQL errors may echo a
credential) scrub with it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel, SecretBytes, SecretStr

REDACTED = "[redacted]"

SECRET_WORDS = frozenset(
    {"token", "secret", "password", "passwd", "authorization", "apikey", "credential", "credentials"}
)
SECRET_WORD_PAIRS = frozenset({("api", "key"), ("private", "key"), ("access", "key"), ("secret", "key")})
TOKEN_PATTERNS = (
    re.compile(r"\bdapi[0-9a-f]{32}(?:-\d+)?\b"),  # Databricks personal access token
    re.compile(r"\bsk-[A-Za-z0-9_\-]{20,}"),  # OpenAI-style API key
    re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._\-~+/]{8,}=*"),  # Authorization header value
)
_MIN_SUBSTRING = 4  # shorter secrets are only redacted where a value equals them (no accidental mass edits)


def key_words(key: str) -> list[str]:
    """`clientSecret` / `X-Api-Key` / `api_key` → lower-case words (`["client", "secret"]`, …)."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", key)
    return [w for w in re.split(r"[^a-z0-9]+", spaced.lower()) if w]


def is_secret_key(key: object) -> bool:
    """Whether a mapping key names a secret (word-wise: `access_token` yes, `max_tokens` no)."""
    if not isinstance(key, str):
        return False
    words = key_words(key)
    return any(w in SECRET_WORDS for w in words) or any(pair in SECRET_WORD_PAIRS for pair in zip(words, words[1:]))


def scrub_text(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with every known secret value and every token-shaped substring replaced by `[redacted]`."""
    for secret in secrets:
        if not secret:
            continue
        if text == secret:
            return REDACTED
        if len(secret) >= _MIN_SUBSTRING and secret in text:
            text = text.replace(secret, REDACTED)
    for pattern in TOKEN_PATTERNS:
        text = pattern.sub(REDACTED, text)
    return text


def scrub(obj: Any, secrets: Iterable[str] = ()) -> Any:
    """A JSON-ready copy of `obj` (dicts, lists, pydantic models, scalars) with secrets removed; `obj` is unchanged.

    Values under secret-looking keys become `[redacted]` (the key stays, so a reader sees a setting was given);
    `SecretStr`/`SecretBytes` values are always redacted; strings are passed through `scrub_text`.
    """
    return _scrub(obj, tuple(s for s in secrets if s))


def _scrub_value(key: object, value: Any, secrets: tuple[str, ...]) -> Any:
    return REDACTED if is_secret_key(key) and value not in (None, "") else _scrub(value, secrets)


def _scrub(obj: Any, secrets: tuple[str, ...]) -> Any:
    if isinstance(obj, (SecretStr, SecretBytes)):
        return REDACTED
    if isinstance(obj, BaseModel):
        return _scrub(obj.model_dump(mode="json"), secrets)
    if isinstance(obj, Mapping):
        return {_scrub(k, secrets): _scrub_value(k, v, secrets) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        items = sorted(obj, key=repr) if isinstance(obj, (set, frozenset)) else obj
        return [_scrub(v, secrets) for v in items]
    if isinstance(obj, str):
        return scrub_text(obj, secrets)
    if isinstance(obj, bytes):
        return _scrub(obj.decode("utf-8", errors="replace"), secrets)
    return obj
