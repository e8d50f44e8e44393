"""pyproject.toml claims: dependency floors with known holes stay closed, the Python version matches CI."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

PYPROJECT = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text(encoding="utf-8"))


def requirement(name: str) -> Requirement:
    found = [Requirement(text) for text in PYPROJECT["project"]["dependencies"] if Requirement(text).name == name]
    assert len(found) == 1, f"pyproject.toml should list {name} once, found {found}"
    return found[0]


def test_pyarrow_floor_excludes_the_parquet_code_execution_release():
    # CVE-2023-47248: pyarrow 14.0.0 and older run code from a crafted Parquet/IPC file; 14.0.1 fixes it.
    specifier = requirement("pyarrow").specifier
    assert not specifier.contains("14.0.0") and not specifier.contains("13.0.0")
    assert specifier.contains("14.0.1")
    floors = [Version(spec.version) for spec in specifier if spec.operator in (">=", ">", "~=", "==")]
    assert floors and min(floors) >= Version("14.0.1")


def test_requires_python_claims_what_ci_tests():
    # CI tests Python 3.11 only, and the code uses 3.11 features (datetime.UTC, tomllib).
    assert PYPROJECT["project"]["requires-python"] == ">=3.11"
    assert PYPROJECT["tool"]["ruff"]["target-version"] == "py311"
    assert SpecifierSet(PYPROJECT["project"]["requires-python"]).contains(".".join(map(str, sys.version_info[:3])))
