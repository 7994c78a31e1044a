"""No campaign on an invalid input: `run`, `score` and `apply` validate the space first and refuse its errors with
exit 2, leaving every file as it was; warnings of the starting config are shown and recorded; a batch compares
problems by place as well as text (issue 9.3, issue 10.8)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from genie_enhance.backends.local.space_store import FileSpaceStore
from genie_enhance.cli import app
from genie_enhance.engine.admission import SPACE_WARNING, admit_space
from genie_enhance.engine.batch import build_batch
from genie_enhance.engine.build import build_runtime, local_backend
from genie_enhance.engine.runtime import CampaignSettings
from genie_enhance.proposers.base import Proposal
from genie_enhance.scoring.categories import FailureCategory
from genie_enhance.space.fixes import parse_fix
from genie_enhance.space.io import load_space
from genie_enhance.tracking import TrackingStore
from genie_enhance_tests.support.loop_world import World, make_world

ORDERS, CUSTOMERS = "demo.commerce.orders", "demo.commerce.customers"


def invoke(world: World, *args: str) -> Result:
    return CliRunner().invoke(app, list(args), env=world.env)


def tree(root: Path) -> dict[str, bytes | None]:
    """Every path under `root` with its bytes (None for a folder): what "nothing written" compares."""
    return {str(p.relative_to(root)): (p.read_bytes() if p.is_file() else None) for p in sorted(root.rglob("*"))}


def with_space(world: World, content: bytes) -> World:
    world.space.write_bytes(content)
    return world


def missing_table(world: World) -> bytes:
    data = json.loads(world.space.read_text(encoding="utf-8"))
    data["data_sources"]["tables"][0]["identifier"] = "demo.commerce.aaa_no_such_table"  # still sorted first
    return json.dumps(data, indent=2).encode("utf-8")


@pytest.fixture
def world(tmp_path: Path, demo_db: Path) -> World:
    return make_world(tmp_path / "world", demo_db)


def assert_refused(result: Result, before: dict, world: World, *expected: str) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and not isinstance(result.exception, (KeyError, RecursionError))
    assert result.output.startswith(f"error: {world.space}: invalid Genie space") or \
        result.output.startswith(f"{world.space}: invalid Genie space"), result.output
    for text in expected:
        assert text in result.output
    assert tree(world.root) == before  # no tracking store, no versions folder, the space byte-identical


@pytest.mark.parametrize(("content", "expected"), [
    (lambda w: b"{}", ("version: version is required", "data_sources.tables: a space needs at least one table")),
    (missing_table, ("data_sources.tables[0].identifier: table demo.commerce.aaa_no_such_table does not exist",)),
    (lambda w: b'{"version": 2, "config": ' + b"[" * 5000 + b"]" * 5000 + b"}", ("nested more than 64 levels",)),
    (lambda w: w.space.read_bytes().replace(b'"version": 2', b'"version": 2, "note": "\\ud800"'),
     ("note: holds a lone surrogate",)),
    (lambda w: w.space.read_bytes().replace(b'"version": 2', b'"version": 2, "note": "\xff"'), ("not UTF-8 text",)),
], ids=["empty object", "missing table", "5000 deep", "lone surrogate", "not UTF-8"])
def test_run_refuses_an_invalid_space_and_writes_nothing(world: World, content, expected) -> None:
    with_space(world, content(world))
    before = tree(world.root)
    result = invoke(world, *world.run_args("--json"))
    assert_refused(result, before, world, *expected)
    if "version" not in expected[0] and "does not exist" not in expected[0]:  # a file we cannot read: one line
        assert len(result.output.strip().splitlines()) == 1, result.output


def test_score_and_apply_refuse_too(world: World) -> None:
    with_space(world, missing_table(world))
    proposal = world.root / "proposal.json"
    proposal.write_text("{}", encoding="utf-8")
    before = tree(world.root)
    score = invoke(world, "score", "--warehouse", str(world.warehouse), "--space", str(world.space),
                   "--benchmarks", str(world.benchmarks))
    assert_refused(score, before, world, "aaa_no_such_table does not exist")
    apply = invoke(world, "apply", "--proposal", str(proposal), *world.admin_args())
    assert_refused(apply, before, world, "aaa_no_such_table does not exist")


def test_warnings_of_the_base_are_shown_and_recorded_as_events(world: World) -> None:
    data = json.loads(world.space.read_text(encoding="utf-8"))
    data["data_sources"]["tables"][0]["description"] = ["Customers of the shop", "Each row is one customer.\n"]
    world.space.write_text(json.dumps(data, indent=2), encoding="utf-8")
    result = invoke(world, *world.run_args("--json", "--max-iterations", "1"))
    assert result.exit_code == 0, result.output
    line = "warning: data_sources.tables[0].description[0]: line 0 does not end with a newline"
    assert line in result.stderr
    store = TrackingStore(world.tracking)
    campaign = store.latest_campaign()
    events = [e for e in store.events(campaign.campaign_id) if e.kind == SPACE_WARNING]
    assert [e.data["code"] for e in events] == ["joined_text_lines"]
    assert events[0].data["path"] == "data_sources.tables[0].description[0]"


def _proposal(fix: dict) -> Proposal:
    return Proposal(fix=parse_fix(fix), proposer="test", rationale="r", question_ids=[],
                    category=FailureCategory.WRONG_JOIN)


def test_a_new_problem_with_the_text_of_an_existing_one_elsewhere_is_not_hidden(world: World) -> None:
    """The base's join has a bad column; one fix repairs it, another adds the very same mistake as a new join. By
    code and message alone the second looks like the base's known problem; by place it is new, and dropped."""
    settings = CampaignSettings(space_key="s", benchmarks=str(world.benchmarks), holdout=0)
    rt = build_runtime(settings, local_backend(world.warehouse, world.space), world.root / "out")
    try:
        base = load_space(world.space).model_copy(deep=True)
        bad = "`orders`.`cust_idx` = `customers`.`cust_id`"
        base.instructions.join_specs = [parse_fix({
            "type": "add_join", "left_table": ORDERS, "right_table": CUSTOMERS, "condition": "orders.cust_id = "
            "customers.cust_id", "relationship": "MANY_TO_ONE"}).apply(base).instructions.join_specs[0]]
        base.instructions.join_specs[0].sql[0] = bad
        join_id = base.instructions.join_specs[0].id
        repair = _proposal({"type": "fix_join", "join_id": join_id, "condition": "orders.cust_id = customers.cust_id"})
        again = _proposal({"type": "add_join", "left_table": ORDERS, "right_table": CUSTOMERS, "left_alias": "orders",
                           "right_alias": "customers", "condition": "orders.cust_idx = customers.cust_id",
                           "relationship": "MANY_TO_ONE"})
        batch = build_batch(rt, base, [repair, again])
        assert batch.accepted == [repair]
        assert [p for p, _ in batch.invalid] == [again]
        assert "unknown_column: column orders.cust_idx does not exist" in batch.invalid[0][1]
    finally:
        rt.close()


def test_admission_returns_warnings_and_never_writes(world: World) -> None:
    store = FileSpaceStore(world.space)
    backend = local_backend(world.warehouse, world.space)
    try:
        before = tree(world.root)
        assert admit_space(store, backend.warehouse) == []
        assert tree(world.root) == before
    finally:
        backend.close()


def test_a_known_problem_that_only_moved_does_not_drop_a_fix(world: World) -> None:
    """A fix inserting an example before the base's broken one shifts its index: still the same, known problem."""
    settings = CampaignSettings(space_key="s", benchmarks=str(world.benchmarks), holdout=0)
    rt = build_runtime(settings, local_backend(world.warehouse, world.space), world.root / "out")
    try:
        base = parse_fix({"type": "add_example_sql", "question": "Broken?",
                          "sql": "SELECT o.no_such_column FROM demo.commerce.orders o"}).apply(load_space(world.space))
        base.instructions.example_question_sqls[0].id = "f" * 32  # every new example sorts before it
        add = _proposal({"type": "add_example_sql", "question": "How many orders?",
                         "sql": "SELECT COUNT(*) AS n FROM demo.commerce.orders"})
        batch = build_batch(rt, base, [add])
        assert batch.invalid == [] and batch.accepted == [add]
        assert batch.candidate.instructions.example_question_sqls[1].id == "f" * 32  # it did move
    finally:
        rt.close()
