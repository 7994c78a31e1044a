"""The Dagster definitions load (in-process and through `dagster definitions validate -w workspace.yaml`), and
genie_enhance.yaml is validated with errors naming the file and the field."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest
import yaml

from genie_enhance.defs.config import ENV_CONFIG, REPO_BENCHMARKS, config_path, demo_config, load_config
from genie_enhance.defs.project import build_definitions
from genie_enhance.defs.resources import LLMResource, ModelPrice
from genie_enhance.demo.space_configs import BARE_SPACE, demo_space_text
from genie_enhance.errors import ConfigError
from genie_enhance_tests.support.paths import REPO

LOOP = {"space_config", "benchmark_results", "proposed_fixes", "validated_config", "applied_config",
        "lessons_learned", "evolution_metrics"}


def write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "genie_enhance.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def two_spaces(tmp_path: Path) -> Path:
    return write(tmp_path, {"spaces": {
        "sales": {"backend": "local", "warehouse": "w.duckdb", "space": "s.json", "benchmarks": "bench.md",
                  "limits": {"max_iterations": 3, "seed": 7}},
        "support": {"backend": "databricks", "space_id": "01ef", "warehouse_id": "abc", "benchmarks": "b2.md",
                    "target": 0.8},
    }})


def test_demo_definitions_are_loadable(tmp_path):
    defs = build_definitions(demo_base=tmp_path)
    dg.Definitions.validate_loadable(defs)
    job = defs.resolve_job_def("enhancement_iteration")
    assert {k.to_user_string() for k in job.asset_layer.asset_graph.executable_asset_keys} == LOOP
    assert {k.to_user_string() for k in job.asset_layer.asset_graph.asset_check_keys} == {
        "validated_config:valid", "benchmark_results:no_score_regression"}
    assert defs.resolve_sensor_def("campaign_sensor").minimum_interval_seconds == 5
    assert defs.resolve_schedule_def("nightly_health_check").cron_schedule == "0 2 * * *"
    assert not (tmp_path / "out").exists(), "loading builds nothing; the demo is built on first use"


def test_entry_point_module_loads(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(ENV_CONFIG, raising=False)
    module = importlib.reload(importlib.import_module("genie_enhance.definitions"))
    defs = module.defs()
    dg.Definitions.validate_loadable(defs)
    genie = defs.resources["genie"]
    assert genie.space_keys() == ["demo"]
    assert genie.tracking_db.database == str(tmp_path / "out" / "demo" / "tracking.duckdb")


def test_importing_the_entry_point_reads_no_config(monkeypatch, tmp_path):
    """The definitions are built when Dagster asks for them, not at import: a broken config fails the load, never
    the import, and importing builds nothing."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(ENV_CONFIG, str(tmp_path / "missing.yaml"))
    built: list[str] = []
    monkeypatch.setattr("genie_enhance.defs.project.build_definitions", lambda: built.append("built"))
    module = importlib.reload(importlib.import_module("genie_enhance.definitions"))
    assert built == [] and list(tmp_path.iterdir()) == []
    monkeypatch.undo()  # the real builder again, still with the missing config
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(ENV_CONFIG, str(tmp_path / "missing.yaml"))
    module = importlib.reload(module)
    with pytest.raises(ConfigError, match="missing.yaml: no such file"):
        module.defs()
    assert list(tmp_path.iterdir()) == []


def test_dagster_cli_validates_the_workspace(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != ENV_CONFIG}
    env["DAGSTER_HOME"] = str(tmp_path)
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    dagster = Path(sys.executable).with_name("dagster")
    done = subprocess.run([str(dagster), "definitions", "validate", "-w", str(REPO / "workspace.yaml")], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Validation successful" in done.stdout + done.stderr


def test_several_spaces_become_partitions_and_settings(tmp_path):
    defs = build_definitions(config_file=two_spaces(tmp_path))
    dg.Definitions.validate_loadable(defs)
    health = defs.get_assets_def("space_health")
    assert health.partitions_def.get_partition_keys() == ["sales", "support"]
    genie = defs.resources["genie"]
    sales = genie.settings("sales", target=0.95)
    assert (sales.max_iterations, sales.seed, sales.target) == (3, 7, 0.95)
    assert sales.benchmarks == str(tmp_path / "bench.md")
    assert genie.settings("support").backend == "databricks" and genie.settings("support").target == 0.8
    assert genie.tracking_db.database == str(tmp_path / "out" / "tracking.duckdb")


def test_config_lookup_order(tmp_path):
    assert config_path({}, cwd=tmp_path) is None
    local = two_spaces(tmp_path)
    assert config_path({}, cwd=tmp_path) == local
    other = tmp_path / "elsewhere.yaml"
    other.write_text(local.read_text())
    assert config_path({ENV_CONFIG: str(other)}, cwd=tmp_path) == other
    with pytest.raises(ConfigError, match=f"{ENV_CONFIG}=.*no such file"):
        config_path({ENV_CONFIG: str(tmp_path / "missing.yaml")}, cwd=tmp_path)
    demo = demo_config(tmp_path).spaces["demo"]
    assert demo.demo and demo.benchmarks == REPO_BENCHMARKS
    root = tmp_path / "out" / "demo"
    assert (demo.warehouse, demo.space) == (root / "demo.duckdb", root / "space.json")


@pytest.mark.parametrize("data, message", [
    ({"spaces": {"s": {"backend": "local", "warehouse": "w", "space": "s", "benchmarks": "b", "target": 2}}},
     r"spaces\.s\.target: Input should be less than or equal to 1"),
    ({"spaces": {"s": {"backend": "local", "space": "s", "benchmarks": "b"}}}, r"spaces\.s: .*needs warehouse"),
    ({"spaces": {"s": {"backend": "databricks", "space_id": "x", "benchmarks": "b"}}},
     r"spaces\.s: .*needs warehouse_id"),
    ({"spaces": {"s": {"backend": "local", "warehouse": "w", "space": "s", "benchmarks": "b", "limts": {}}}},
     r"spaces\.s\.limts: Extra inputs are not permitted"),
    ({"spaces": {"Bad_Key": {"backend": "local", "warehouse": "w", "space": "s", "benchmarks": "b"}}},
     r"spaces: .*Bad_Key"),
    ({"spaces": {}}, r"spaces: .*at least 1"),
    ({"spaces": {"s": {"backend": "local", "warehouse": "w", "space": "s", "benchmarks": "b",
                       "limits": {"holdout": 1.5}}}}, r"spaces\.s\.limits\.holdout"),
])
def test_config_errors_name_the_file_and_the_field(tmp_path, data, message):
    path = write(tmp_path, data)
    with pytest.raises(ConfigError, match=message) as caught:
        load_config(path)
    assert str(path) in str(caught.value)


def test_config_syntax_errors_name_the_file(tmp_path):
    path = tmp_path / "genie_enhance.yaml"
    path.write_text("spaces: [unclosed\n")
    with pytest.raises(ConfigError, match=f"{path}: not valid YAML"):
        load_config(path)
    path.write_text("- a list\n")
    with pytest.raises(ConfigError, match="expected a mapping"):
        load_config(path)


def test_launchpad_overrides_are_validated_naming_the_space(tmp_path):
    config = load_config(two_spaces(tmp_path))
    with pytest.raises(ConfigError, match=r"spaces\.sales: target: Input should be less than or equal to 1"):
        config.settings("sales", target=1.5)
    with pytest.raises(ConfigError, match="no space 'nope'"):
        config.settings("nope")


def test_llm_resource_reads_the_key_only_from_the_environment(monkeypatch):
    resource = LLMResource(base_url="http://127.0.0.1:9/v1", api_key_env="MY_LLM_KEY",
                           models=[ModelPrice(name="m1", input_usd_per_mtok=1.0, output_usd_per_mtok=2.0)])
    monkeypatch.delenv("MY_LLM_KEY", raising=False)
    with pytest.raises(ConfigError, match="OPENAI_API_KEY is not set"):
        resource.llm_settings()
    monkeypatch.setenv("MY_LLM_KEY", "sk-test-123")
    settings = resource.llm_settings()
    assert settings.api_key.get_secret_value() == "sk-test-123" and settings.base_url == "http://127.0.0.1:9/v1"
    assert settings.models[0].cost_usd(1_000_000, 1_000_000) == 3.0
    assert "sk-test-123" not in repr(resource)


def test_demo_space_is_built_on_first_use(tmp_path):
    genie = build_definitions(demo_base=tmp_path).resources["genie"]
    rt = genie.runtime(genie.settings("demo"))
    try:
        root = tmp_path / "out" / "demo"
        assert (root / "demo.duckdb").is_file()
        assert (root / "space.json").read_text(encoding="utf-8") == demo_space_text(BARE_SPACE)
        assert rt.tracking.path == root / "tracking.duckdb" and len(rt.benchmarks) > 0
    finally:
        genie.teardown_after_execution(None)
