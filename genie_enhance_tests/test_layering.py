"""No import cycles in `genie_enhance`: neither between its top-level packages nor between modules.

The imports are read from the source with `ast` (function-local and `TYPE_CHECKING` imports included: a local import
that dodges a cycle at run time is still a cycle in the design), so the check needs no tool and imports nothing.
An import names the most specific module that exists: `from genie_enhance.scoring import ratelimit` depends on
`genie_enhance.scoring.ratelimit`, `from genie_enhance.scoring import Verdict` on the package `__init__`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import genie_enhance

ROOT = Path(genie_enhance.__file__).parent
Graph = dict[str, set[str]]


def module_names(root: Path = ROOT) -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its own name, for its `__init__`)."""
    names: dict[str, Path] = {}
    for path in sorted(root.rglob("*.py")):
        parts = (root.name, *path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names[".".join(parts)] = path
    return names


def _resolve(name: str, modules: Mapping[str, Path]) -> str | None:
    """The longest prefix of `name` that is one of our modules (None outside the package)."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules:
            return candidate
        parts.pop()
    return None


def _imported(module: str, path: Path, modules: Mapping[str, Path]) -> Iterable[str]:
    """The dotted names one module imports, relative imports made absolute."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            origin = ".".join([*base, *([node.module] if node.module else [])])
            yield from (f"{origin}.{alias.name}" for alias in node.names)


def module_graph(modules: Mapping[str, Path] | None = None) -> Graph:
    """Module → the modules of the package it imports."""
    modules = module_names() if modules is None else modules
    graph: Graph = {name: set() for name in modules}
    for name, path in modules.items():
        for imported in _imported(name, path, modules):
            target = _resolve(imported, modules)
            if target is not None and target != name:
                graph[name].add(target)
    return graph


def package_of(module: str) -> str:
    """The top-level package (or module) of `genie_enhance` a module belongs to."""
    return ".".join(module.split(".")[:2])


def package_graph(modules: Graph) -> Graph:
    """Top-level package → the top-level packages its modules import."""
    graph: Graph = {package_of(name): set() for name in modules}
    for name, targets in modules.items():
        graph[package_of(name)].update(package_of(t) for t in targets if package_of(t) != package_of(name))
    return graph


def cycles(graph: Graph) -> list[list[str]]:
    """The strongly connected components with more than one node (Tarjan, iterative), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            step = next(successors, None)
            if step is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
            elif step not in index:
                index[step] = low[step] = len(index)
                stack.append(step)
                on_stack.add(step)
                work.append((step, iter(sorted(graph[step]))))
            elif step in on_stack:
                low[node] = min(low[node], index[step])
    return sorted(found)


def _witnesses(component: list[str], modules: Graph) -> list[str]:
    """The module imports behind each package edge inside a cycle, so the failure says where to look."""
    members = set(component)
    return sorted(
        f"{name} -> {target}"
        for name, targets in modules.items()
        for target in targets
        if package_of(name) in members and package_of(target) in members and package_of(name) != package_of(target)
    )


def test_checker_finds_a_cycle() -> None:
    graph: Graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert package_graph({"genie_enhance.x.m": {"genie_enhance.y.n"}, "genie_enhance.y.n": set()}) == {
        "genie_enhance.x": {"genie_enhance.y"},
        "genie_enhance.y": set(),
    }


def test_checker_reads_local_and_relative_imports(tmp_path: Path) -> None:
    pkg = tmp_path / "genie_enhance"
    (pkg / "a").mkdir(parents=True)
    (pkg / "b").mkdir()
    for init in ("__init__.py", "a/__init__.py", "b/__init__.py"):
        (pkg / init).write_text("")
    (pkg / "a" / "one.py").write_text("def f():\n    from genie_enhance.b.two import g\n")
    (pkg / "b" / "two.py").write_text("from ..a import one\n")
    graph = module_graph(module_names(pkg))
    assert graph["genie_enhance.a.one"] == {"genie_enhance.b.two"}
    assert graph["genie_enhance.b.two"] == {"genie_enhance.a.one"}
    assert cycles(package_graph(graph)) == [["genie_enhance.a", "genie_enhance.b"]]


def test_no_package_imports_in_a_circle() -> None:
    modules = module_graph()
    found = cycles(package_graph(modules))
    detail = "\n".join(f"{' <-> '.join(c)}:\n    " + "\n    ".join(_witnesses(c, modules)) for c in found)
    assert not found, f"{len(found)} package cycle(s):\n{detail}"


def test_no_module_imports_in_a_circle() -> None:
    found = cycles(module_graph())
    assert not found, f"{len(found)} module cycle(s):\n" + "\n".join(" <-> ".join(c) for c in found)


def test_core_imports_no_other_package() -> None:
    """`core` is the neutral layer under `scoring`, `space` and `backends`: it may import none of them (or anything)."""
    core = package_graph(module_graph())["genie_enhance.core"]
    assert not core, f"genie_enhance.core imports {sorted(core)}"


UI_LIBRARIES = ("rich", "typer", "click")  # terminal UI: only the command line (`genie_enhance.cli`) may use them


def ui_imports(modules: Mapping[str, Path], front_ends: tuple[str, ...] = ("genie_enhance.cli",)) -> list[str]:
    """`module -> library` for every import of a terminal UI library outside the front ends."""
    return sorted(
        f"{name} -> {imported}"
        for name, path in modules.items()
        if not name.startswith(front_ends)
        for imported in _imported(name, path, modules)
        if imported.split(".")[0] in UI_LIBRARIES
    )


def test_checker_finds_a_ui_import_outside_the_cli(tmp_path: Path) -> None:
    pkg = tmp_path / "genie_enhance"
    (pkg / "cli").mkdir(parents=True)
    (pkg / "scoring").mkdir()
    for init in ("__init__.py", "cli/__init__.py", "scoring/__init__.py"):
        (pkg / init).write_text("")
    (pkg / "cli" / "bar.py").write_text("from rich.progress import Progress\n")
    (pkg / "scoring" / "runner.py").write_text("def run():\n    from rich.console import Console\nimport richer\n")
    assert ui_imports(module_names(pkg)) == ["genie_enhance.scoring.runner -> rich.console.Console"]


def test_no_ui_library_below_the_front_ends() -> None:
    """The core reports progress through `core.progress` callbacks; rendering it is the command line's job."""
    found = ui_imports(module_names())
    assert not found, "terminal UI imported outside genie_enhance.cli:\n" + "\n".join(found)
