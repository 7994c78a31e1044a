"""Nothing a person wrote is ever lost, and versions belong to their space (issue 10, findings 1 and 6).

After a campaign, a person edits the live space (a PATCH through the real databricks-sdk to the emulator, or an
edit of the local space file). `rollback --to V` then first records the live bytes as an `external` version E,
names it in its output and the event log, and `rollback --to E` gives the person's edit back byte for byte. A
version id of another space sharing the tracking store is refused by `rollback`, `diff` and `apply`, and
`rollback` refuses a version that would not validate.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from databricks.sdk import WorkspaceClient
from typer.testing import CliRunner

import genie_enhance.cli  # noqa: F401  (registers every command on the app)
from genie_enhance.benchmarks import load_benchmarks
from genie_enhance.cli.app import app
from genie_enhance.demo.build import DEMO_BENCHMARKS
from genie_enhance.demo.space_configs import BARE_SPACE, demo_space_text
from genie_enhance.emulator import Emulator
from genie_enhance.emulator.spaces import concurrent_edit
from genie_enhance.space.io import canonical_bytes, load_space, parse_space, space_to_json
from genie_enhance.tracking import TrackingStore

TOKEN = "dapi-human-edit-test-0000"
SPACE_ID = "01f0bb22cc33dd44ee55ff6677889900"
WAREHOUSE_ID = "demo-warehouse-1"
FAST = ["--poll-interval", "0.001", "--llm", "off", "--json", "--rate-per-minute", "1000000", "--max-iterations", "1"]
EXTERNAL = re.compile(r"as version ([0-9a-f]{16})")


@pytest.fixture(scope="module")
def world(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("human-edits")
    warehouse = root / "demo.duckdb"
    shutil.copy(demo_db, warehouse)
    bare = root / "space_bare.json"
    bare.write_text(demo_space_text(BARE_SPACE), encoding="utf-8")
    items = [{"id": b.id, "question": b.question, "expected_sql": b.expected_sql}
             for b in load_benchmarks(DEMO_BENCHMARKS / "commerce.md")[:6]]
    benchmarks = root / "first_6.json"
    benchmarks.write_text(json.dumps({"benchmarks": items}), encoding="utf-8")
    return {"root": root, "warehouse": warehouse, "bare": bare, "benchmarks": benchmarks}


def invoke(world: dict, args: list[str], host: str | None = None):
    env = {"DATABRICKS_CONFIG_FILE": str(world["root"] / "none"), "OPENAI_API_KEY": None,
           "DAGSTER_HOME": str(world["root"] / "dagster_home")}
    if host:
        env.update(DATABRICKS_HOST=host, DATABRICKS_TOKEN=TOKEN)
    return CliRunner().invoke(app, args, env=env)


def dbx(*args: str) -> list[str]:
    return [*args, "--backend", "databricks", "--space-id", SPACE_ID, "--warehouse-id", WAREHOUSE_ID]


def first_version(out: Path) -> str:
    store = TrackingStore(out / "tracking.duckdb")
    return store.history(store.latest_campaign().campaign_id)[0].config_version_id


def person_edits(host: str) -> str:
    """A person's edit through the real SDK over HTTP: one more sample question. Returns what Genie holds."""
    w = WorkspaceClient(host=host, token=TOKEN, auth_type="pat")
    found = w.genie.get_space(SPACE_ID, include_serialized_space=True)
    edited = concurrent_edit(parse_space(found.serialized_space), "by a person")
    w.genie.update_space(SPACE_ID, serialized_space=space_to_json(edited), etag=found.etag)
    return w.genie.get_space(SPACE_ID, include_serialized_space=True).serialized_space


def test_a_human_edit_on_databricks_survives_rollback(world: dict) -> None:
    out = world["root"] / "out-dbx"
    emulator, _ = Emulator.for_space(world["warehouse"], world["bare"], token=TOKEN, space_id=SPACE_ID,
                                     warehouse_id=WAREHOUSE_ID)
    with emulator:
        ran = invoke(world, dbx("run", "--benchmarks", str(world["benchmarks"]), "--out", str(out), *FAST),
                     emulator.host)
        assert ran.exit_code == 0, ran.stderr
        human = person_edits(emulator.host)
        v = first_version(out)
        back = invoke(world, dbx("rollback", "--to", v, "--out", str(out)), emulator.host)
        assert back.exit_code == 0, back.stderr
        assert canonical_bytes(emulator.workspace.space(SPACE_ID).space) == canonical_bytes(load_space(world["bare"]))
        external = EXTERNAL.search(back.stdout)
        assert external, back.stdout
        e = external.group(1)
        store = TrackingStore(out / "tracking.duckdb")
        assert store.version_bytes(e) == canonical_bytes(parse_space(human))
        campaign = store.latest_campaign().campaign_id
        assert any(ev.kind == "external_edit" and e in ev.message for ev in store.events(campaign))
        assert [x.source for x in store.versions(campaign) if x.version_id == e] == ["external"]
        again = invoke(world, dbx("rollback", "--to", e, "--out", str(out)), emulator.host)
        assert again.exit_code == 0, again.stderr
        assert not EXTERNAL.search(again.stdout)  # the live bytes were a recorded version: nothing new recorded
        assert emulator.workspace.space(SPACE_ID).serialized_space == human  # the person's edit, byte for byte


def test_a_human_edit_on_the_local_backend_survives_rollback(world: dict) -> None:
    out, space = world["root"] / "out-local", world["root"] / "local_space.json"
    shutil.copy(world["bare"], space)
    local = ["--backend", "local", "--warehouse", str(world["warehouse"]), "--space", str(space)]
    ran = invoke(world, ["run", *local, "--benchmarks", str(world["benchmarks"]), "--out", str(out), *FAST])
    assert ran.exit_code == 0, ran.stderr
    edited = concurrent_edit(load_space(space), "by a person")
    space.write_text(space_to_json(edited), encoding="utf-8")
    human = canonical_bytes(load_space(space))
    back = invoke(world, ["rollback", "--to", first_version(out), *local, "--out", str(out)])
    assert back.exit_code == 0, back.stderr
    e = EXTERNAL.search(back.stdout).group(1)
    assert canonical_bytes(load_space(space)) == canonical_bytes(load_space(world["bare"]))
    again = invoke(world, ["rollback", "--to", e, *local, "--out", str(out)])
    assert again.exit_code == 0, again.stderr
    assert canonical_bytes(load_space(space)) == human


def test_versions_of_another_space_are_refused(world: dict) -> None:
    out = world["root"] / "out-shared"
    spaces = {}
    for name in ("alpha", "beta"):
        spaces[name] = world["root"] / f"{name}.json"
        edited = concurrent_edit(load_space(world["bare"]), name)  # two spaces with different bytes
        spaces[name].write_text(space_to_json(edited), encoding="utf-8")
    local = lambda name: ["--backend", "local", "--warehouse", str(world["warehouse"]), "--space", str(spaces[name])]  # noqa: E731
    for name in spaces:
        ran = invoke(world, ["run", *local(name), "--benchmarks", str(world["benchmarks"]), "--out", str(out),
                             *FAST])
        assert ran.exit_code == 0, ran.stderr
    store = TrackingStore(out / "tracking.duckdb")
    alpha_v = store.history(store.latest_campaign("alpha").campaign_id)[0].config_version_id
    beta_v = store.history(store.latest_campaign("beta").campaign_id)[0].config_version_id
    before = spaces["beta"].read_bytes()
    refused = invoke(world, ["rollback", "--to", alpha_v, *local("beta"), "--out", str(out)])
    assert refused.exit_code == 2
    assert f"version {alpha_v} belongs to space alpha, not 'beta'" in refused.stderr
    assert "Traceback" not in refused.stderr + refused.stdout
    assert spaces["beta"].read_bytes() == before
    diffed = invoke(world, ["diff", alpha_v, beta_v, "--out", str(out), "--space-key", "beta"])
    assert diffed.exit_code == 2 and "belongs to space alpha" in diffed.stderr
    proposal = world["root"] / "alpha-proposal.json"
    proposal.write_text(json.dumps({"format": "genie-enhance-proposal/1", "space_key": "alpha", "campaign": None,
                                    "base_version_id": alpha_v, "fixes": []}), encoding="utf-8")
    applied = invoke(world, ["apply", "--proposal", str(proposal), *local("beta"), "--out", str(out)])
    assert applied.exit_code == 2 and "the proposal is for space 'alpha', not 'beta'" in applied.stderr


def test_rollback_refuses_an_invalid_version(world: dict) -> None:
    out, space = world["root"] / "out-invalid", world["root"] / "invalid_space.json"
    shutil.copy(world["bare"], space)
    local = ["--backend", "local", "--warehouse", str(world["warehouse"]), "--space", str(space)]
    ran = invoke(world, ["run", *local, "--benchmarks", str(world["benchmarks"]), "--out", str(out), *FAST])
    assert ran.exit_code == 0, ran.stderr
    broken = load_space(space).model_copy(deep=True)
    broken.data_sources.tables[0].identifier = "main.nowhere.no_such_table"
    store = TrackingStore(out / "tracking.duckdb")
    bad = store.record_version(canonical_bytes(broken), source="external", space_key="invalid-space")
    before = space.read_bytes()
    refused = invoke(world, ["rollback", "--to", bad, *local, "--out", str(out)])
    assert refused.exit_code == 2, refused.stdout
    assert f"version {bad} is not valid for the live space; not restored" in refused.stderr
    assert space.read_bytes() == before
