"""FileSpaceStore: etags, stale-etag refusal, atomic writes, exact-byte history, the export wrapper kept."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import shutil
from pathlib import Path

import pytest

from genie_enhance.backends.local.space_store import FileSpaceStore
from genie_enhance.errors import ConcurrentEditError, SpaceFormatError
from genie_enhance.space.io import parse_document
from genie_enhance.space.model import TableSource

BARE_SPACE = {
    "version": 2,
    "data_sources": {"tables": [{"identifier": "shop.sales.orders", "description": ["Orders"]}]},
}


def _sha32(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:32]


@pytest.fixture
def space_file(tmp_path: Path) -> Path:
    path = tmp_path / "space.json"
    path.write_text(json.dumps(BARE_SPACE, indent=1), encoding="utf-8")
    return path


def _leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.rglob("*.tmp"))


def test_export_returns_space_and_sha256_etag(space_file: Path) -> None:
    space, etag = FileSpaceStore(space_file).export()
    assert space.data_sources.tables[0].identifier == "shop.sales.orders"
    assert etag == _sha32(space_file.read_bytes())


def test_update_with_current_etag_writes_and_returns_new_etag(space_file: Path) -> None:
    store = FileSpaceStore(space_file)
    space, etag = store.export()
    changed = space.model_copy(deep=True)
    changed.data_sources.tables.append(TableSource(identifier="shop.sales.customers"))
    new_etag = store.update(changed, etag)
    assert new_etag != etag
    assert new_etag == _sha32(space_file.read_bytes())
    reread, reread_etag = store.export()
    assert [t.identifier for t in reread.data_sources.tables] == ["shop.sales.orders", "shop.sales.customers"]
    assert reread_etag == new_etag
    assert _leftovers(space_file.parent) == []


def test_stale_etag_raises_and_leaves_file_unchanged(space_file: Path) -> None:
    store = FileSpaceStore(space_file)
    space, etag = store.export()
    first = space.model_copy(deep=True)
    first.data_sources.tables[0].description = ["first writer"]
    store.update(first, etag)
    before = space_file.read_bytes()
    second = space.model_copy(deep=True)
    second.data_sources.tables[0].description = ["second writer, stale"]
    with pytest.raises(ConcurrentEditError, match="stale"):
        store.update(second, etag)
    assert space_file.read_bytes() == before
    with pytest.raises(ConcurrentEditError):
        store.restore_bytes(b"{}", etag)
    assert space_file.read_bytes() == before


def test_external_edit_makes_exported_etag_stale(space_file: Path) -> None:
    store = FileSpaceStore(space_file)
    space, etag = store.export()
    space_file.write_text(space_file.read_text() + "\n", encoding="utf-8")  # someone else touched the file
    edited = space_file.read_bytes()
    with pytest.raises(ConcurrentEditError):
        store.update(space, etag)
    assert space_file.read_bytes() == edited


def test_versions_keep_exact_bytes_and_restore_rolls_back(space_file: Path) -> None:
    store = FileSpaceStore(space_file)
    original = space_file.read_bytes()
    space, etag0 = store.export()
    assert store.versions() == []
    v1 = space.model_copy(deep=True)
    v1.data_sources.tables[0].description = ["v1"]
    etag1 = store.update(v1, etag0)
    v2 = v1.model_copy(deep=True)
    v2.data_sources.tables[0].description = ["v2"]
    etag2 = store.update(v2, etag1)
    versions = store.versions()
    assert [v.etag for v in versions] == [etag0, etag1, etag2]
    assert [v.number for v in versions] == [1, 2, 3]
    assert [v.path.name for v in versions][0] == f"0001-{etag0}.json"
    assert store.read_version(etag0) == original  # the hand-written original, byte for byte
    for version in versions:
        assert _sha32(version.path.read_bytes()) == version.etag
    assert store.read_version(etag2) == space_file.read_bytes()

    restored = store.restore_bytes(store.read_version(etag0), etag2)
    assert restored == etag0
    assert space_file.read_bytes() == original
    assert [v.etag for v in store.versions()] == [etag0, etag1, etag2, etag0]
    with pytest.raises(KeyError):
        store.read_version("0" * 32)
    assert _leftovers(space_file.parent) == []


def test_restore_rejects_invalid_bytes(space_file: Path) -> None:
    store = FileSpaceStore(space_file)
    _, etag = store.export()
    before = space_file.read_bytes()
    with pytest.raises(SpaceFormatError):
        store.restore_bytes(b'{"data_sources": {"tables": [{"no_identifier": 1}]}}', etag)
    assert space_file.read_bytes() == before


def test_unchanged_update_writes_nothing(space_file: Path) -> None:
    store = FileSpaceStore(space_file)
    _, etag = store.export()
    space, _ = store.export()
    first = store.update(space, etag)  # re-serialized: bytes differ from the hand-written file
    assert store.update(space, first) == first
    assert len(store.versions()) == 2


def test_export_wrapper_is_preserved(tmp_path: Path, fixtures_dir: Path) -> None:
    path = tmp_path / "omop.json"
    shutil.copy(fixtures_dir / "genie_spaces" / "omop_semantic_v1_space_export.json", path)
    wrapper_before = json.loads(path.read_text(encoding="utf-8"))
    store = FileSpaceStore(path)
    space, etag = store.export()
    changed = space.model_copy(deep=True)
    changed.data_sources.tables.append(TableSource(identifier="omop.cdm.edited_by_test"))
    store.update(changed, etag)
    wrapper_after = json.loads(path.read_text(encoding="utf-8"))
    assert set(wrapper_after) == set(wrapper_before)
    for key in ("space_id", "title", "description", "warehouse_id"):
        assert wrapper_after.get(key) == wrapper_before.get(key)
    assert isinstance(wrapper_after["serialized_space"], str)
    document = parse_document(path.read_text(encoding="utf-8"))
    assert document.export is not None
    assert document.space.data_sources.tables[-1].identifier == "omop.cdm.edited_by_test"
    assert document.space.data_sources.metric_views == space.data_sources.metric_views


def _racer(path: str, etag: str, label: str, queue: multiprocessing.Queue[str], start) -> None:
    store = FileSpaceStore(path)
    space, _ = store.export()
    space.data_sources.tables[0].description = [label]
    start.wait(10)  # all writers call update at the same moment
    try:
        store.update(space, etag)
        queue.put(f"ok:{label}")
    except ConcurrentEditError:
        queue.put(f"conflict:{label}")


def test_two_processes_with_the_same_etag_one_wins(space_file: Path) -> None:
    _, etag = FileSpaceStore(space_file).export()
    ctx = multiprocessing.get_context("fork")
    queue, start = ctx.Queue(), ctx.Barrier(4)
    procs = [ctx.Process(target=_racer, args=(str(space_file), etag, f"p{i}", queue, start)) for i in range(4)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(30)
    outcomes = sorted(queue.get(timeout=5) for _ in procs)
    winners = [o for o in outcomes if o.startswith("ok:")]
    assert len(winners) == 1, outcomes
    space, _ = FileSpaceStore(space_file).export()
    assert space.data_sources.tables[0].description == [winners[0].split(":")[1]]
    assert len(FileSpaceStore(space_file).versions()) == 2  # the original and the single winner
    assert _leftovers(space_file.parent) == []


def test_missing_file_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nope.json"):
        FileSpaceStore(tmp_path / "nope.json").export()
