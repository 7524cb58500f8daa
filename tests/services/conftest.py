"""Fixtures of the use-case tests: the lengths-campaign store of the workload tests and the fake
NVML it is measured with."""

from __future__ import annotations

from tests.workload.conftest import fake_nvml, lengths_db

__all__ = ["fake_nvml", "lengths_db"]
