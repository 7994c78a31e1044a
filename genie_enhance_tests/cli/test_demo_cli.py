"""`genie-enhance demo --build-only --out DIR` writes the warehouse and both space configs (the whole demo campaign
is tested in `test_demo_campaign.py`)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

import genie_enhance.cli  # noqa: F401 - registers the commands
from genie_enhance.backends.local.warehouse import DuckDBWarehouse
from genie_enhance.cli.app import app
from genie_enhance.demo.build import DemoFiles, fresh_working_space
from genie_enhance.demo.space_configs import BARE_SPACE, TUNED_SPACE, demo_space_text
from genie_enhance.space.io import load_space


def test_demo_build_only_writes_three_files(tmp_path: Path) -> None:
    out = tmp_path / "nested" / "demo"
    result = CliRunner().invoke(app, ["demo", "--build-only", "--out", str(out)])
    assert result.exit_code == 0, result.output
    files = [out / "demo.duckdb", out / BARE_SPACE, out / TUNED_SPACE]
    assert all(f.is_file() for f in files)
    printed = result.output.split()
    assert printed == [str(f) for f in files]
    for name in (BARE_SPACE, TUNED_SPACE):
        assert (out / name).read_text(encoding="utf-8") == demo_space_text(name)
        space = load_space(out / name)
        warehouse = DuckDBWarehouse(out / "demo.duckdb")
        try:
            catalog = warehouse.catalog()
            assert all(catalog.has_table(t.identifier) for t in space.data_sources.tables)
        finally:
            warehouse.close()


def test_demo_seed_changes_the_data(tmp_path: Path) -> None:
    runner = CliRunner()
    counts = []
    for seed in ("1", "2"):
        out = tmp_path / seed
        assert runner.invoke(app, ["demo", "--build-only", "--out", str(out), "--data-seed", seed]).exit_code == 0
        warehouse = DuckDBWarehouse(out / "demo.duckdb")
        counts.append(warehouse.execute("SELECT SUM(gross_amt_usd) FROM demo.commerce.orders").rows[0][0])
        warehouse.close()
    assert counts[0] != counts[1]


def test_demo_working_space_is_a_fresh_copy_of_the_bare_space(tmp_path: Path) -> None:
    bare = tmp_path / BARE_SPACE
    bare.write_text(demo_space_text(BARE_SPACE), encoding="utf-8")
    files = DemoFiles(tmp_path / "demo.duckdb", bare, tmp_path / TUNED_SPACE)
    (tmp_path / "space.json").write_text('{"version": 2, "edited": "by an earlier campaign"}', encoding="utf-8")
    working = fresh_working_space(files)
    assert working == tmp_path / "space.json" and working.read_bytes() == bare.read_bytes()
