"""Lossless pydantic model of a Genie `serialized_space` document (v1 and v2).

Why lossless: we write the whole document back to the API (an update replaces it completely), so a field this
model does not know must survive parse → serialize unchanged. Every model therefore keeps unknown keys
(`extra="allow"`), and serialization emits a declared field only when the input had it or code set it to a
non-default value — an absent section stays absent, an explicit empty list stays an explicit empty list.

Free-text fields use Genie's "lines" encoding (a list of strings concatenated without separator); see
`genie_enhance.space.lines` for converting to and from plain text.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_serializer
from pydantic.functional_serializers import SerializerFunctionWrapHandler

Lines = list[str]


class GenieModel(BaseModel):
    """Base: keeps unknown keys, omits unset defaults on output."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, validate_assignment=False)

    @model_serializer(mode="wrap")
    def _drop_unset_defaults(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data = handler(self)
        for name, field in type(self).model_fields.items():
            if name in self.model_fields_set or name not in data:
                continue
            value = getattr(self, name)
            default = field.get_default(call_default_factory=True)
            if value is None or value == default:
                del data[name]
        return data


# ---------------------------------------------------------------------------------------------- config
class SampleQuestion(GenieModel):
    id: str | None = None
    question: Lines = Field(default_factory=list)


class SpaceConfig(GenieModel):
    sample_questions: list[SampleQuestion] = Field(default_factory=list)


# ---------------------------------------------------------------------------------------------- data sources
class ColumnConfig(GenieModel):
    column_name: str
    description: Lines | None = None
    synonyms: list[str] | None = None
    exclude: bool | None = None
    enable_format_assistance: bool | None = None
    enable_entity_matching: bool | None = None


class TableSource(GenieModel):
    identifier: str
    description: Lines | None = None
    column_configs: list[ColumnConfig] = Field(default_factory=list)

    def column(self, name: str) -> ColumnConfig | None:
        """The column config for `name` (case-insensitive), if the space has one."""
        low = name.lower()
        return next((c for c in self.column_configs if c.column_name.lower() == low), None)


class DataSources(GenieModel):
    tables: list[TableSource] = Field(default_factory=list)
    metric_views: list[TableSource] = Field(default_factory=list)


# ---------------------------------------------------------------------------------------------- instructions
class TextInstruction(GenieModel):
    id: str | None = None
    content: Lines = Field(default_factory=list)


class DefaultValue(GenieModel):
    values: list[str] = Field(default_factory=list)


class SqlParameter(GenieModel):
    name: str
    type_hint: str | None = None
    description: Lines | None = None
    default_value: DefaultValue | None = None


class ExampleQuestionSql(GenieModel):
    id: str | None = None
    question: Lines = Field(default_factory=list)
    sql: Lines = Field(default_factory=list)
    usage_guidance: Lines | None = None
    parameters: list[SqlParameter] = Field(default_factory=list)


class SqlFunction(GenieModel):
    id: str | None = None
    identifier: str


class JoinSide(GenieModel):
    identifier: str
    alias: str | None = None


class JoinSpec(GenieModel):
    id: str | None = None
    left: JoinSide
    right: JoinSide
    sql: Lines = Field(default_factory=list)
    comment: Lines | None = None
    instruction: Lines | None = None


class SnippetBase(GenieModel):
    id: str | None = None
    sql: Lines = Field(default_factory=list)
    display_name: str | None = None
    synonyms: list[str] | None = None
    instruction: Lines | None = None
    comment: Lines | None = None


class SqlFilter(SnippetBase):
    """A boolean condition, written without the WHERE keyword."""


class SqlExpression(SnippetBase):
    """A non-aggregated dimension, e.g. YEAR(orders.order_date)."""

    alias: str = ""


class SqlMeasure(SnippetBase):
    """An aggregate, e.g. SUM(orders.amount)."""

    alias: str = ""


class SqlSnippets(GenieModel):
    filters: list[SqlFilter] = Field(default_factory=list)
    expressions: list[SqlExpression] = Field(default_factory=list)
    measures: list[SqlMeasure] = Field(default_factory=list)


class Instructions(GenieModel):
    text_instructions: list[TextInstruction] = Field(default_factory=list)
    example_question_sqls: list[ExampleQuestionSql] = Field(default_factory=list)
    sql_functions: list[SqlFunction] = Field(default_factory=list)
    join_specs: list[JoinSpec] = Field(default_factory=list)
    sql_snippets: SqlSnippets = Field(default_factory=SqlSnippets)


# ---------------------------------------------------------------------------------------------- benchmarks
class BenchmarkAnswer(GenieModel):
    format: str = "SQL"
    content: Lines = Field(default_factory=list)


class BenchmarkQuestion(GenieModel):
    id: str | None = None
    question: Lines = Field(default_factory=list)
    answer: list[BenchmarkAnswer] = Field(default_factory=list)


class Benchmarks(GenieModel):
    questions: list[BenchmarkQuestion] = Field(default_factory=list)


# ---------------------------------------------------------------------------------------------- document
class SerializedSpace(GenieModel):
    """The whole `serialized_space` document."""

    version: int = 2
    config: SpaceConfig = Field(default_factory=SpaceConfig)
    data_sources: DataSources = Field(default_factory=DataSources)
    instructions: Instructions = Field(default_factory=Instructions)
    benchmarks: Benchmarks = Field(default_factory=Benchmarks)

    def all_tables(self) -> list[TableSource]:
        """Tables and metric views, in that order."""
        return [*self.data_sources.tables, *self.data_sources.metric_views]

    def table(self, identifier: str) -> TableSource | None:
        """The table or metric view with this identifier (case-insensitive)."""
        low = identifier.lower()
        return next((t for t in self.all_tables() if t.identifier.lower() == low), None)

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class SpaceExport(GenieModel):
    """The exported space wrapper: space metadata plus `serialized_space` as a JSON *string*."""

    space_id: str | None = None
    title: str | None = None
    description: str | None = None
    warehouse_id: str | None = None
    parent_path: str | None = None
    serialized_space: str
