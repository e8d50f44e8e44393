"""pyproject.toml claims: the Python version matches CI."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

from packaging.specifiers import SpecifierSet

PYPROJECT = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text(encoding="utf-8"))


def test_requires_python_claims_what_ci_tests():
    # CI tests Python 3.11 only, and the code uses 3.11 features (datetime.UTC, tomllib).
    assert PYPROJECT["project"]["requires-python"] == ">=3.11"
    assert PYPROJECT["tool"]["ruff"]["target-version"] == "py311"
    assert SpecifierSet(PYPROJECT["project"]["requires-python"]).contains(".".join(map(str, sys.version_info[:3])))
