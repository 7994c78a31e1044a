"""Cost of validating a space by execution: every statement, snippet and join condition run in context (LIMIT 0),
constant casts evaluated, on the demo warehouse (DuckDB) with the tuned demo space.

Prints how many SQL items and warehouse statements one `validate_space(..., warehouse=...)` makes and how long it
takes (median of `--repeat` runs), next to the run without a warehouse (structure, deny list) and a repeat run
sharing the batch's execution cache (what each further fix of a batch costs when its SQL is already known).

    .venv/bin/python perf/validation_execution.py --repeat 5
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time

from genie_enhance.backends.local.warehouse import DuckDBWarehouse
from genie_enhance.demo.space_configs import load_demo_space
from genie_enhance.demo.warehouse import build_demo_warehouse
from genie_enhance.space.validation import validate_space
from genie_enhance.space.validation.execution import probes


class Counting:
    """The warehouse, counting the statements it is sent."""

    def __init__(self, inner: DuckDBWarehouse) -> None:
        self.inner, self.sent = inner, 0

    def execute(self, sql, limit=None):  # noqa: ANN001, ANN201 - Warehouse protocol
        self.sent += 1
        return self.inner.execute(sql, limit=limit)

    def catalog(self, identifiers=None):  # noqa: ANN001, ANN201
        return self.inner.catalog(identifiers)

    def distinct_values(self, identifier, column, limit=1024):  # noqa: ANN001, ANN201
        return self.inner.distinct_values(identifier, column, limit)


def median_s(fn, repeat: int) -> float:  # noqa: ANN001
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    space = load_demo_space("space_tuned.json")
    with tempfile.TemporaryDirectory() as tmp:
        inner = DuckDBWarehouse(build_demo_warehouse(tmp))
        try:
            catalog = inner.catalog()
            counting = Counting(inner)
            problems = validate_space(space, catalog=catalog, warehouse=counting)
            with_wh = median_s(lambda: validate_space(space, catalog=catalog, warehouse=inner), args.repeat)
            without = median_s(lambda: validate_space(space, catalog=catalog), args.repeat)
            cache: dict = {}
            validate_space(space, catalog=catalog, warehouse=inner, execution_cache=cache)  # a batch's base
            cached = median_s(lambda: validate_space(space, catalog=catalog, warehouse=inner, execution_cache=cache),
                              args.repeat)
        finally:
            inner.close()
    result = {"sql_items": len(probes(space)), "statements_sent": counting.sent, "problems": len(problems),
              "validate_with_warehouse_s": round(with_wh, 4), "validate_without_warehouse_s": round(without, 4),
              "validate_again_in_a_batch_s": round(cached, 4),
              "per_statement_ms": round(1000 * with_wh / max(counting.sent, 1), 2)}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
