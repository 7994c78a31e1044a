"""Functions a space's SQL must not call, because they reach outside the data or the session.

Genie splices snippets, join conditions and example SQL into the queries it writes for every user of the space,
so a file reader or a secret lookup planted there runs with each user's rights. DuckDB blocks such reads at run
time (external access is off) but Databricks does not (`read_files`, `secret` are real), so the check is made on
the sqlglot tree before anything runs, the same on both backends. `DENY_LIST` is the one table of what is refused
and why; identity functions are only a warning (the Genie API docs say nothing against them; row-level
patterns such as `WHERE owner = current_user()` are legitimate, but the answer then depends on who asks).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from sqlglot import exp

from genie_enhance.errors import ReadOnlySqlError, SqlParseError
from genie_enhance.space.lines import join_lines
from genie_enhance.space.model import SerializedSpace
from genie_enhance.space.validation.locate import snippet_items, statements
from genie_enhance.space.validation.problems import Problem
from genie_enhance.space.validation.sql_checks import RELATIONSHIP_MARKERS, parse_condition, parse_expression
from genie_enhance.sql import ensure_read_only

DENIED_CODE = "denied_function"
IDENTITY_CODE = "identity_function"
# Severity of this module's problem codes, for the validation severity table (one line to register).


@dataclass(frozen=True)
class DenyRule:
    name: str  # lower-case function name as written (or `<path table>` for `FROM 'file.csv'` / csv.`/path`)
    kind: str  # file | url | secret | environment | dynamic_sql | external_service | identity
    why: str

    @property
    def code(self) -> str:
        return IDENTITY_CODE if self.kind == "identity" else DENIED_CODE


_FILE = "reads files outside the space's tables"
_DUCK_FILE = "DuckDB file/URL reader: reads files or remote objects outside the space's tables"
_DB_FILE = "Databricks file reader: reads cloud storage, volumes or DBFS outside the space's tables"
_STREAM = "Databricks streaming source: reads a message bus outside the space's tables"
_SECRET = "returns a secret of the workspace or session"
_ENV = "reads the server's environment or settings, which may hold credentials"
_IDENTITY = "answers depend on who asks (the Genie API docs neither allow nor forbid it): review by hand"
PATH_TABLE = "<path table>"

DENY_LIST: tuple[DenyRule, ...] = (
    *(DenyRule(n, "file", _DUCK_FILE) for n in (
        "read_csv", "read_csv_auto", "csv_scan", "read_parquet", "parquet_scan", "parquet_metadata",
        "parquet_schema", "read_json", "read_json_auto", "read_json_objects", "read_json_objects_auto",
        "read_ndjson", "read_ndjson_auto", "read_ndjson_objects", "json_scan", "read_text", "read_blob",
        "read_xlsx", "glob", "iceberg_scan", "iceberg_metadata", "delta_scan", "st_read", "sniff_csv",
    )),
    *(DenyRule(n, "file", _DB_FILE) for n in ("read_files", "cloud_files_state", "read_statestore",
                                                "read_state_metadata")),
    *(DenyRule(n, "file", _STREAM) for n in ("read_kafka", "read_kinesis", "read_pubsub", "read_pulsar")),
    *(DenyRule(n, "url", "reads another database over a connection, outside the space's tables") for n in (
        "postgres_scan", "postgres_query", "mysql_scan", "mysql_query", "sqlite_scan", "remote_query",
    )),
    DenyRule("http_request", "url", "sends an HTTP request from the warehouse (data can leave the workspace)"),
    DenyRule("ai_query", "external_service", "sends rows to a model serving endpoint (data leaves the tables)"),
    DenyRule("query", "dynamic_sql", "DuckDB: runs a SQL string, which hides what the statement really reads"),
    DenyRule("query_table", "dynamic_sql", "DuckDB: reads a table named by a string, hiding what is read"),
    *(DenyRule(n, "secret", _SECRET) for n in ("secret", "try_secret", "list_secrets", "duckdb_secrets",
                                                 "which_secret")),
    *(DenyRule(n, "environment", _ENV) for n in ("getenv", "current_setting", "duckdb_settings",
                                                   "duckdb_extensions")),
    *(DenyRule(n, "identity", _IDENTITY) for n in (
        "current_user", "session_user", "user", "current_role", "is_member", "is_account_group_member",
        "is_role_in_session", "current_recipient",
    )),
    DenyRule(PATH_TABLE, "file", "a string or path used as a table (`FROM 'x.csv'`, csv.`/path`) " + _FILE),
)
RULES = {rule.name: rule for rule in DENY_LIST}
# `csv.`/path``, `parquet.`s3://…``: Databricks reads the path as a table of that format.
_PATH_FORMATS = {"csv", "json", "parquet", "delta", "text", "orc", "avro", "binaryfile", "xml", "cloudfiles"}
_SLASHED = re.compile(r"[/\\]|://")
_PATHLIKE = re.compile(r"[/\\]|://|\.(csv|tsv|txt|parquet|json|jsonl|ndjson|orc|avro|xml|xlsx|gz|zst)$", re.I)


@dataclass(frozen=True)
class DeniedCall:
    rule: DenyRule
    written: str  # the function or path as written in the SQL


def _function_name(node: exp.Func) -> str:
    return (node.name if isinstance(node, exp.Anonymous) else node.sql_name()).lower()


def _path_table(table: exp.Table) -> str | None:
    """The path of a table reference that is really a file (`'x.csv'`, csv.`/p`), else None."""
    name = table.name
    if not name or not isinstance(table.this, exp.Identifier):
        return None
    if table.db and table.db.lower() in _PATH_FORMATS and not table.catalog and _SLASHED.search(name):
        return f"{table.db}.`{name}`"  # a schema merely named `json` holds tables, not paths
    if not table.db and _PATHLIKE.search(name):
        return name
    return None


def denied_calls(tree: exp.Expr) -> list[DeniedCall]:
    """Every call of a `DENY_LIST` function and every path used as a table, in order of appearance."""
    found: list[DeniedCall] = []
    for node in tree.walk():
        if isinstance(node, exp.Func) and (rule := RULES.get(_function_name(node))):
            found.append(DeniedCall(rule, _function_name(node)))
        elif isinstance(node, exp.Table) and (path := _path_table(node)):
            found.append(DeniedCall(RULES[PATH_TABLE], path))
    return found


def _problems(path: str, tree: exp.Expr) -> Iterator[Problem]:
    for call in denied_calls(tree):
        verb = "calls" if call.rule.name != PATH_TABLE else "reads"
        yield Problem(path, call.rule.code, f"{verb} {call.written}: {call.rule.why}")


def sql_trees(space: SerializedSpace) -> Iterator[tuple[str, exp.Expr]]:
    """(json path, parsed tree) of every SQL the space carries: statements, snippets, join conditions.
    SQL that does not parse is skipped (reported by the parse rules)."""
    candidates: list[tuple[str, str, object]] = [(st.path, st.sql, ensure_read_only) for st in statements(space)]
    for path, kind, snippet in snippet_items(space):
        candidates.append((f"{path}.sql", join_lines(snippet.sql),
                           parse_condition if kind == "filters" else parse_expression))
    for i, join in enumerate(space.instructions.join_specs):
        if join.sql and join.sql[0] not in RELATIONSHIP_MARKERS:
            candidates.append((f"instructions.join_specs[{i}].sql[0]", join.sql[0], parse_condition))
    for path, text, parse in candidates:
        if not text.strip():
            continue
        try:
            yield path, parse(text)  # type: ignore[operator]
        except (SqlParseError, ReadOnlySqlError):
            continue


def check_denied_functions(space: SerializedSpace) -> Iterator[Problem]:
    """No SQL of the space calls a function of `DENY_LIST` or reads a path as a table."""
    for path, tree in sql_trees(space):
        yield from _problems(path, tree)
