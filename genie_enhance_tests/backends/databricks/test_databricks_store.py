"""`DatabricksSpaceStore` through the real `databricks-sdk` against the emulator: export/update with etags, a
stale etag refused without overwriting, invalid spaces rejected with their JSON paths, v1 upgraded."""

from __future__ import annotations

import pytest
from databricks.sdk import WorkspaceClient

from genie_enhance.backends.databricks import DatabricksSpaceStore
from genie_enhance.emulator import Emulator
from genie_enhance.errors import ConcurrentEditError, SpaceFormatError
from genie_enhance.space.ids import stable_id
from genie_enhance.space.io import parse_space, space_to_json
from genie_enhance.space.model import TextInstruction
from genie_enhance_tests.support.emulator import SPACE_ID, client_for, emulator_space


def with_instruction(space, text: str, ident: str = "instr"):
    edited = space.model_copy(deep=True)
    edited.instructions.text_instructions = [TextInstruction(id=stable_id(ident), content=[text])]
    return edited


def test_export_returns_the_stored_space_and_its_etag(sdk_client: WorkspaceClient, emulator: Emulator) -> None:
    space, etag = DatabricksSpaceStore(sdk_client, SPACE_ID).export()
    assert space_to_json(space) == space_to_json(parse_space(emulator_space()))
    assert etag == emulator.workspace.space(SPACE_ID).etag


def test_update_writes_and_returns_the_etag_genie_now_holds(sdk_client: WorkspaceClient, emulator: Emulator) -> None:
    store = DatabricksSpaceStore(sdk_client, SPACE_ID)
    space, etag = store.export()
    new_etag = store.update(with_instruction(space, "Revenue means the order amount."), etag)
    assert new_etag != etag
    again, current = store.export()
    assert current == new_etag
    assert again.instructions.text_instructions[0].content == ["Revenue means the order amount."]
    # the store re-read the space after writing it
    routes = [r.route for r in emulator.requests() if r.route in ("get-space", "update-space")]
    assert routes == ["get-space", "update-space", "get-space", "get-space"]


def test_stale_etag_is_a_concurrent_edit_and_nothing_is_overwritten(sdk_client: WorkspaceClient, emulator: Emulator) -> None:
    store = DatabricksSpaceStore(sdk_client, SPACE_ID)
    emulator.faults.arm_concurrent_edit()  # someone edits the space right after our export
    space, etag = store.export()
    theirs = emulator.workspace.space(SPACE_ID).serialized_space
    with pytest.raises(ConcurrentEditError, match="stale"):
        store.update(with_instruction(space, "Our change."), etag)
    assert emulator.workspace.space(SPACE_ID).serialized_space == theirs
    live, _ = store.export()
    assert not live.instructions.text_instructions
    assert any("Concurrent edit" in q.question[0] for q in live.config.sample_questions)
    assert len(emulator.requests("update-space")) == 1  # refused once, never retried without the etag


def test_invalid_space_is_rejected_with_json_paths(sdk_client: WorkspaceClient, emulator: Emulator) -> None:
    store = DatabricksSpaceStore(sdk_client, SPACE_ID)
    space, etag = store.export()
    bad = with_instruction(space, "one")
    bad.instructions.text_instructions.append(TextInstruction(id="NOT-HEX", content=["two"]))
    with pytest.raises(SpaceFormatError) as caught:
        store.update(bad, etag)
    problems = "\n".join(caught.value.problems)
    assert "instructions.text_instructions[1].id" in problems
    assert store.export()[1] == etag  # nothing written


def test_v1_space_is_stored_and_exported_as_v2(make_emulator) -> None:
    emulator = make_emulator()
    v1 = emulator_space()
    v1["version"] = 1
    v1["data_sources"]["tables"][0]["column_configs"] = [
        {"column_name": "city", "get_example_values": True, "build_value_dictionary": True}
    ]
    record = emulator.add_space(parse_space(v1), space_id=stable_id("v1-space"), title="v1")
    space, _ = DatabricksSpaceStore(client_for(emulator), record.space_id).export()
    column = space.data_sources.tables[0].column_configs[0]
    assert space.version == 2
    assert (column.enable_format_assistance, column.enable_entity_matching) == (True, True)
    assert "get_example_values" not in space_to_json(space)
