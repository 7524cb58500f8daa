"""Fixtures shared by every test area."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_BENCHMARKS = Path(__file__).resolve().parents[2] / "shared" / "benchmarks"
"""Reference data beside the repository (never copied into it)."""


@pytest.fixture
def shared_benchmarks() -> Path:
    """The shared benchmarks folder: featuremodels/, perf/."""
    return SHARED_BENCHMARKS
