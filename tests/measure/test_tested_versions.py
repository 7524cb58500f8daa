"""The tested transformers range: pyproject.toml bounds the dependency to it, and a version
outside it gets a warning that names it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pimp_tui.measure.tested import TESTED_TRANSFORMERS, untested_transformers

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def test_pyproject_bounds_transformers_to_the_tested_range() -> None:
    pins = re.findall(r'"transformers([^"]*)"', PYPROJECT.read_text())
    assert pins == [TESTED_TRANSFORMERS]


def test_the_installed_transformers_is_a_tested_one() -> None:
    assert untested_transformers() is None


@pytest.mark.parametrize("version", ["5.24.0", "5.25.0", "5.25.3"])
def test_versions_inside_the_range_pass_silently(version: str) -> None:
    assert untested_transformers(version) is None


@pytest.mark.parametrize("version", ["4.57.1", "5.0.0", "5.23.2", "5.26.0", "6.0.0", "nightly"])
def test_versions_outside_the_range_get_one_line_naming_it(version: str) -> None:
    message = untested_transformers(version)
    assert message is not None and "\n" not in message
    assert message.startswith(f"transformers {version} is outside the tested range ")
    assert TESTED_TRANSFORMERS in message
