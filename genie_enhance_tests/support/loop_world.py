"""A small, fixed world for the enhancement loop's end-to-end tests: the demo warehouse, the bare demo space and a
ten-question benchmark of our own (so the tests do not move when the demo benchmarks are tuned).

`make_world(root, warehouse)` writes a fresh space file and benchmark into `root`; the warehouse (read-only for
the loop) is shared. `loop_campaign` (session fixture) is one uninterrupted `genie-enhance run --json` on such a
world, the reference other tests compare with. Two locks let a test stop another process at an exact step:
`TrackingPeek` reads its tracking file while holding DuckDB's file lock (its next tracking write waits), and
`SpaceWriteLock` holds the file space store's write lock (its next write to the live space waits).
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from genie_enhance.benchmarks.model import question_id
from genie_enhance.cli import app
from genie_enhance.demo.space_configs import BARE_SPACE, demo_space_text
from genie_enhance.tracking.database import is_lock_conflict

Q_REVENUE = "What is the total revenue?"
Q_REGION = "What is the total revenue by region?"
Q_FREQUENT = "How many customers placed at least five orders?"
Q_BUSY_DAYS = "On how many days were more than 40 orders placed?"

LOOP_BENCHMARK = f"""# Loop test benchmark

Questions over `demo.commerce` for the enhancement loop's end-to-end tests.

## Customers

**Question:** How many customers do we have?

```sql
SELECT COUNT(*) AS customers FROM demo.commerce.customers
```

## Revenue

**Question:** {Q_REVENUE}

```sql
SELECT SUM(gross_amt_usd) AS revenue FROM demo.commerce.orders
```

## Orders in 2024

**Question:** How many orders were placed in 2024?

```sql
SELECT COUNT(*) AS orders FROM demo.commerce.orders WHERE YEAR(ord_ts) = 2024
```

## Customers by segment

**Question:** How many customers are there in each customer segment?

```sql
SELECT seg_cd AS segment, COUNT(*) AS customers FROM demo.commerce.customers GROUP BY seg_cd
```

## Enterprise customers

**Question:** How many enterprise customers do we have?

```sql
SELECT COUNT(*) AS customers FROM demo.commerce.customers WHERE seg_cd = 'ENT'
```

## Largest order

**Question:** What is the largest order amount?

```sql
SELECT MAX(gross_amt_usd) AS largest FROM demo.commerce.orders
```

## Products

**Question:** How many products are there?

```sql
SELECT COUNT(*) AS products FROM demo.commerce.products
```

## Average list price by category

**Question:** What is the average list price for each product category?

```sql
SELECT prod_cat AS category, AVG(list_price_usd) AS avg_list_price FROM demo.commerce.products GROUP BY prod_cat
```

## Cancelled orders

**Question:** How many orders were cancelled?

```sql
SELECT COUNT(*) AS orders FROM demo.commerce.orders WHERE ord_stat_cd = 'CNL'
```

## Revenue by region

**Question:** {Q_REGION}

```sql
SELECT r.rgn_nm AS region, SUM(o.gross_amt_usd) AS revenue
FROM demo.commerce.orders AS o
JOIN demo.commerce.customers AS c ON o.cust_id = c.cust_id
JOIN demo.commerce.regions AS r ON c.rgn_id = r.rgn_id
GROUP BY r.rgn_nm
```
"""

# Questions whose answer needs a derived table: the heuristic proposer has no shape to read them, so they are left
# to the LLM proposer.
DERIVED_BENCHMARK = f"""# Derived-table questions

## Frequent buyers

**Question:** {Q_FREQUENT}

```sql
SELECT COUNT(*) AS customers
FROM (SELECT cust_id FROM demo.commerce.orders GROUP BY cust_id HAVING COUNT(*) >= 5) AS t
```

## Busy days

**Question:** {Q_BUSY_DAYS}

```sql
SELECT COUNT(*) AS days
FROM (SELECT CAST(ord_ts AS DATE) AS d FROM demo.commerce.orders
      GROUP BY CAST(ord_ts AS DATE) HAVING COUNT(*) > 40) AS t
```
"""


def qid(question: str) -> str:
    return question_id(question)


@dataclass(frozen=True)
class World:
    root: Path
    warehouse: Path
    space: Path
    benchmarks: Path
    out: Path

    def run_args(self, *extra: str) -> list[str]:
        """`genie-enhance run` arguments for this world (no holdout: the objective is the score over all)."""
        return ["run", "--backend", "local", "--warehouse", str(self.warehouse), "--space", str(self.space),
                "--benchmarks", str(self.benchmarks), "--out", str(self.out), "--holdout", "0", *extra]

    def admin_args(self) -> list[str]:
        """The backend flags of `rollback` and `apply`."""
        return ["--backend", "local", "--warehouse", str(self.warehouse), "--space", str(self.space),
                "--out", str(self.out)]

    @property
    def tracking(self) -> Path:
        return self.out / "tracking.duckdb"

    @property
    def env(self) -> dict[str, str]:
        """The CLI runs campaigns through a persistent Dagster instance: this world's own, never the repository's."""
        return {"DAGSTER_HOME": str(self.root / "dagster_home")}


def make_world(root: Path, warehouse: Path, *, derived: bool = False) -> World:
    """A fresh bare space and the loop benchmark (plus the derived-table questions) under `root`."""
    root.mkdir(parents=True, exist_ok=True)
    space = root / "space.json"
    space.write_text(demo_space_text(BARE_SPACE), encoding="utf-8")
    bench = root / "benchmarks"
    bench.mkdir(exist_ok=True)
    (bench / "loop.md").write_text(LOOP_BENCHMARK, encoding="utf-8")
    if derived:
        (bench / "derived.md").write_text(DERIVED_BENCHMARK, encoding="utf-8")
    return World(root, warehouse, space, bench, root / "out")


RUN_FLAGS = ("--json", "--target", "0.95", "--max-iterations", "4")


def run_cli(world: World, *extra: str) -> dict:
    """`genie-enhance run` on the world, in this process; the `--json` summary."""
    return invoke_run(world, *extra)[0]


def invoke_run(world: World, *extra: str) -> tuple[dict, str]:
    """`genie-enhance run` on the world, in this process: the `--json` summary and the whole of stdout."""
    result = CliRunner().invoke(app, world.run_args(*RUN_FLAGS, *extra), env=world.env)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout.strip().splitlines()[-1]), result.stdout


@dataclass(frozen=True)
class CliCampaign:
    world: World
    summary: dict
    stdout: str


@pytest.fixture(scope="session")
def loop_campaign(tmp_path_factory: pytest.TempPathFactory, demo_db: Path) -> CliCampaign:
    """One uninterrupted `run --json` campaign on the loop world (tests must not change its files: copy them)."""
    world = make_world(tmp_path_factory.mktemp("loop-campaign"), demo_db)
    summary, stdout = invoke_run(world)
    assert summary["iterations"] >= 2 and summary["fixes_applied"] > 0, "precondition: a batch applied, then rescored"
    return CliCampaign(world, summary, stdout)


def cli_command() -> list[str]:
    """`genie-enhance` as a new process, run by this interpreter (so with the same virtualenv)."""
    return [sys.executable, "-m", "genie_enhance"]


def cli_env(world: World, **extra: str) -> dict[str, str]:
    """The environment of a CLI subprocess: no LLM or Dagster settings from the caller's, the world's instance."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "GENIE_ENHANCE_", "DAGSTER_"))}
    env.update(world.env, **extra)
    return env


class TrackingPeek:
    """Reads of another process's tracking file. A connection held open (read-only) holds DuckDB's file lock, so
    the writer's next transaction waits (it retries on lock conflicts) until it is closed: `hold_when` stops the
    other process right after the write that made a query true, at a known step."""

    def __init__(self, path: Path, timeout_s: float = 60.0, interval_s: float = 0.05) -> None:
        self.path = path
        self.timeout_s = timeout_s
        self.interval_s = interval_s  # between polls: each one holds the lock briefly, so do not starve the writer

    def _connect(self, deadline: float) -> duckdb.DuckDBPyConnection:
        while True:
            try:
                return duckdb.connect(str(self.path), read_only=True)
            except duckdb.Error as exc:
                being_created = not self.path.exists() or "not a valid DuckDB database file" in str(exc)
                if not (being_created or is_lock_conflict(exc)) or time.monotonic() > deadline:
                    raise
                time.sleep(0.005)

    @contextmanager
    def hold_when(self, sql: str, params: list | None = None, *, process=None) -> Iterator[duckdb.DuckDBPyConnection]:
        """Poll until `sql` returns a row, then yield the connection that saw it (the lock is held until exit)."""
        deadline = time.monotonic() + self.timeout_s
        while True:
            if self.path.exists():
                conn = self._connect(deadline)
                try:
                    try:
                        row = conn.execute(sql, params or []).fetchone()
                    except duckdb.CatalogException:  # the schema is not there yet
                        row = None
                    if row is not None:
                        yield conn
                        return
                finally:
                    conn.close()
            if process is not None and process.poll() is not None:
                raise AssertionError(f"the run exited ({process.returncode}) before this happened: {sql}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.path}: nothing matched within {self.timeout_s}s: {sql}")
            time.sleep(self.interval_s)


class SpaceWriteLock:
    """The file space store's inter-process write lock (an `fcntl` lock on `<stem>.versions/.lock`, see
    `FileSpaceStore`): while it is held, another process's `update` of the space waits before writing anything."""

    def __init__(self, space: Path) -> None:
        versions = space.with_name(f"{space.stem}.versions")
        versions.mkdir(parents=True, exist_ok=True)
        self._handle = open(versions / ".lock", "a+b")  # noqa: SIM115 - released in `release`
        fcntl.flock(self._handle.fileno(), fcntl.LOCK_EX)

    def release(self) -> None:
        if not self._handle.closed:
            fcntl.flock(self._handle.fileno(), fcntl.LOCK_UN)
            self._handle.close()
