"""One source of the campaign's defaults and bounds, one LLM-mode rule, and real choice types on the CLI.

The defaults are read where a user meets them: the `run`/`score`/`demo` commands' click params (what `--help`
shows and what an omitted flag gives), genie_enhance.yaml's schema (`Limits`, `SpaceConfig`), the launchpad's
Dagster config schema, and the policy; all must equal `CampaignSettings`' own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from genie_enhance.cli import app
from genie_enhance.core.fields import field_bounds, field_default
from genie_enhance.defs.config import Limits, SpaceConfig, parse_config
from genie_enhance.defs.jobs import StartCampaignConfig
from genie_enhance.engine.policy import Policy
from genie_enhance.engine.runtime import CampaignSettings
from genie_enhance.llm.mode import LLMMode, llm_enabled

SETTINGS = CampaignSettings.model_fields
TUNABLE = {name for name, field in SETTINGS.items() if not field.is_required() and name != "use_llm"}


def command(name: str) -> Any:
    return typer.main.get_command(app).commands[name]


def cli_params(name: str) -> dict[str, Any]:
    return {p.name: p for p in command(name).params if p.name in TUNABLE}


@pytest.mark.parametrize("name", ["run", "score", "demo"])
def test_cli_defaults_are_the_settings_defaults(name: str) -> None:
    params = cli_params(name)
    assert params, name
    for field, param in params.items():
        assert param.default == field_default(CampaignSettings, field), f"{name} --{field}"


def test_run_covers_every_tunable_setting() -> None:
    """Every setting a user tunes is a `run` option, so none of them has a CLI-only default elsewhere."""
    assert set(cli_params("run")) >= set(Limits.model_fields) | {"target", "backend"}


def test_cli_bounds_are_the_settings_bounds() -> None:
    for field, param in cli_params("run").items():
        bounds = field_bounds(CampaignSettings, field)
        assert (param.min, param.max) == (bounds.get("ge"), bounds.get("le")), field


def test_yaml_config_defaults_and_bounds_are_the_settings() -> None:
    for name, field in Limits.model_fields.items():
        assert field.default == SETTINGS[name].default, name
        assert field.metadata == SETTINGS[name].metadata, name
    assert SpaceConfig.model_fields["target"].default == SETTINGS["target"].default


def test_a_space_without_limits_gets_the_settings_defaults(tmp_path: Path) -> None:
    project = parse_config("spaces: {shop: {warehouse: w.duckdb, space: s.json, benchmarks: b.md}}", "f.yaml",
                           tmp_path)
    settings = project.settings("shop")
    assert settings.model_dump(exclude={"space_key", "benchmarks", "use_llm"}) == CampaignSettings(
        space_key="x", benchmarks="b").model_dump(exclude={"space_key", "benchmarks", "use_llm"})


def test_launchpad_fields_defer_to_the_file() -> None:
    """The launchpad's campaign fields have no default of their own: unset, the space's settings apply."""
    fields = StartCampaignConfig.to_config_schema().as_field().config_type.fields  # type: ignore[union-attr]
    tunable = [name for name in fields if name in SETTINGS]
    assert tunable == ["target", "max_iterations", "holdout", "seed"]
    assert all(fields[name].default_value is None and not fields[name].is_required for name in tunable)


def test_policy_defaults_are_the_settings_defaults() -> None:
    shared = set(Policy.model_fields) & set(SETTINGS)
    assert shared == {"target", "max_iterations", "patience", "noise_tolerance", "max_cost_usd", "max_wall_s",
                      "min_answered"}
    for name in shared:
        assert Policy.model_fields[name].default == SETTINGS[name].default, name
        assert Policy.model_fields[name].metadata == SETTINGS[name].metadata, name
    assert CampaignSettings(space_key="x", benchmarks="b").policy() == Policy()


# ------------------------------------------------------------------------------------------------ the LLM mode
@pytest.mark.parametrize("mode, key, used", [
    ("on", "", True), ("ON", "", True), ("On", "", True), ("off", "sk-1", False), ("OFF", "sk-1", False),
    ("auto", "sk-1", True), ("AUTO", "sk-1", True), ("auto", "", False), ("auto", "  ", False),
])
def test_one_llm_mode_rule(mode: str, key: str, used: bool) -> None:
    assert llm_enabled(mode, {"OPENAI_API_KEY": key}) is used


def test_yaml_llm_modes_go_through_the_same_rule(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    text = ("llm: {mode: ON}\nspaces: {a: {warehouse: w, space: s, benchmarks: b, llm: off},\n"
            "         b: {warehouse: w, space: s, benchmarks: b}}")  # YAML 1.1 reads a bare off as False
    project = parse_config(text, "f.yaml", tmp_path)
    assert project.llm.mode is LLMMode.on
    assert (project.settings("a").use_llm, project.settings("b").use_llm) == (False, True)


# ------------------------------------------------------------------------------------------------ choice types
runner = CliRunner()


@pytest.mark.parametrize("args, option, choices", [
    (["run", "--benchmarks", "b.md", "--llm", "maybe"], "--llm", ["auto", "on", "off"]),
    (["demo", "--llm", "yes"], "--llm", ["auto", "on", "off"]),
    (["run", "--benchmarks", "b.md", "--backend", "foo"], "--backend", ["local", "databricks"]),
    (["rollback", "--to", "v1", "--backend", "foo"], "--backend", ["local", "databricks"]),
    (["score", "--benchmarks", "b.md", "--backend", "foo"], "--backend", ["local", "databricks"]),
])
def test_a_bad_choice_exits_2_naming_the_choices(args: list[str], option: str, choices: list[str]) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert f"Invalid value for '{option}'" in result.output
    assert all(f"'{choice}'" in result.output for choice in choices)
    assert "Traceback" not in result.output and "validation error" not in result.output


@pytest.mark.parametrize("value, message", [("1", "less than 1"), ("-0.1", "greater than or equal to 0")])
def test_a_setting_out_of_bounds_exits_2(value: str, message: str) -> None:
    result = runner.invoke(app, ["run", "--benchmarks", "b.md", "--holdout", value])
    assert result.exit_code == 2 and "Invalid value for '--holdout'" in result.output
    assert message in result.output


def test_llm_on_in_capitals_means_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`--llm ON` turns the LLM on: without an API key the run stops asking for one (it used to mean off)."""
    from genie_enhance.demo.build import build_demo, fresh_working_space

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    files = build_demo(tmp_path / "demo")
    space = fresh_working_space(files)
    base = ["run", "--warehouse", str(files.warehouse), "--space", str(space), "--benchmarks",
            str(tmp_path / "none.md"), "--out", str(tmp_path / "out"), "--dry-run"]
    (tmp_path / "none.md").write_text("# Benchmarks\n", encoding="utf-8")
    on = runner.invoke(app, [*base, "--llm", "ON"])
    assert on.exit_code == 2 and "OPENAI_API_KEY is not set" in on.output, on.output
    off = runner.invoke(app, [*base, "--llm", "Off"])
    assert "OPENAI_API_KEY" not in off.output, off.output
