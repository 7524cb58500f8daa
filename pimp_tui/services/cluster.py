"""Choosing where a campaign runs: this machine (`local`) or the slots of a Ray cluster
(`ray`). Shared by `pimp measure` and the campaign form of the Monitor pane."""

from __future__ import annotations

from pathlib import Path

from pimp_tui.measure.executors import EXECUTORS, ExecutorSpec, require_ray
from pimp_tui.services import open_db


def executor_spec(
    kind: str | None = "local",
    address: str | None = None,
    gpus_per_run: int | None = None,
    cpus_per_run: int | None = None,
    slots: int | None = None,
) -> ExecutorSpec:
    """The executor asked for, checked (a clear error for a bad combination, or for `ray`
    when Ray is not installed)."""
    spec = ExecutorSpec(kind or "local", address or None, gpus_per_run, cpus_per_run or 1, slots)
    if spec.kind == "ray":
        require_ray()
    return spec


def sampling_host(spec: ExecutorSpec) -> str:
    """The host a sample for this executor is fixed to: this machine for `local`; for `ray`,
    one slot of the cluster (K GPUs, or CPU), which joins the cluster to look."""
    if spec.kind == "local":
        return "auto"
    from pimp_tui.measure.executors.ray import connect, slot_shape

    ray = require_ray()
    connect(ray, spec.address)
    gpus, _, _ = slot_shape(ray, spec)
    return f"cuda:{gpus}" if gpus else "cpu"


def set_campaign_executor(db_path: str | Path, campaign_id: int, spec: ExecutorSpec) -> None:
    """Run the campaign with `spec` from now on (this resume and later ones)."""
    from pimp_tui.store.campaigns import get_campaign
    from pimp_tui.store.slots import set_executor

    db = open_db(db_path)
    try:
        get_campaign(db, campaign_id)
        set_executor(db, campaign_id, spec.to_params())
    finally:
        db.conn.close()


__all__ = ["EXECUTORS", "executor_spec", "sampling_host", "set_campaign_executor"]
