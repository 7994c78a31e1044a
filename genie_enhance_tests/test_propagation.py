"""The settle delay after a live write: which changes are slow to take effect, how long scoring waits, and that
the wait goes through the injected clock (nothing here actually sleeps)."""

from __future__ import annotations

from pathlib import Path

import pytest

from genie_enhance.core.progress import ProgressEvent, Stage
from genie_enhance.demo.space_configs import BARE_SPACE, demo_space_text
from genie_enhance.engine.propagation import (
    CONFIG_UPDATE,
    PROPAGATION_WAIT,
    record_write,
    settle_delay_s,
    touches_slow_settings,
    wait_for_propagation,
)
from genie_enhance.engine.runtime import CampaignSettings, Runtime
from genie_enhance.engine.settler import Settler
from genie_enhance.space.io import parse_space
from genie_enhance.space.model import ColumnConfig, SerializedSpace
from genie_enhance.tracking import CampaignSpec, TrackingStore


def _space() -> SerializedSpace:
    return parse_space(demo_space_text(BARE_SPACE), source=BARE_SPACE)


def _edited(change) -> SerializedSpace:
    space = _space()
    change(space.data_sources.tables[0])
    return space


def _column(table, **fields) -> None:
    table.column_configs = [*table.column_configs, ColumnConfig(column_name="zz_new", **fields)]


def _first(table, **fields) -> None:
    if not table.column_configs:
        _column(table, **fields)
        return
    for name, value in fields.items():
        setattr(table.column_configs[0], name, value)


@pytest.mark.parametrize("change,slow", [
    (lambda t: _first(t, enable_entity_matching=True), True),
    (lambda t: _first(t, enable_format_assistance=True), True),
    (lambda t: _column(t, enable_entity_matching=True), True),
    (lambda t: _column(t, value_dictionary={"enabled": True}), True),  # an extra key the service may add
    (lambda t: _first(t, synonyms=["another name"]), False),
    (lambda t: _first(t, description=["what it holds"]), False),
    (lambda t: _column(t, synonyms=["x"]), False),
])
def test_slow_changes_are_entity_matching_format_assistance_and_value_dictionaries(change, slow: bool) -> None:
    assert touches_slow_settings(_space(), _edited(change)) is slow


def _runtime(tmp_path: Path, backend: str = "databricks", clock: list[float] | None = None, **settings) -> Runtime:
    now = clock if clock is not None else [1000.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    rt = Runtime(CampaignSettings(space_key="s", backend=backend, benchmarks="", **settings), backend=None,
                 tracking=TrackingStore(tmp_path / "tracking.duckdb"), benchmarks=[],
                 settler=Settler(clock=lambda: now[0], sleep=sleep))
    rt.current["slept"] = slept
    return rt


@pytest.mark.parametrize("backend,settings,slow,expected", [
    ("databricks", {}, False, 30.0),
    ("databricks", {}, True, 90.0),
    ("databricks", {"settle_s": 5, "settle_slow_s": 12}, False, 5.0),
    ("databricks", {"settle_s": 5, "settle_slow_s": 12}, True, 12.0),
    ("local", {}, True, 0.0),
])
def test_settle_delay(tmp_path: Path, backend: str, settings: dict, slow: bool, expected: float) -> None:
    after = _edited(lambda t: _first(t, enable_entity_matching=True)) if slow else _edited(lambda t: _first(t, synonyms=["s"]))
    assert settle_delay_s(_runtime(tmp_path, backend, **settings), _space(), after) == expected


def test_scoring_waits_until_the_last_write_took_effect(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clock = [1000.0]
    rt = _runtime(tmp_path, clock=clock)
    events: list[ProgressEvent] = []
    rt.progress = events.append
    campaign = rt.tracking.start_campaign(CampaignSpec(space_key="s", backend="databricks"))
    assert wait_for_propagation(rt, campaign, 1) == 0.0  # nothing written yet
    record_write(rt, campaign, 1, _space(), _edited(lambda t: _first(t, synonyms=["s"])), "batch v1")
    clock[0] += 12.0  # the rest of the iteration took 12 s
    assert wait_for_propagation(rt, campaign, 2) == pytest.approx(18.0)
    assert rt.current["slept"] == [pytest.approx(18.0)] and clock[0] == pytest.approx(1030.0)
    [wait] = events
    assert (wait.stage, wait.task, wait.seconds) == (Stage.WAIT, "propagation", pytest.approx(18.0))
    assert "waiting 18.0s for the last update of the live space to take effect" in wait.message
    assert capsys.readouterr() == ("", "")  # the core prints nothing itself
    assert wait_for_propagation(rt, campaign, 2) == 0.0 and len(events) == 1  # already in effect: no second wait
    kinds = [(e.kind, e.iteration) for e in rt.tracking.events(campaign)]
    assert kinds == [(CONFIG_UPDATE, 1), (PROPAGATION_WAIT, 2)]
    assert rt.tracking.events(campaign)[1].data == {"waited_s": 18.0, "settle_s": 30.0}


def test_the_local_backend_never_waits(tmp_path: Path) -> None:
    rt = _runtime(tmp_path, "local")
    campaign = rt.tracking.start_campaign(CampaignSpec(space_key="s", backend="local"))
    record_write(rt, campaign, 1, _space(), _edited(lambda t: _first(t, enable_entity_matching=True)), "batch v1")
    assert wait_for_propagation(rt, campaign, 2) == 0.0 and rt.current["slept"] == []
