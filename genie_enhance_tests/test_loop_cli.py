"""The loop's command-line contracts on the local backend: `run --json`, the review mode (`run --dry-run`, then
`apply --proposal`), `diff` and `rollback --to`. Everything goes through the `genie-enhance` app on real files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from genie_enhance.backends.local.space_store import FileSpaceStore
from genie_enhance.cli import app
from genie_enhance.demo.space_configs import BARE_SPACE, demo_space_text
from genie_enhance.engine.versions import config_diff
from genie_enhance.space.fixes import apply_fixes, parse_fix
from genie_enhance.space.io import canonical_bytes, load_space
from genie_enhance.tracking import TrackingStore
from genie_enhance_tests.demo_fixtures import demo_db  # noqa: F401 - session fixture
from genie_enhance_tests.loop_world import CliCampaign, World, loop_campaign, make_world  # noqa: F401

SUMMARY_KEYS = {"campaign", "stop_reason", "iterations", "initial", "final", "best_version", "fixes_applied",
                "fixes_rejected", "rollbacks", "genie_calls", "llm_calls", "cost_usd", "holdout_ids", "final_space",
                "report", "api_errors", "leak_guard"}
REGIONS = "demo.commerce.regions"


def invoke(world: World, *args: str):
    return CliRunner().invoke(app, list(args), env=world.env)


def clone(world: World, root: Path) -> World:
    """A copy of a world with everything in it (space, its kept versions, outputs), to change freely."""
    shutil.copytree(world.root, root)
    return World(root, world.warehouse, root / "space.json", root / "benchmarks", root / "out")


# ------------------------------------------------------------------------------------------------- run --json
def test_run_json_prints_one_object_with_exactly_the_promised_keys(loop_campaign: CliCampaign) -> None:
    summary = loop_campaign.summary
    assert set(summary) == SUMMARY_KEYS
    assert set(summary["initial"]) == set(summary["final"]) == {"train", "holdout", "all"}
    assert summary["final"]["all"] > summary["initial"]["all"]
    assert summary["llm_calls"] == 0 and summary["cost_usd"] == 0 and summary["holdout_ids"] == []
    assert summary["leak_guard"]["stopped"] == 0 and summary["leak_guard"]["final_check"] is None  # no holdout
    assert Path(summary["report"]).is_file()
    assert Path(summary["final_space"]).read_bytes() == loop_campaign.world.space.read_bytes()


def test_run_json_keeps_stdout_to_that_one_line(loop_campaign: CliCampaign) -> None:
    lines = loop_campaign.stdout.splitlines()
    assert len(lines) == 1 and json.loads(lines[0]) == loop_campaign.summary


# ------------------------------------------------------------------------------------------------- review mode
@pytest.fixture(scope="module")
def reviewed(tmp_path_factory: pytest.TempPathFactory, demo_db: Path) -> World:  # noqa: F811
    """A world after `run --dry-run`: a proposal file, and the space as it was."""
    world = make_world(tmp_path_factory.mktemp("review"), demo_db)
    result = invoke(world, *world.run_args("--dry-run", "--json"))
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout.strip().splitlines()[-1])
    assert printed["proposal"] == str(world.out / "proposal.json") and printed["fixes"] > 0
    return world


def proposal_of(world: World) -> dict:
    return json.loads((world.out / "proposal.json").read_text(encoding="utf-8"))


def test_dry_run_writes_the_proposal_and_applies_nothing(reviewed: World) -> None:
    assert reviewed.space.read_bytes() == demo_space_text(BARE_SPACE).encode("utf-8")  # not a byte changed
    assert not (reviewed.root / "space.versions").exists()  # the file store never wrote the space
    doc = proposal_of(reviewed)
    assert doc["format"] == "genie-enhance-proposal/1" and doc["base_etag"]
    assert doc["fixes"] and all(f["rationale"] and f["question_ids"] and f["expected_effect"] and f["fix"]["type"]
                                for f in doc["fixes"])
    bare = load_space(reviewed.space)
    after = apply_fixes(bare, [parse_fix(f["fix"]) for f in doc["fixes"]])
    assert doc["diff"] == config_diff(canonical_bytes(bare), canonical_bytes(after))  # the change, for review
    assert doc["diff"].startswith("--- before") and "\n+" in doc["diff"]
    store = TrackingStore(reviewed.tracking)
    camp = store.campaign(doc["campaign"])
    assert camp.stop_reason == "dry_run" and [h.decision for h in store.history(doc["campaign"])] == ["stop"]
    assert not any(f.status == "applied" for f in store.fixes(doc["campaign"]))


def test_apply_applies_the_reviewed_fixes_as_one_batch(tmp_path: Path, reviewed: World) -> None:
    world = clone(reviewed, tmp_path / "w")
    doc = proposal_of(world)
    result = invoke(world, "apply", "--proposal", str(world.out / "proposal.json"), *world.admin_args(), "--json")
    assert result.exit_code == 0, result.output
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["base_changed"] is False and outcome["invalid"] == []
    assert len(outcome["applied"]) == len(doc["fixes"])
    expected = apply_fixes(load_space(reviewed.space), [parse_fix(f["fix"]) for f in doc["fixes"]])
    assert canonical_bytes(load_space(world.space)) == canonical_bytes(expected)
    assert TrackingStore(world.tracking).version_bytes(outcome["version"]) == canonical_bytes(expected)
    assert len(list((world.root / "space.versions").glob("*.json"))) == 2  # one write: before → after


def test_apply_revalidates_against_a_live_space_changed_since_the_review(tmp_path: Path, reviewed: World) -> None:
    world = clone(reviewed, tmp_path / "w")
    store = FileSpaceStore(world.space)
    space, etag = store.export()  # someone removes the regions table from the space after the review
    tables = [t for t in space.data_sources.tables if t.identifier != REGIONS]
    store.update(space.model_copy(update={"data_sources": space.data_sources.model_copy(update={"tables": tables})}),
                 etag)
    doc = proposal_of(world)
    assert any(REGIONS in json.dumps(f["fix"]) for f in doc["fixes"]), "precondition: a reviewed fix needs regions"
    result = invoke(world, "apply", "--proposal", str(world.out / "proposal.json"), *world.admin_args(), "--json")
    assert result.exit_code == 0, result.output
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["base_changed"] is True
    assert outcome["invalid"] and all(REGIONS in item["fix"] + item["reason"] for item in outcome["invalid"])
    assert len(outcome["applied"]) + len(outcome["invalid"]) == len(doc["fixes"])
    live = load_space(world.space)
    assert REGIONS not in [t.identifier for t in live.data_sources.tables]  # their edit is kept
    assert REGIONS not in canonical_bytes(live).decode()  # and nothing of ours refers to what they removed


def test_apply_refuses_a_stale_etag_and_overwrites_nothing(tmp_path: Path, reviewed: World,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    world = clone(reviewed, tmp_path / "w")
    export = FileSpaceStore.export
    saved: list[bytes] = []

    def export_then_someone_saves(self: FileSpaceStore):
        exported = export(self)
        saved.append(self.read_bytes() + b" " * (len(saved) + 1))  # the same config, saved again by someone else
        self.path.write_bytes(saved[-1])  # between our export and our update
        return exported

    monkeypatch.setattr(FileSpaceStore, "export", export_then_someone_saves)
    result = invoke(world, "apply", "--proposal", str(world.out / "proposal.json"), *world.admin_args())
    assert result.exit_code == 2
    error = " ".join(result.stderr.split())
    assert "changed since it was exported" in error and "nothing was written" in error
    assert saved and world.space.read_bytes() == saved[-1]  # their save survives, byte for byte


def test_apply_names_the_entry_of_a_malformed_proposal(tmp_path: Path, reviewed: World) -> None:
    world = clone(reviewed, tmp_path / "w")
    doc = proposal_of(world)
    doc["fixes"][1]["fix"]["type"] = "rename_table"
    bad = world.root / "bad.json"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    before = world.space.read_bytes()
    result = invoke(world, "apply", "--proposal", str(bad), *world.admin_args())
    assert result.exit_code == 2 and f"{bad}: fixes[1]: invalid fix (rename_table)" in " ".join(result.stderr.split())
    assert world.space.read_bytes() == before


# ------------------------------------------------------------------------------------------------- diff, rollback
def test_diff_shows_what_changed_between_two_versions(loop_campaign: CliCampaign) -> None:
    world, summary = loop_campaign.world, loop_campaign.summary
    store = TrackingStore(world.tracking)
    first = store.history(summary["campaign"])[0].config_version_id
    best = summary["best_version"]
    result = invoke(world, "diff", first, best, "--out", str(world.out))
    assert result.exit_code == 0, result.output
    expected = config_diff(store.version_bytes(first), store.version_bytes(best), old_name=first, new_name=best)
    assert result.stdout.strip() == expected.strip()
    assert result.stdout.startswith(f"--- {first}\n+++ {best}\n")
    added = [line for line in result.stdout.splitlines() if line.startswith("+") and not line.startswith("+++")]
    assert added and any('"synonyms"' in line or '"join_specs"' in line for line in added)
    same = invoke(world, "diff", best, str(world.space), "--out", str(world.out))  # a version and a file
    assert same.exit_code == 0 and same.stdout.strip() == "no differences"
    unknown = invoke(world, "diff", first, "0123456789abcdef", "--out", str(world.out))
    assert unknown.exit_code == 2 and "unknown version '0123456789abcdef'" in " ".join(unknown.stderr.split())


def test_rollback_to_a_version_restores_its_exact_bytes(tmp_path: Path, loop_campaign: CliCampaign) -> None:
    world = clone(loop_campaign.world, tmp_path / "w")
    store = TrackingStore(world.tracking)
    cid = loop_campaign.summary["campaign"]
    first = store.history(cid)[0].config_version_id
    final = world.space.read_bytes()
    result = invoke(world, "rollback", "--to", first, *world.admin_args())
    assert result.exit_code == 0, result.output
    assert world.space.read_bytes() == demo_space_text(BARE_SPACE).encode("utf-8")  # the file as it was at first
    assert canonical_bytes(load_space(world.space)) == store.version_bytes(first)
    event = [e for e in store.events(cid) if e.kind == "rollback"][-1]
    assert event.data["restored_version_id"] == first
    assert event.data["previous_version_id"] == loop_campaign.summary["best_version"]
    back = invoke(world, "rollback", "--to", loop_campaign.summary["best_version"], *world.admin_args())
    assert back.exit_code == 0 and world.space.read_bytes() == final
    missing = invoke(world, "rollback", "--to", "0123456789abcdef", *world.admin_args())
    assert missing.exit_code == 2 and "unknown config version" in " ".join(missing.stderr.split())
    assert world.space.read_bytes() == final
