"""Bring a space into the form the Genie API accepts: v2 names, ids everywhere, every collection sorted.

Pure functions: each returns a new `SerializedSpace` and leaves its argument untouched.
"""

from __future__ import annotations

from genie_enhance.space.ids import Identified, unique_id
from genie_enhance.space.lines import join_lines
from genie_enhance.space.model import ColumnConfig, SerializedSpace, TableSource

V1_COLUMN_FLAGS = {
    "get_example_values": "enable_format_assistance",
    "build_value_dictionary": "enable_entity_matching",
}


def _upgrade_column(col: ColumnConfig) -> None:
    extras = col.__pydantic_extra__ or {}
    for old, new in V1_COLUMN_FLAGS.items():
        if old in extras:
            value = extras.pop(old)
            if getattr(col, new) is None:
                setattr(col, new, value)


def upgrade_to_v2(space: SerializedSpace) -> SerializedSpace:
    """v1 → v2: rename the column flags (`get_example_values`, `build_value_dictionary`) and set version 2."""
    out = space.model_copy(deep=True)
    for table in out.all_tables():
        for col in table.column_configs:
            _upgrade_column(col)
    out.version = 2
    return out


def _sort_table(table: TableSource) -> None:
    if table.column_configs:
        table.column_configs = sorted(table.column_configs, key=lambda c: c.column_name)


def _fill_ids(space: SerializedSpace) -> None:
    questions: list[Identified] = [*space.config.sample_questions, *space.benchmarks.questions]
    question_pool = {q.id for q in questions if q.id}
    for q in space.config.sample_questions:
        if not q.id:
            q.id = unique_id(question_pool, "sample_question", join_lines(q.question))
    for b in space.benchmarks.questions:
        if not b.id:
            b.id = unique_id(question_pool, "benchmark", join_lines(b.question))
    ins = space.instructions
    snippets = ins.sql_snippets
    items: list[tuple[str, Identified, str]] = [
        *(("text_instruction", t, join_lines(t.content)) for t in ins.text_instructions),
        *(("example", e, join_lines(e.question) + join_lines(e.sql)) for e in ins.example_question_sqls),
        *(("function", f, f.identifier) for f in ins.sql_functions),
        *(("join", j, f"{j.left.identifier}|{j.right.identifier}|{join_lines(j.sql)}") for j in ins.join_specs),
        *(("filter", s, join_lines(s.sql)) for s in snippets.filters),
        *(("expression", s, s.alias + join_lines(s.sql)) for s in snippets.expressions),
        *(("measure", s, s.alias + join_lines(s.sql)) for s in snippets.measures),
    ]
    instruction_pool = {obj.id for _, obj, _ in items if obj.id}
    for kind, obj, content in items:
        if not obj.id:
            obj.id = unique_id(instruction_pool, kind, content)


def _sort_collections(space: SerializedSpace) -> None:
    by_id = lambda item: item.id or ""  # noqa: E731 - tiny key function
    ds = space.data_sources
    if ds.tables:
        ds.tables = sorted(ds.tables, key=lambda t: t.identifier)
    if ds.metric_views:
        ds.metric_views = sorted(ds.metric_views, key=lambda t: t.identifier)
    for table in space.all_tables():
        _sort_table(table)
    if space.config.sample_questions:
        space.config.sample_questions = sorted(space.config.sample_questions, key=by_id)
    ins = space.instructions
    for name in ("text_instructions", "example_question_sqls", "join_specs"):
        items = getattr(ins, name)
        if items:
            setattr(ins, name, sorted(items, key=by_id))
    if ins.sql_functions:
        ins.sql_functions = sorted(ins.sql_functions, key=lambda f: (f.id or "", f.identifier))
    for example in ins.example_question_sqls:
        if example.parameters:
            example.parameters = sorted(example.parameters, key=lambda p: p.name)
    snippets = ins.sql_snippets
    for name in ("filters", "expressions", "measures"):
        items = getattr(snippets, name)
        if items:
            setattr(snippets, name, sorted(items, key=by_id))
    if space.benchmarks.questions:
        space.benchmarks.questions = sorted(space.benchmarks.questions, key=by_id)


def normalize(space: SerializedSpace) -> SerializedSpace:
    """Upgrade to v2, give every item an id, and sort every collection as the API requires."""
    out = upgrade_to_v2(space)
    _fill_ids(out)
    _sort_collections(out)
    return out
