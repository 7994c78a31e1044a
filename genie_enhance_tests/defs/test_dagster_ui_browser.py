"""The Dagster UI in a real headless Chromium: the loop group's asset graph renders every loop asset.

The server is the session's shared one (`dagster_dev_session`): after the smoke module (`test_dagster_dev_smoke.py`)
the graph shows its campaign's materialized iterations; alone, the same graph with no partitions yet. The
screenshot goes to pytest's tmp directory (its path is printed), never into the repository.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from genie_enhance_tests.support.browser import browser_page, require_chromium, watch
from genie_enhance_tests.support.dagster_dev import DagsterDev, SharedDagsterDev, session_processes, stop_problems

pytestmark = pytest.mark.timeout(600)  # the module's server start counts into the first test's time

LOOP_ASSETS = ["space_config", "benchmark_results", "proposed_fixes", "validated_config", "applied_config",
               "lessons_learned", "evolution_metrics"]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# Wide enough that the graph opens at a zoom with full nodes (name, checks, partitions), not name-only boxes.
VIEWPORT = (2200, 1100)
NODE_NAME = 'svg foreignObject [class*="AssetNode_assetName"]'
NODE_BOX = '[class*="AssetNode_assetNodeContainer"]'
RENDER_TIMEOUT_S = 60


@pytest.fixture(scope="module")
def server(dagster_dev_session: SharedDagsterDev) -> DagsterDev:
    require_chromium()  # skip (or fail under CI) before paying for a server
    return dagster_dev_session.get()


def _node_texts(page) -> dict[str, str]:  # noqa: ANN001 - playwright's Page
    """Each rendered asset node's name → its whole node text (name, checks, partitions)."""
    texts = page.locator(NODE_NAME).evaluate_all(
        f"els => els.map(e => [e.innerText.trim(), e.closest('{NODE_BOX}').innerText])")
    return {name: text for name, text in texts}


def _wait_for_graph(page, deadline: float) -> dict[str, str]:  # noqa: ANN001
    """Until every loop asset is a node whose live data (events, checks, partition counts) has loaded."""
    while True:
        nodes = _node_texts(page)
        ready = all(name in nodes and re.search(r"\d+ partitions?", nodes[name]) and "Loading" not in nodes[name]
                    for name in LOOP_ASSETS)
        if ready or time.monotonic() > deadline:
            return nodes
        page.wait_for_timeout(250)


def test_asset_graph_shows_the_loop_assets(server: DagsterDev, tmp_path: Path):
    partitions = server.partition_keys("space_config")  # one dynamic partitions definition for the loop
    materialized = {name: {m["partition"] for m in server.materializations(name)} for name in LOOP_ASSETS}
    with browser_page(*VIEWPORT) as page:
        problems = watch(page)
        page.goto(f"{server.url}/locations/{server.location}/asset-groups/loop")
        nodes = _wait_for_graph(page, time.monotonic() + RENDER_TIMEOUT_S)
        screenshot = tmp_path / "asset_graph.png"
        page.screenshot(path=str(screenshot))
        print(f"\nasset graph screenshot: {screenshot}")

        assert sorted(nodes) == sorted(LOOP_ASSETS), f"nodes rendered: {sorted(nodes)}"
        for name in LOOP_ASSETS:
            assert f"{len(partitions)} partition" in nodes[name], f"{name}: {nodes[name]!r}"
            if partitions and materialized[name] >= set(partitions):  # after the smoke module's campaign
                assert "100% filled" in nodes[name], f"{name}: {nodes[name]!r}"
        for checked in ("benchmark_results", "validated_config"):  # the score-regression and validity checks
            assert "Asset checks" in nodes[checked] and "Passed" in nodes[checked], nodes[checked]
        assert page.get_by_text("benchmarks", exact=True).count() >= 1  # the upstream input, drawn as a link
        assert problems.ok, problems.describe()
        outside = [url for url in problems.requests if not url.startswith((server.url, "data:", "blob:"))]
        assert outside == [], f"the UI fetched from outside the server: {outside[:5]}"
    data = screenshot.read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 50_000  # a drawn graph, not a blank page


def test_server_stops_cleanly(server: DagsterDev):
    """The shared server's last user in the suite's order stops it: SIGINT, every spawned process gone, port free
    (a module that still needs it later gets a fresh one; the session's end checks any server left running)."""
    assert stop_problems(server) == []
    assert session_processes(server.process.pid) == []
