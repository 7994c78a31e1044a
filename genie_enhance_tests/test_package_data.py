"""The package installed from its wheel (not editable) finds its own files: demo benchmarks and spaces, LLM prompts,
report templates, and ships `py.typed`. Paths computed from the repository layout would break exactly here."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import genie_enhance

SOURCE = Path(genie_enhance.__file__).resolve().parents[1]
PACKAGE_FILES = [
    "genie_enhance/py.typed",
    "genie_enhance/demo/benchmarks/commerce.md",
    "genie_enhance/demo/spaces/space_bare.json",
    "genie_enhance/llm/templates/failure_analysis.md.j2",
    "genie_enhance/report/templates/report.html.j2",
]
PROBE = """
import json, sys
import genie_enhance
from genie_enhance.benchmarks import load_benchmarks
from genie_enhance.demo.build import DEMO_BENCHMARKS
from genie_enhance.demo.space_configs import BARE_SPACE, load_demo_space
from genie_enhance.llm.prompts import render
from genie_enhance.report.render import TEMPLATES
print(json.dumps({
    "package": genie_enhance.__file__,
    "benchmarks": len(load_benchmarks(DEMO_BENCHMARKS)),
    "tables": len(load_demo_space(BARE_SPACE).data_sources.tables),
    "prompt": len(render("genie_best_practices.md")),
    "report_template": (TEMPLATES / "report.html.j2").is_file(),
}))
"""


def _pip(*args: str, cwd: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", *args], cwd=cwd, check=True, capture_output=True, timeout=240)


def test_the_installed_wheel_finds_its_package_files(tmp_path: Path) -> None:
    source = tmp_path / "source"  # a copy: building must not leave build/ or egg-info in the checkout
    source.mkdir()
    shutil.copy(SOURCE / "pyproject.toml", source)
    shutil.copy(SOURCE / "README.md", source)
    shutil.copytree(SOURCE / "genie_enhance", source / "genie_enhance", ignore=shutil.ignore_patterns("__pycache__"))
    _pip("wheel", "--no-deps", "--no-build-isolation", "-q", str(source), "-w", str(tmp_path / "dist"), cwd=tmp_path)
    wheel = next((tmp_path / "dist").glob("genie_enhance-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert [f for f in PACKAGE_FILES if f not in names] == []

    site = tmp_path / "site"
    _pip("install", "--no-deps", "--no-compile", "-q", "--target", str(site), str(wheel), cwd=tmp_path)
    shutil.rmtree(source)  # nothing may resolve into the copy the wheel was built from
    env = {**os.environ, "PYTHONPATH": str(site)}
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert Path(found["package"]).is_relative_to(site), found  # the installed copy, not the editable checkout
    assert found["benchmarks"] > 10 and found["tables"] > 0 and found["prompt"] > 100 and found["report_template"]
