"""Example SQL fixes: a question with its known-good SQL, optionally parameterised (a "trusted asset").

Decision on an example whose question already exists (same text up to case and whitespace): if its SQL is the
same (`normalize_sql`), the fix is a no-op; if the SQL differs, the existing example is *updated in place* (its
SQL, parameters and, when given, usage guidance are replaced; its id is kept). Two examples giving different SQL
for one question would only teach Genie a contradiction.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlglot import exp

from genie_enhance.errors import FixError, ReadOnlySqlError, SqlParseError
from genie_enhance.space.fixes.base import FixBase, NonEmpty, fold, instruction_ids, set_fields, short, sorted_by_id
from genie_enhance.space.ids import unique_id
from genie_enhance.space.lines import join_lines, split_lines
from genie_enhance.space.model import DefaultValue, ExampleQuestionSql, SerializedSpace, SqlParameter
from genie_enhance.sql import ensure_read_only, normalize_sql


class ExampleParameter(BaseModel):
    """A `:name` parameter of an example's SQL."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    name: str = Field(min_length=1, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    type_hint: NonEmpty = "STRING"
    description: NonEmpty | None = None
    default_values: list[str] | None = None

    def to_model(self) -> SqlParameter:
        return SqlParameter(
            name=self.name,
            type_hint=self.type_hint,
            **set_fields(
                description=split_lines(self.description) if self.description else None,
                default_value=None if self.default_values is None else DefaultValue(values=list(self.default_values)),
            ),
        )


def sql_parameter_names(sql: str) -> set[str]:
    """The `:name` markers a read-only query uses (string literals and `::` casts are not parameters)."""
    try:
        tree = ensure_read_only(sql)
    except (ReadOnlySqlError, SqlParseError) as exc:
        raise FixError(f"example SQL rejected: {exc}") from exc
    return {p.name for p in tree.find_all(exp.Placeholder) if p.name}


class AddExampleSql(FixBase):
    """Add a question → SQL example (or correct the SQL of the example with the same question)."""

    type: Literal["add_example_sql"] = "add_example_sql"
    question: NonEmpty
    sql: NonEmpty
    usage_guidance: NonEmpty | None = None
    parameters: list[ExampleParameter] = Field(default_factory=list)

    def _check(self) -> None:
        """SQL must be one read-only query, and its `:params` and the declared parameters must match."""
        used = {n.lower() for n in sql_parameter_names(self.sql)}
        declared = [p.name.lower() for p in self.parameters]
        duplicates = sorted({n for n in declared if declared.count(n) > 1})
        if duplicates:
            raise FixError(f"example parameters declared twice: {', '.join(duplicates)}")
        undeclared, unused = sorted(used - set(declared)), sorted(set(declared) - used)
        if undeclared:
            raise FixError(f"example SQL uses undeclared parameters: {', '.join(':' + n for n in undeclared)}")
        if unused:
            raise FixError(f"example declares parameters its SQL never uses: {', '.join(unused)}")

    def _parameters(self) -> list[SqlParameter]:
        return sorted((p.to_model() for p in self.parameters), key=lambda p: p.name)

    def _apply(self, space: SerializedSpace) -> None:
        self._check()
        ins = space.instructions
        question = fold(self.question)
        same_question = next((e for e in ins.example_question_sqls if fold(join_lines(e.question)) == question), None)
        if same_question is None:
            example = ExampleQuestionSql(
                id=unique_id(instruction_ids(space), "example", self.question, self.sql),
                question=split_lines(self.question),
                sql=split_lines(self.sql),
                **set_fields(
                    usage_guidance=split_lines(self.usage_guidance) if self.usage_guidance else None,
                    parameters=self._parameters() or None,
                ),
            )
            ins.example_question_sqls = sorted_by_id([*ins.example_question_sqls, example])
            return
        self._update(same_question)

    def _update(self, example: ExampleQuestionSql) -> None:
        """Same question: same SQL is a no-op; different SQL replaces the SQL and parameters (and usage guidance
        when the fix has one), keeping the example's id."""
        if normalize_sql(join_lines(example.sql)) == normalize_sql(self.sql):
            return
        example.sql = split_lines(self.sql)
        if example.parameters or self.parameters:
            example.parameters = self._parameters()
        if self.usage_guidance:
            example.usage_guidance = split_lines(self.usage_guidance)

    @property
    def key(self) -> str:
        return f"{self.type}|{fold(self.question)}|{normalize_sql(self.sql)}"

    def describe(self) -> str:
        params = f" with parameters {', '.join(':' + p.name for p in self.parameters)}" if self.parameters else ""
        return f'add example SQL for "{short(self.question)}"{params}'
