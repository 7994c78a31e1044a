"""The README's `genie_enhance.yaml` example is a real, loadable configuration."""

from __future__ import annotations

import re
from pathlib import Path

from genie_enhance.defs.config import parse_config
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
