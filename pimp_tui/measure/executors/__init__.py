"""Where a campaign's runs execute: `local` (this process, the default) or `ray` (one
long-lived actor per device slot of a Ray cluster; this process stays the only writer of the
store).

The choice is kept in the campaign's params, so a resume from any window or shell runs the
campaign the way it was started unless told otherwise. Ray is imported only by the ray
executor, and only when it runs.
"""

from __future__ import annotations

import importlib
from dataclasses import asdict, dataclass
from typing import Any

from pimp_tui.errors import PimpError

EXECUTORS = ("local", "ray")
RAY_EXTRA = "pimp-tui[ray]"


@dataclass(frozen=True)
class ExecutorSpec:
    """`kind` local or ray; for ray: the cluster `address` (None: RAY_ADDRESS or a new local
    cluster; 'auto': the cluster started on this machine), whole GPUs per slot (None: 1 where
    the cluster has GPUs, else 0, a CPU slot), CPUs per CPU slot, and at most `slots` slots."""

    kind: str = "local"
    address: str | None = None
    gpus_per_run: int | None = None
    cpus_per_run: int = 1
    slots: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in EXECUTORS:
            raise PimpError(f"unknown executor {self.kind!r}: one of {', '.join(EXECUTORS)}")
        if self.gpus_per_run is not None and self.gpus_per_run < 0:
            raise PimpError("--gpus-per-run must be 0 (CPU slots) or more")
        if self.cpus_per_run < 1:
            raise PimpError("--cpus-per-run must be at least 1")
        if self.slots is not None and self.slots < 1:
            raise PimpError("--slots must be at least 1")
        if self.kind == "local" and (self.address or self.gpus_per_run is not None
                                     or self.slots is not None):  # fmt: skip
            raise PimpError("--address, --gpus-per-run and --slots need --executor ray")

    def to_params(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_params(cls, params: dict[str, Any] | None) -> ExecutorSpec:
        """The spec stored in a campaign's params (local when there is none)."""
        stored = (params or {}).get("executor") or {}
        known = {k: v for k, v in stored.items() if k in cls.__dataclass_fields__}
        return cls(**known)


def require_ray() -> Any:
    """The ray module, or a clear error naming the extra that installs it."""
    try:
        return importlib.import_module("ray")
    except ImportError:
        raise PimpError(
            f"the ray executor needs Ray, which is not installed: pip install '{RAY_EXTRA}'"
        ) from None
