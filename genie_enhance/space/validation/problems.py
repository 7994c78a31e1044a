"""What a validation rule reports: one problem, located by the JSON path of the offending value, and the one table
saying how severe each kind of problem is.

Why severities: a space exported by the server must judge as valid unless the API would reject it on update, so
only rules with evidence of rejection (genie_api.md §1) are errors; uncertain rules and advice are warnings, which
are printed but never fail `validate-space` and never drop a fix. Rules that concern SQL Genie runs (it must parse,
be read-only and run on the warehouse) are errors too: the API stores such SQL, but every answer built on it
breaks, so we never write it and never start a campaign on it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from enum import Enum
from typing import Any


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"


E, W = Severity.ERROR, Severity.WARNING

# code -> (severity, evidence or why). Adding a rule is one line here (and one row in the README table).
RULES: dict[str, tuple[Severity, str]] = {
    "format": (E, "§1.2: serialized_space is parsed into a proto; wrong types or shapes are rejected"),
    "version": (E, "§1.1: version is required, 1 or 2"),
    "missing_id": (E, "§1.11: every item has an id"),
    "invalid_id": (E, "§1.11: ids are 32 lowercase hex"),
    "duplicate_id": (E, "§1.11: ids are unique per pool"),
    "unsorted": (E, "§1.11: deploy logs show v1 updates rejected for unsorted tables, metric views, column "
                    "configs and SQL functions (v2: reported by 3P validators)"),
    "unsorted_unverified": (W, "§1.11: reported (3P) but no rejection seen; we write it sorted"),
    "too_many_text_instructions": (E, "§1.5: at most one text instruction (SDK)"),
    "too_many_answers": (E, "§1.10: at most one answer per benchmark (SDK)"),
    "answer_format": (E, '§1.10: answer format must be "SQL"'),
    "table_identifier": (E, "§1.4: identifiers are catalog.schema.table"),
    "duplicate_table": (E, "§1.11: (table identifier, column_name) is unique"),
    "duplicate_column": (E, "§1.11: (table identifier, column_name) is unique"),
    "v1_column_flag": (E, "§1.4: v2 spaces reject the v1 column flag names"),
    "entity_matching_without_format_assistance": (E, "§1.4: entity matching requires format assistance"),
    "entity_matching_limit": (E, "§1.11: at most 120 entity-matching columns"),
    "join_alias": (E, "§1.8: the proto parser rejects joins without left/right aliases"),
    "join_table": (E, "§1.8: a join relates two tables of the space"),
    "join_sql_shape": (E, "§1.8: without the --rt= element the API rejects the join"),
    "join_marker": (E, "§1.8: the relationship marker is one of four"),
    "join_condition": (E, "§1.8: equalities between the two aliases (compound AND is accepted: server exports)"),
    "filter_where": (E, "§1.9: a filter is written without WHERE"),
    "snippet_sql": (E, "§1.9: Genie splices the snippet into its SQL; one that does not parse breaks it"),
    "snippet_alias": (W, "§1.9 lists alias for expressions, but server exports omit it (measures: accepted)"),
    "measure_without_aggregate": (W, "advice: a measure is an aggregate"),
    "expression_with_aggregate": (W, "advice: an aggregating expression belongs in measures"),
    "sql_empty": (E, "Genie runs this SQL; empty SQL is no example"),
    "sql_parse": (E, "Genie runs this SQL; it does not parse"),
    "sql_not_read_only": (E, "our safety rule: a space only carries one read-only statement"),
    "joined_lines": (E, "§1.2: lines are concatenated without separator; glued keywords break the SQL"),
    "joined_text_lines": (W, "§1.2: lines are concatenated without separator; words run together"),
    "template_placeholder": (E, "a ${…}/{{…}} template is not a deployable space: render it first"),
    "undeclared_parameter": (E, "§1.6: the SQL uses :name, so parameters must declare it"),
    "unused_parameter": (W, "advice: a declared parameter the SQL never uses"),
    "instruction_budget": (E, "§1.11: at most 100 instructions"),
    "snippet_budget": (E, "§1.11: at most 200 snippets"),
    "table_budget": (E, "§1.11: at most 30 tables and metric views"),
    "no_tables": (E, "§1.1: a space needs at least one table"),
    "string_too_long": (E, "§1.11: strings up to 25,000 characters"),
    "array_too_long": (E, "§1.11: arrays up to 10,000 items"),
    "unknown_table": (E, "§1.4: tables must exist (and SQL must name real tables)"),
    "unknown_column": (E, "§1.4: configured columns must exist (and SQL must name real columns)"),
    "sql_execution": (E, "Genie runs this SQL; it fails on the warehouse"),
    "snippet_execution": (E, "Genie splices the snippet into its SQL; run in context (LIMIT 0) it "
                                  "fails on the warehouse"),
    "join_execution": (E, "Genie joins with this condition; run in context (LIMIT 0) it fails on the warehouse"),
    "denied_function": (E, "our safety rule: SQL a space carries never reads files, URLs, secrets "
                                "or the environment (deny.py DENY_LIST)"),
    "identity_function": (W, "identity functions (current_user, is_member) make answers depend on "
                                  "who asks; the API docs say nothing either way"),
}


@dataclass(frozen=True)
class Problem:
    """One reason a space would be rejected (or would misbehave); `path` is e.g. `benchmarks.questions[0].id`."""

    path: str
    code: str
    message: str

    @property
    def severity(self) -> Severity:
        """From `RULES`; a code missing there counts as an error (a test keeps the table complete)."""
        return RULES.get(self.code, (E, ""))[0]

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "severity": self.severity.value}


def errors(problems: Iterable[Problem]) -> list[Problem]:
    return [p for p in problems if p.is_error]


def warnings(problems: Iterable[Problem]) -> list[Problem]:
    return [p for p in problems if not p.is_error]


def problems_from_format_error(problems: list[str]) -> list[Problem]:
    """`SpaceFormatError.problems` (`"path: message"` strings) as `Problem`s, so parse errors report like the rest."""
    out = []
    for text in problems:
        path, sep, message = text.partition(": ")
        out.append(Problem(path, "format", message) if sep else Problem("$", "format", text))
    return out
