"""One runtime factory: no module of genie_enhance but `engine/build.py` opens a backend or builds a `Runtime`.

The calls are read from the source with `ast` (any call whose callee's last name is an opener, function-local
ones included), so a second front end that wires its own backend fails here. The low-level openers may construct
their own result type (`LocalBackend(` in the local factory, `DatabricksBackend(` in the databricks backend).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import genie_enhance

ROOT = Path(genie_enhance.__file__).parent
FACTORY = "engine/build.py"
OPENERS = {"Runtime", "Backend", "build_runtime", "workspace_runtime", "local_backend", "databricks_backend",
           "open_local_backend", "open_databricks_backend", "LocalBackend", "DatabricksBackend", "open_backend",
           "open_runtime"}
# The one place each low-level type is made (and the factory itself).
ALLOWED = {FACTORY: OPENERS, "backends/local/factory.py": {"LocalBackend"},
           "backends/databricks/backend.py": {"DatabricksBackend"}}
# Front ends may call the factory's entry points (and the CLI's flag-level wrappers of them).
ENTRY_POINTS = {"open_backend", "open_runtime"}


def _callee(call: ast.Call) -> str | None:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def openers_called(source: str, *, factory_entry_points: bool = False) -> list[str]:
    """The opener names a module's source calls (the factory's entry points excluded unless asked for)."""
    names = [_callee(node) for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Call)]
    wanted = OPENERS if factory_entry_points else OPENERS - ENTRY_POINTS
    return sorted({n for n in names if n in wanted})


def violations(sources: dict[str, str]) -> dict[str, list[str]]:
    """Module → the openers it calls but may not."""
    found = {}
    for rel, source in sources.items():
        bad = [name for name in openers_called(source) if name not in ALLOWED.get(rel, set())]
        if bad:
            found[rel] = bad
    return found


def package_sources() -> dict[str, str]:
    return {path.relative_to(ROOT).as_posix(): path.read_text(encoding="utf-8") for path in sorted(ROOT.rglob("*.py"))}


def test_only_the_factory_opens_a_backend_or_builds_a_runtime() -> None:
    assert violations(package_sources()) == {}


@pytest.mark.parametrize("source, opener", [
    ("from genie_enhance.engine.runtime import Runtime\nrt = Runtime(settings=s, backend=b, tracking=t, benchmarks=[])",
     "Runtime"),
    ("def f():\n    from genie_enhance.backends.databricks import open_databricks_backend\n"
     "    return open_databricks_backend('s', 'w')", "open_databricks_backend"),
    ("import genie_enhance.engine.build as b\nrt = b.build_runtime(settings, backend, out)", "build_runtime"),
    ("from genie_enhance.backends.local.factory import LocalBackend\nx = LocalBackend(warehouse=w, store=s, genie=g)",
     "LocalBackend"),
])
def test_a_second_opener_is_caught(source: str, opener: str) -> None:
    """The rule can fail: a front end that opens its own backend or runtime is named with the opener it calls."""
    assert violations({"cli/second_front_end.py": source}) == {"cli/second_front_end.py": [opener]}
    assert violations({FACTORY: source}) == {}


def test_the_front_ends_open_through_the_factory() -> None:
    """The CLI's campaign and score/ask commands and the Dagster resources call the factory's entry points."""
    sources = package_sources()
    for rel in ("cli/campaign_io.py", "cli/score_cmds.py", "defs/resources.py"):
        assert set(openers_called(sources[rel], factory_entry_points=True)) & ENTRY_POINTS, rel


def duplicate_openers(sources: dict[str, str]) -> list[str]:
    """The modules that open a backend or build a runtime themselves (the factory's callers not counted)."""
    return sorted(rel for rel, source in sources.items()
                  if set(openers_called(source)) - (set() if rel == FACTORY else ALLOWED.get(rel, set())))


def test_one_module_opens() -> None:
    """Before the factory: campaign_io.py, score_cmds.py, defs/resources.py and engine/build.py (4); now 1."""
    assert duplicate_openers(package_sources()) == [FACTORY]
