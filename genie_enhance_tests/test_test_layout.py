"""The test tree's layout: test files live in folders that mirror the `genie_enhance` packages (only cross-cutting
ones at the top), every folder is a package, no test module imports another, and no fixture is imported by name
(shared fixtures are registered once, through conftest.py or `pytest_plugins`).

Each rule is a function over a folder, shown here to pass on the real tree and to fail on a synthetic one.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
PACKAGE = TESTS.parent / "genie_enhance"
# whole-project checks, and tests of the top-level modules of genie_enhance (words.py)
CROSS_CUTTING = frozenset({"test_layering.py", "test_readme_config.py", "test_test_layout.py",
                           "test_one_runtime_factory.py", "test_package_data.py", "test_words.py"})
NOT_MIRRORED = frozenset({"support"})  # helpers and plugins shared by every folder
DATA = frozenset({"fixtures", "__pycache__"})  # files the tests read, not Python


def python_files(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*.py")):
        if not DATA.intersection(path.relative_to(root).parts):
            yield path


def is_test_module(path: Path) -> bool:
    return path.name.startswith("test_") and path.suffix == ".py"


def flat_test_files(root: Path) -> list[str]:
    """Test files at the top of the tree that are not cross-cutting."""
    return sorted(p.name for p in root.glob("test_*.py") if p.name not in CROSS_CUTTING)


def unmirrored_folders(root: Path, package: Path) -> list[str]:
    """Folders holding test files that are no package of `genie_enhance` (e.g. `engine/`, `backends/local/`)."""
    folders = {p.parent.relative_to(root) for p in python_files(root) if is_test_module(p) and p.parent != root}
    return sorted(str(f) for f in folders
                  if f.parts[0] in NOT_MIRRORED or not (package / f / "__init__.py").is_file())


def folders_without_init(root: Path) -> list[str]:
    """Folders with Python files but no `__init__.py` (their modules would be imported under bare names)."""
    folders = {p.parent for p in python_files(root)}
    return sorted(str(f.relative_to(root)) for f in folders if not (f / "__init__.py").is_file())


def module_name(root: Path, path: Path, top: str) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join((top, *(parts[:-1] if parts[-1] == "__init__" else parts)))


def imported_modules(root: Path, path: Path, top: str) -> Iterator[tuple[int, str, list[str]]]:
    """(line, absolute module, imported names) of every import in `path`, function-local ones included."""
    name = module_name(root, path, top)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, []
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[:len(base) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            yield node.lineno, module, [alias.name for alias in node.names]


def imports_of_test_modules(root: Path, top: str = "genie_enhance_tests") -> list[str]:
    """Imports of a test module (`test_*`) anywhere in the tree: shared code belongs in a helper module."""
    found = []
    for path in python_files(root):
        for line, module, names in imported_modules(root, path, top):
            if module.split(".")[0] == top and (
                    module.rsplit(".", 1)[-1].startswith("test_") or any(n.startswith("test_") for n in names)):
                found.append(f"{path.relative_to(root)}:{line} imports {module}")
    return found


def fixtures_by_module(root: Path, top: str) -> dict[str, set[str]]:
    """Names of the pytest fixtures each module of the tree defines."""
    out: dict[str, set[str]] = {}
    for path in python_files(root):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and any(
                    "fixture" in ast.unparse(d) for d in node.decorator_list):
                out.setdefault(module_name(root, path, top), set()).add(node.name)
    return out


def fixture_imports(root: Path, top: str = "genie_enhance_tests") -> list[str]:
    """Fixtures imported by name (the `from … import fixture  # noqa: F401` pattern)."""
    fixtures = fixtures_by_module(root, top)
    found = []
    for path in python_files(root):
        for line, module, names in imported_modules(root, path, top):
            for name in sorted(set(names) & fixtures.get(module, set())):
                found.append(f"{path.relative_to(root)}:{line} imports fixture {name} from {module}")
    return found


# ---------------------------------------------------------------------------------------------- the real tree
def test_no_test_file_sits_flat_at_the_top() -> None:
    assert flat_test_files(TESTS) == []


def test_every_test_folder_mirrors_a_package() -> None:
    assert unmirrored_folders(TESTS, PACKAGE) == []


def test_every_folder_is_a_package() -> None:
    assert folders_without_init(TESTS) == []


def test_no_test_module_imports_another() -> None:
    assert imports_of_test_modules(TESTS) == []


def test_no_fixture_is_imported_by_name() -> None:
    assert fixture_imports(TESTS) == []


def test_the_real_tree_has_folders_tests_and_fixtures_to_check() -> None:
    """The checks above see the real tree (a wrong root would pass them vacuously)."""
    tests = [p for p in python_files(TESTS) if is_test_module(p)]
    assert len(tests) > 90 and len({p.parent for p in tests}) > 15
    assert len(fixtures_by_module(TESTS, "genie_enhance_tests")) > 10


# ---------------------------------------------------------------------------------------------- each check can fail
def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def package(tmp_path: Path) -> Path:
    """A synthetic `genie_enhance` with the packages `engine` and `backends.local`."""
    return write(tmp_path / "pkg", {"__init__.py": "", "engine/__init__.py": "", "backends/__init__.py": "",
                                    "backends/local/__init__.py": ""})


def test_a_flat_test_file_is_found(tmp_path: Path) -> None:
    root = write(tmp_path / "tests", {"__init__.py": "", "test_layering.py": "", "test_policy.py": ""})
    assert flat_test_files(root) == ["test_policy.py"]


def test_a_folder_mirroring_no_package_is_found(tmp_path: Path, package: Path) -> None:
    root = write(tmp_path / "tests", {
        "__init__.py": "", "engine/__init__.py": "", "engine/test_policy.py": "",
        "backends/__init__.py": "", "backends/local/__init__.py": "", "backends/local/test_store.py": "",
        "loop/__init__.py": "", "loop/test_resume.py": "",
        "support/__init__.py": "", "support/test_world.py": "", "support/world.py": "",
    })
    assert unmirrored_folders(root, package) == ["loop", "support"]


def test_a_folder_without_init_is_found(tmp_path: Path) -> None:
    root = write(tmp_path / "tests", {"__init__.py": "", "engine/test_policy.py": "", "fixtures/data.py": ""})
    assert folders_without_init(root) == ["engine"]


@pytest.mark.parametrize("statement", [
    "from genie_enhance_tests.engine.test_policy import CASES",
    "from genie_enhance_tests.engine import test_policy",
    "import genie_enhance_tests.engine.test_policy",
    "from .test_policy import CASES",
    "from ..engine.test_policy import CASES",
    "def helper():\n    from genie_enhance_tests.engine.test_policy import CASES\n    return CASES",
])
def test_a_test_module_importing_another_is_found(tmp_path: Path, statement: str) -> None:
    root = write(tmp_path / "tests", {
        "__init__.py": "", "engine/__init__.py": "", "engine/test_policy.py": "CASES = []\n",
        "engine/test_other.py": f"{statement}\n",
        "engine/world.py": "CASES = []\n",
        "engine/test_fine.py": "from genie_enhance_tests.engine.world import CASES\n",
    })
    assert [f.split(":")[0] for f in imports_of_test_modules(root)] == ["engine/test_other.py"]


def test_a_fixture_imported_by_name_is_found(tmp_path: Path) -> None:
    world = "import pytest\n\nBARE = {}\n\n\n@pytest.fixture\ndef shop():\n    return 1\n"
    root = write(tmp_path / "tests", {
        "__init__.py": "", "support/__init__.py": "", "support/world.py": world,
        "engine/__init__.py": "",
        "engine/test_bad.py": "from genie_enhance_tests.support.world import BARE, shop  # noqa: F401\n",
        "engine/test_fine.py": "from genie_enhance_tests.support.world import BARE\n",
    })
    assert fixture_imports(root) == [
        "engine/test_bad.py:1 imports fixture shop from genie_enhance_tests.support.world"]
