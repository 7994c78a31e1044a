"""After `genie-enhance demo` (what `make demo` runs), Dagster on the same directory: the campaign sensor describes the
CLI's campaign instead of "no campaign started yet", and a launchpad campaign starts from a fresh copy of the bare
demo space, so the loop visibly applies fixes (it used to get the space the CLI demo had tuned: 1 iteration, 0
fixes); and each campaign's trajectory is an asset of its own. In-process: the start job, the sensor called
directly, each requested run executed (dagster_notes §4).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest
from typer.testing import CliRunner

from genie_enhance.cli import app
from genie_enhance.defs.local_run import open_instance
from genie_enhance.defs.metadata import campaign_asset_key
from genie_enhance.defs.project import build_definitions
from genie_enhance.defs.sensors import NO_START
from genie_enhance.demo.space_configs import BARE_SPACE
from genie_enhance.engine.partition_keys import partition_key
from genie_enhance.tracking import TrackingStore
from genie_enhance_tests.support.dagster_world import drive, metadata, start_campaign, tick


@dataclass
class AfterDemo:
    root: Path
    home: Path
    summary: dict  # the CLI demo's --json summary

    @property
    def demo(self) -> Path:
        return self.root / "out" / "demo"

    @property
    def store(self) -> TrackingStore:
        return TrackingStore(self.demo / "tracking.duckdb")


@pytest.fixture(scope="module")
def after_demo(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("after-demo")
    home = root / "dagster_home"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DAGSTER_HOME", str(home))
        env.delenv("GENIE_ENHANCE_CONFIG", raising=False)
        env.chdir(root)
        result = CliRunner().invoke(app, ["demo", "--out", str(root / "out" / "demo"), "--json"])
        assert result.exit_code == 0, result.output
        yield AfterDemo(root, home, json.loads(result.stdout.strip().splitlines()[-1]))


def _ui_campaign(after: AfterDemo, instance: dg.DagsterInstance, **config) -> tuple[str, list[dict]]:
    """A launchpad start on the demo project (no genie_enhance.yaml), driven to its end; its evolution_metrics."""
    defs = build_definitions(config_file=None, demo_base=after.root)
    started = start_campaign(defs, instance, **config)
    assert started.success
    campaign_id = started.output_for_node("new_campaign")
    driven = drive(defs, instance)
    assert all(run.success for _, run, _ in driven.runs)
    rows = [metadata(instance, "evolution_metrics", partition_key("demo", campaign_id, n))
            for n in range(1, len(after.store.history(campaign_id)) + 1)]
    return campaign_id, rows


def test_the_sensor_describes_the_cli_demo_campaign(after_demo: AfterDemo):
    cli_id, iterations = after_demo.summary["campaign"], after_demo.summary["iterations"]
    record = after_demo.store.campaign(cli_id)
    with open_instance(after_demo.home) as instance:
        result = tick(instance)
    assert isinstance(result, dg.SkipReason)
    notes = result.skip_message.split("; ")
    assert notes[0] == NO_START
    assert notes[1] == (f"{cli_id} (demo, run by the CLI): finished ({record.stop_reason}) at "
                        f"{partition_key('demo', cli_id, iterations)}")


def test_a_launchpad_campaign_after_make_demo_starts_from_the_bare_space_and_applies_fixes(after_demo: AfterDemo):
    cli_final = after_demo.summary["final"]["all"]
    with open_instance(after_demo.home) as instance:
        campaign_id, rows = _ui_campaign(after_demo, instance, max_iterations=2)
        after = tick(instance)
    assert rows[0]["score_all"] < cli_final  # scored the bare config, not the one the CLI demo tuned
    assert sum(row["fixes_applied"] for row in rows) >= 1
    assert rows[-1]["score_all"] > rows[0]["score_all"]
    record = after_demo.store.campaign(campaign_id)
    notes = after.skip_message.split("; ")
    assert f"{campaign_id}: finished ({record.stop_reason}) at {partition_key('demo', campaign_id, len(rows))}" in notes
    assert any(note.startswith(f"{after_demo.summary['campaign']} (demo, run by the CLI)") for note in notes)


def test_fresh_demo_space_false_continues_from_the_file_as_it_is(after_demo: AfterDemo):
    space = after_demo.demo / "space.json"
    assert space.read_bytes() != (after_demo.demo / BARE_SPACE).read_bytes()  # the last campaign tuned it
    with open_instance(after_demo.home) as instance:
        _, rows = _ui_campaign(after_demo, instance, max_iterations=2, fresh_demo_space=False)
    assert rows[0]["score_all"] > 0.5 and rows[0]["fixes_applied"] < 45


def test_each_campaign_plots_alone_ordered_by_iteration(after_demo: AfterDemo):
    """`evolution_metrics` holds every campaign's iterations on one axis; `campaigns/<campaign>` holds one each."""
    campaigns = after_demo.store.campaigns("demo")
    assert len(campaigns) == 3  # the CLI demo and the two launchpad campaigns above
    keys = {campaign_asset_key("demo", c.campaign_id) for c in campaigns}
    assert len(keys) == len(campaigns)
    with open_instance(after_demo.home) as instance:
        for campaign in campaigns:
            records = instance.fetch_materializations(campaign_asset_key("demo", campaign.campaign_id),
                                                      limit=100).records
            points = [{k: v.value for k, v in r.asset_materialization.metadata.items()} for r in reversed(records)]
            history = after_demo.store.history(campaign.campaign_id)
            assert [p["iteration"] for p in points] == [h.iteration for h in history] == list(
                range(1, len(history) + 1))
            assert {p["campaign"] for p in points} == {campaign.campaign_id}
            assert [p["score_all"] for p in points] == pytest.approx([h.score_all for h in history])
            assert [p["decision"] for p in points] == [h.decision for h in history]
