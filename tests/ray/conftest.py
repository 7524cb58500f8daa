"""A local Ray cluster per test module (starting one takes seconds: few per suite)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def start_cluster(**resources: object) -> Iterator[str]:
    """A cluster of this machine, owned by the test process; yields its address and shuts it
    down afterwards. Workers see the repository first on their path; Ray's files go to a short
    temporary folder (its socket paths must stay short), removed afterwards."""
    import ray

    tmp = tempfile.mkdtemp(prefix="pimp-ray-")
    path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)
    runtime_env = dict(resources.pop("runtime_env", None) or {})
    runtime_env.setdefault("env_vars", {})["PYTHONPATH"] = path
    ray.init(include_dashboard=False, _temp_dir=str(tmp), runtime_env=runtime_env,
             logging_level="WARNING", **resources)  # fmt: skip
    try:
        yield ray.get_runtime_context().gcs_address
    finally:
        ray.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)
