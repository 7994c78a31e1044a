"""Someone edits the live space mid-iteration (between the campaign's export and its update), end to end through
`run_campaign` on real files: their edit is recorded as an `external` version and the batch is rebased onto it —
or, when the space changes again during the rebase, the campaign stops with reason `concurrent_edit`. Never
`no_fixes`, never a lost edit, never a batch written over someone else's config."""

from __future__ import annotations

from pathlib import Path

import pytest

from genie_enhance.backends.local.space_store import FileSpaceStore
from genie_enhance.demo.space_configs import BARE_SPACE, demo_space_text
from genie_enhance.emulator.spaces import concurrent_edit
from genie_enhance.engine.build import build_runtime, local_backend
from genie_enhance.engine.campaign import run_campaign
from genie_enhance.engine.runtime import CampaignSettings
from genie_enhance.space.io import canonical_bytes, load_space, parse_space
from genie_enhance.tracking import TrackingStore
from genie_enhance_tests.support.loop_world import World, make_world


class PersonEditing:
    """The file space store, with a person editing the file (through their own store) right after the
    campaign's exports numbered in `edit_after` — i.e. between the campaign's export and its update."""

    def __init__(self, inner: FileSpaceStore, path: Path, edit_after: set[int]) -> None:
        self.inner, self.path, self.edit_after, self.exports = inner, path, edit_after, 0

    def export(self):
        exported = self.inner.export()
        self.exports += 1
        if self.exports in self.edit_after:
            person = FileSpaceStore(self.path)
            space, etag = person.export()
            person.update(concurrent_edit(space, f"person-{self.exports}"), etag)
        return exported

    def update(self, space, etag: str) -> str:
        return self.inner.update(space, etag)


def _edits(space) -> list[str]:
    return [q.question[0] for q in space.config.sample_questions if q.question[0].startswith("Concurrent edit")]


def _campaign(world: World, edit_after: set[int]) -> tuple[TrackingStore, str]:
    settings = CampaignSettings(space_key="loop", benchmarks=str(world.benchmarks), holdout=0, target=0.95,
                                max_iterations=2)
    rt = build_runtime(settings, local_backend(world.warehouse, world.space), world.out)
    rt.backend.store = PersonEditing(rt.backend.store, world.space, edit_after)
    try:
        campaign_id = run_campaign(rt)
    finally:
        rt.close()
    return TrackingStore(world.tracking), campaign_id


def test_the_batch_is_rebased_onto_an_edit_made_mid_iteration(tmp_path: Path, demo_db: Path) -> None:
    world = make_world(tmp_path, demo_db)
    store, cid = _campaign(world, {1})  # export 1 is iteration 1's snapshot: the edit lands before the apply
    first = store.history(cid)[0]
    assert first.fixes_applied > 0 and first.stop_reason is None and first.applied_version_id
    live = load_space(world.space)
    assert _edits(live) == ["Concurrent edit person-1?"]  # the person's edit is live …
    assert canonical_bytes(live) == store.version_bytes(store.history(cid)[-1].applied_version_id or
                                                        store.history(cid)[-1].config_version_id)  # … with the batch
    external = [v for v in store.versions(cid) if v.source == "external" and v.iteration == 1]
    assert len(external) == 1 and _edits_of(store, external[0].version_id) == ["Concurrent edit person-1?"]
    assert [v.parent_id for v in store.versions(cid) if v.version_id == first.applied_version_id] \
        == [external[0].version_id]  # the applied batch sits on top of the person's version
    kinds = [e.kind for e in store.events(cid, 1)]
    assert "concurrent_edit" in kinds and "external_edit" in kinds
    assert store.campaign(cid).stop_reason not in ("no_fixes", "concurrent_edit")
    assert all(f.status != "rejected" for f in store.fixes(cid, 1))


def _edits_of(store: TrackingStore, version_id: str) -> list[str]:
    return _edits(parse_space(store.version_bytes(version_id).decode("utf-8"), source=version_id))


def test_an_edit_during_the_rebase_stops_the_campaign_as_concurrent_edit(tmp_path: Path, demo_db: Path) -> None:
    world = make_world(tmp_path, demo_db)
    store, cid = _campaign(world, {1, 2})  # export 2 is the rebase's: the space changes again under it
    history = store.history(cid)
    assert len(history) == 1 and history[0].stop_reason == "concurrent_edit" and history[0].applied_version_id is None
    assert store.campaign(cid).stop_reason == "concurrent_edit"
    live = load_space(world.space)
    assert _edits(live) == ["Concurrent edit person-1?", "Concurrent edit person-2?"]  # both edits survive
    bare = parse_space(demo_space_text(BARE_SPACE), source=BARE_SPACE)
    assert live.data_sources == bare.data_sources and live.instructions == bare.instructions  # none of the batch
    fixes = store.fixes(cid, 1)
    assert fixes and all(f.status in ("rejected", "invalid") for f in fixes)
    assert any("changed again" in (f.status_reason or "") for f in fixes)
    assert [v.source for v in store.versions(cid)].count("external") == 1  # the edit the rebase saw, recorded


class Crash(RuntimeError):
    """Stands for the process dying at this point."""


class CrashAfterWrite(PersonEditing):
    """A person edits after the first export, and the process dies right after its (rebased) batch was written."""

    def update(self, space, etag: str) -> str:
        new_etag = self.inner.update(space, etag)
        raise Crash(f"simulated crash after the write that gave etag {new_etag}")


def test_a_crash_after_the_rebased_write_resumes_keeping_the_persons_edit(tmp_path: Path, demo_db: Path) -> None:
    world = make_world(tmp_path, demo_db)
    settings = CampaignSettings(space_key="loop", benchmarks=str(world.benchmarks), holdout=0, target=0.95,
                                max_iterations=2)
    rt = build_runtime(settings, local_backend(world.warehouse, world.space), world.out)
    rt.backend.store = CrashAfterWrite(rt.backend.store, world.space, {1})
    try:
        with pytest.raises(Crash):
            run_campaign(rt)
    finally:
        rt.close()
    store = TrackingStore(world.tracking)
    cid = store.latest_campaign().campaign_id
    external = [v.version_id for v in store.versions(cid) if v.source == "external"]
    assert len(external) == 1 and store.pending_apply(cid).base_version_id == external[0]
    rt = build_runtime(settings, local_backend(world.warehouse, world.space), world.out)
    try:
        assert run_campaign(rt) == cid  # resumed
    finally:
        rt.close()
    resumed = [e for e in store.events(cid) if e.kind == "resume" and "restored_version_id" in e.data]
    assert [e.data["restored_version_id"] for e in resumed] == external  # their edit, not our snapshot, put back
    assert _edits(load_space(world.space)) == ["Concurrent edit person-1?"]
    assert store.history(cid)[0].config_version_id == external[0]  # the redo starts from their config
    assert store.campaign(cid).status == "finished"
