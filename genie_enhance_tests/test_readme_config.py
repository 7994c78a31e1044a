"""The README's `genie_enhance.yaml` example is a real, loadable configuration, and its reference table lists exactly
the keys the config models take."""

from __future__ import annotations

import re
import typing
from pathlib import Path

from pydantic import BaseModel

from genie_enhance.defs.config import ProjectConfig, parse_config
from genie_enhance_tests.support.paths import REPO

README = REPO / "README.md"


def _yaml_example() -> str:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("A `genie_enhance.yaml` with two spaces"):]
    match = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert match, "README: no yaml block after the genie_enhance.yaml heading"
    return match.group(1)


def test_readme_yaml_example_parses(tmp_path: Path) -> None:
    config = parse_config(_yaml_example(), "README.md", tmp_path)
    assert set(config.spaces) == {"sales", "demo-local"}
    sales = config.spaces["sales"]
    assert sales.backend == "databricks" and sales.space_id and sales.warehouse_id
    assert sales.limits.max_cost_usd == 5
    local = config.spaces["demo-local"]
    assert local.backend == "local" and local.warehouse == tmp_path / "out/demo/demo.duckdb"
    assert config.llm.models[0].name == "gpt-4o-mini"


def _reference_keys() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("### `genie_enhance.yaml` reference"):]
    section = section[: section.index("\n### ", 1)]
    return re.findall(r"^\| `([^`]+)` \|", section, re.M)


def _model_keys(model: type[BaseModel], prefix: str = "") -> list[str]:
    """Every key a config model takes, dotted (`spaces.<key>.limits.seed`, `llm.models[].name`)."""
    keys = []
    for name, field in model.model_fields.items():
        if field.exclude:
            continue
        keys.append(prefix + name)
        inner = _nested_model(field.annotation)
        if inner is not None:
            origin = typing.get_origin(field.annotation)
            step = {dict: ".<key>.", list: "[]."}.get(origin, ".")
            keys += _model_keys(inner, prefix + name + step)
    return keys


def _nested_model(annotation: object) -> type[BaseModel] | None:
    """The config model a field holds (itself, or the values of its dict/list), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    args = typing.get_args(annotation)
    return _nested_model(args[-1]) if args and typing.get_origin(annotation) in (dict, list) else None


def test_readme_reference_lists_exactly_the_config_models_keys() -> None:
    listed = _reference_keys()
    assert len(listed) == len(set(listed)), "a key is listed twice"
    assert set(listed) == set(_model_keys(ProjectConfig))
    assert "spaces.<key>.limits.max_iterations" in listed and "llm.models[].name" in listed  # the walk went deep
