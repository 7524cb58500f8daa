"""Fixtures of the workload tests: the fake NVML of the measurement tests."""

from __future__ import annotations

from tests.measure.conftest import fake_nvml

__all__ = ["fake_nvml"]
