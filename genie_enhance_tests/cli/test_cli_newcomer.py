"""The command line as a new user meets it: help on every option, enumerated options as choices, one error style
(exit 2, `error: …` on stderr, no traceback), read commands that never create a tracking store and find `make demo`'s
output without flags, a `versions` command whose ids `score --json`, `diff` and `rollback` share, an idempotent
re-apply that says "nothing to apply", and `--max-iterations 1` explained. All through the real `genie-enhance` app."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
import typer.main
from typer.testing import CliRunner, Result

from genie_enhance.cli import app
from genie_enhance.errors import GenieEnhanceError
from genie_enhance.space.io import canonical_bytes, load_space
from genie_enhance.tracking import TrackingError, TrackingStore, version_id_for
from genie_enhance_tests.support.loop_world import CliCampaign, World, make_world


def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(app, list(args), env=env)


def one_error_line(result: Result) -> str:
    """The stderr of a refused command, after checking the one error style: exit 2, `error:`, no traceback."""
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert "Traceback" not in result.output and result.exception is None or isinstance(result.exception, SystemExit)
    assert result.stderr.startswith("error: ") or "\nerror: " in result.stderr, result.stderr
    return " ".join(result.stderr.split())


# ------------------------------------------------------------------------------------------------------ help
def options_without_help(command: Any, path: str = "genie-enhance") -> list[str]:
    """Every parameter of every (sub)command that has no help text, as `command --option` (typer's command
    classes, on its own copy of click: a group is what has `commands`)."""
    if hasattr(command, "commands"):
        return [missing for name, sub in command.commands.items()
                for missing in options_without_help(sub, f"{path} {name}")]
    return [f"{path} {param.opts[0]}" for param in command.params if not getattr(param, "help", None)]


def test_every_option_of_every_command_has_help() -> None:
    root = typer.main.get_command(app)
    assert {"run", "score", "report", "versions", "diff"} <= set(root.commands)
    assert options_without_help(root) == []


def test_the_help_check_finds_an_option_without_help() -> None:
    toy = typer.Typer()

    @toy.command()
    def first(documented: int = typer.Option(1, "--documented", help="has help"),
              bare: int = typer.Option(2, "--bare")) -> None:
        """One command."""

    @toy.command()
    def second(other: str = typer.Option("x", "--other")) -> None:
        """Another command."""

    assert options_without_help(typer.main.get_command(toy), "toy") == ["toy first --bare", "toy second --other"]


def test_max_iterations_help_says_one_only_scores() -> None:
    result = invoke("run", "--help", env={"COLUMNS": "200"})
    text = " ".join(result.output.replace("│", " ").split())
    assert result.exit_code == 0 and "1 only scores the space" in text


# ------------------------------------------------------------------------------------------ choice options
@pytest.mark.parametrize("args, option", [
    (["score", "--benchmarks", "b.md", "--extra-columns", "maybe"], "--extra-columns"),
    (["compare-sql", "--warehouse", "w.duckdb", "--extra-columns", "maybe"], "--extra-columns"),
    (["compare-sql", "--warehouse", "w.duckdb", "--dialect", "klingon"], "--dialect"),
])
def test_enumerated_options_refuse_other_values_naming_the_choices(args: list[str], option: str) -> None:
    result = invoke(*args)
    err = " ".join(result.stderr.replace("│", " ").split())
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert f"Invalid value for '{option}'" in err and "is not one of" in err, err
    assert ("'fail', 'allow'" if option == "--extra-columns" else "'sqlite'") in err


# -------------------------------------------------------------------------- read commands and the store
READ_COMMANDS = [["report"], ["versions"], ["diff", "a1b2", "c3d4"], ["report", "--campaign", "c1"]]


@pytest.mark.parametrize("args", READ_COMMANDS)
def test_read_commands_without_a_store_create_none_and_say_where_they_looked(
        args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    err = one_error_line(invoke(*args))
    assert "no tracking store found" in err and "out/tracking.duckdb" in err and "out/demo/tracking.duckdb" in err
    assert list(tmp_path.iterdir()) == []  # no out/, no empty tracking.duckdb
    err = one_error_line(invoke(*args, "--out", "elsewhere"))
    assert "elsewhere/tracking.duckdb" in err and not (tmp_path / "elsewhere").exists()


def test_rollback_without_a_store_creates_none(tmp_path: Path, demo_db: Path) -> None:
    world = make_world(tmp_path / "w", demo_db)
    err = one_error_line(invoke("rollback", "--to", "a1b2", *world.admin_args()))
    assert "no tracking store found" in err and str(world.tracking) in err
    assert not world.out.exists()


@pytest.fixture
def demo_like(tmp_path: Path, loop_campaign: CliCampaign, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A working directory laid out as after `make demo`: a campaign's outputs in out/demo, nothing in out."""
    shutil.copytree(loop_campaign.world.out, tmp_path / "out" / "demo")
    monkeypatch.chdir(tmp_path)
    yield tmp_path


def test_report_after_make_demo_finds_out_demo_without_flags(demo_like: Path, loop_campaign: CliCampaign) -> None:
    (demo_like / "out" / "demo" / "report.html").unlink()
    result = invoke("report")
    assert result.exit_code == 0, result.output
    assert "note: reading out/demo/tracking.duckdb" in result.stderr
    assert "report: out/demo/report.html" in result.stdout and (demo_like / "out/demo/report.html").is_file()
    assert not (demo_like / "out" / "tracking.duckdb").exists()
    assert loop_campaign.summary["campaign"] in (demo_like / "out/demo/report.html").read_text(encoding="utf-8")


def test_report_of_an_unknown_campaign_is_one_error_line(demo_like: Path, loop_campaign: CliCampaign) -> None:
    err = one_error_line(invoke("report", "--campaign", "nope"))
    assert "unknown campaign 'nope'" in err and loop_campaign.summary["campaign"] in err


def test_versions_of_an_unknown_campaign_is_one_error_line(demo_like: Path, loop_campaign: CliCampaign) -> None:
    err = one_error_line(invoke("versions", "--campaign", "nope"))
    assert "unknown campaign 'nope'" in err and loop_campaign.summary["campaign"] in err


def test_a_package_error_from_deep_inside_a_command_is_one_error_line(
        demo_like: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: TrackingStore, campaign_id: str | None = None) -> list:
        raise TrackingError("config_versions: the table is unreadable")

    monkeypatch.setattr(TrackingStore, "versions", broken)
    err = one_error_line(invoke("versions"))
    assert "config_versions: the table is unreadable" in err


def test_diff_of_an_unknown_version_or_a_broken_file_is_one_error_line(demo_like: Path) -> None:
    err = one_error_line(invoke("diff", "nope", "alsonope"))
    assert "unknown version 'nope'" in err and "no such space file" in err and "genie-enhance versions" in err
    (demo_like / "broken.json").write_text("{not json", encoding="utf-8")
    (demo_like / "other.json").write_text("{}", encoding="utf-8")
    err = one_error_line(invoke("diff", "broken.json", "other.json"))
    assert "broken.json" in err and "invalid JSON" in err


def test_versions_lists_the_ids_diff_takes(demo_like: Path, loop_campaign: CliCampaign) -> None:
    result = invoke("versions", "--json")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    store = TrackingStore(demo_like / "out/demo/tracking.duckdb")
    assert [r["version_id"] for r in rows] == [v.version_id for v in store.versions()] and len(rows) >= 2
    assert loop_campaign.summary["final_version"] in [r["version_id"] for r in rows]
    assert all(r["campaign_id"] == loop_campaign.summary["campaign"] for r in rows)
    text = invoke("versions").stdout
    assert all(r["version_id"] in text for r in rows) and f"{len(rows)} config version(s)" in text
    diff = invoke("diff", rows[0]["version_id"], rows[-1]["version_id"])
    assert diff.exit_code == 0 and diff.stdout.startswith(f"--- {rows[0]['version_id']}")


def test_score_json_prints_the_version_id_that_diff_takes(tmp_path: Path, loop_campaign: CliCampaign) -> None:
    world = loop_campaign.world
    result = invoke("score", "--benchmarks", str(world.benchmarks), "--warehouse", str(world.warehouse),
                    "--space", str(world.space), "--json")
    assert result.exit_code == 0, result.output
    scored = json.loads(result.stdout.strip().splitlines()[-1])
    assert scored["config_version"] == loop_campaign.summary["final_version"]
    assert scored["config_version"] == version_id_for(canonical_bytes(load_space(world.space)))
    assert scored["etag"] and scored["etag"] != scored["config_version"]  # the etag, kept apart
    first = TrackingStore(world.tracking).versions()[0].version_id
    diff = invoke("diff", first, scored["config_version"], "--out", str(world.out))
    assert diff.exit_code == 0 and "\n+" in diff.stdout, diff.output


# ------------------------------------------------------------------------------------------------ writes
def test_a_failed_run_leaves_no_store(tmp_path: Path, demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    world = make_world(tmp_path / "w", demo_db)

    def campaign_fails(*args: object, **kwargs: object) -> str:
        raise GenieEnhanceError("the campaign could not start")

    monkeypatch.setattr("genie_enhance.defs.local_run.run_campaign_in_dagster", campaign_fails)
    err = one_error_line(CliRunner().invoke(app, world.run_args(), env=world.env))
    assert "the campaign could not start" in err
    assert not world.out.exists()


def test_apply_prints_the_new_version_and_a_reapply_says_nothing_to_apply(tmp_path: Path, demo_db: Path) -> None:
    world = make_world(tmp_path / "w", demo_db)
    dry = CliRunner().invoke(app, world.run_args("--dry-run", "--json"), env=world.env)
    assert dry.exit_code == 0, dry.output
    proposal = str(world.out / "proposal.json")
    first = invoke("apply", "--proposal", proposal, *world.admin_args(), env=world.env)
    assert first.exit_code == 0, first.output
    applied = version_id_for(canonical_bytes(load_space(world.space)))
    assert first.stdout.count("applied") >= 2 and f"new config version {applied}" in first.stdout
    space_bytes, writes = world.space.read_bytes(), sorted((world.root / "space.versions").iterdir())
    versions = TrackingStore(world.tracking).versions()
    again = invoke("apply", "--proposal", proposal, *world.admin_args(), env=world.env)
    assert again.exit_code == 0, again.output
    assert again.stdout.count("nothing to apply") == 1 and "applied" not in again.stdout, again.stdout
    assert "new config version" not in again.stdout
    assert world.space.read_bytes() == space_bytes and sorted((world.root / "space.versions").iterdir()) == writes
    assert TrackingStore(world.tracking).versions() == versions


def test_max_iterations_1_says_it_stopped_after_the_baseline(tmp_path: Path, demo_db: Path) -> None:
    world: World = make_world(tmp_path / "w", demo_db)
    result = CliRunner().invoke(app, world.run_args("--max-iterations", "1"), env=world.env)
    assert result.exit_code == 0, result.output
    assert "note: stopped after the baseline score: --max-iterations 1" in " ".join(result.stderr.split())
    live = version_id_for(canonical_bytes(load_space(world.space)))
    assert f"config version {live}" in " ".join(result.stdout.split())
    longer = CliRunner().invoke(app, world.run_args("--max-iterations", "3", "--new-campaign"), env=world.env)
    assert longer.exit_code == 0 and "stopped after the baseline" not in longer.stderr
