"""The loop's scale work changed no result: a seeded demo campaign decides, applies and records exactly what main
did before it (trace recorded from main in `fixtures/demo_campaign_traces.json`), and the tracking store's
multi-row upsert leaves the rows that one INSERT per row left, duplicates of a key included."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from genie_enhance.tracking.database import upsert
from genie_enhance_tests.engine.campaign_trace import SEEDS, TRACES, campaign_trace


@pytest.mark.parametrize("seed", SEEDS)
def test_a_seeded_demo_campaign_decides_exactly_as_before(tmp_path: Path, seed: int) -> None:
    [expected] = [t for t in json.loads(TRACES.read_text(encoding="utf-8")) if t["seed"] == seed]
    assert json.loads(json.dumps(campaign_trace(tmp_path, seed), default=str)) == expected


@pytest.mark.parametrize("update", [None, ("b",), ()])
def test_upsert_in_chunks_leaves_the_rows_one_insert_per_row_leaves(update: tuple[str, ...] | None) -> None:
    n, chunk = 47, 10  # several chunks, the last one partial
    rows = [{"k": i % (n - 5), "a": f"a{i}", "b": i} for i in range(n)]  # 5 keys written twice
    results = []
    for way in ("per_row", "upsert"):
        conn = duckdb.connect()
        conn.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, a VARCHAR, b INTEGER)")
        conn.execute("INSERT INTO t VALUES (3, 'old', -1), (n_key(), 'old', -2)".replace("n_key()", str(n - 6)))
        if way == "per_row":
            for row in rows:
                upsert(conn, "t", [row], key=["k"], update=update)
        else:
            upsert(conn, "t", rows, key=["k"], update=update, chunk=chunk)
        results.append(conn.execute("SELECT * FROM t ORDER BY k").fetchall())
        conn.close()
    assert results[0] == results[1]
    assert len(results[0]) == n - 5
