"""The layers hold: import-linter's contracts pass on the code, and fail on an upward import.

The contracts are in pyproject.toml; `scripts/test` runs `lint-imports` on the tree as it is.
Here a copy of the package gets one import from a lower layer to a higher one, to show that
the build would fail on it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import needlechart

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(tmp_path: Path, package: Path) -> subprocess.CompletedProcess[str]:
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    env = {**os.environ, "PYTHONPATH": str(package.parent)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.fixture
def package_copy(tmp_path: Path) -> Path:
    source = Path(needlechart.__file__).resolve().parent
    target = tmp_path / "src" / "needlechart"
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.mo", "static"))
    return target


def test_the_code_keeps_every_contract(tmp_path, package_copy):
    result = _lint(tmp_path, package_copy)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 3 kept, 0 broken." in result.stdout


def test_an_upward_import_breaks_the_build(tmp_path, package_copy):
    (package_copy / "core" / "canonical.py").open("a").write("\nfrom needlechart.pages import apps as _upward  # noqa\n")
    result = _lint(tmp_path, package_copy)
    assert result.returncode != 0
    assert "needlechart.core is not allowed to import needlechart.pages" in result.stdout


def test_content_loading_may_not_use_django(tmp_path, package_copy):
    loader = next((package_copy / "content").glob("*.py"))
    loader.open("a").write("\nimport django.conf as _framework  # noqa\n")
    result = _lint(tmp_path, package_copy)
    assert result.returncode != 0
    assert "needlechart.content is not allowed to import django" in result.stdout
