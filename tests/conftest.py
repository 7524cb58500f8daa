"""Test-wide settings: the optional reference cases on `../shared/benchmarks`.

Every test runs on data the repository ships (tests/models) or that the test makes. Published
reference data, kept beside a checkout and never copied into it, adds the cases in
tests/reference when it is there; when it is not, they are not collected, and the header of the
test run says so."""

from __future__ import annotations

import os
from pathlib import Path

SHARED_BENCHMARKS = Path(
    os.environ.get(
        "PIMP_SHARED_BENCHMARKS", Path(__file__).resolve().parents[2] / "shared" / "benchmarks"
    )
)
"""Reference data beside the repository ($PIMP_SHARED_BENCHMARKS overrides the place)."""

collect_ignore = [] if SHARED_BENCHMARKS.is_dir() else ["reference"]


def pytest_report_header() -> str:
    if SHARED_BENCHMARKS.is_dir():
        return f"reference cases: on, with {SHARED_BENCHMARKS}"
    return (
        f"reference cases: off, {SHARED_BENCHMARKS} is absent (tests/reference not collected; "
        "every feature is tested on shipped data)"
    )
