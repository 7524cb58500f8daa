"""What can be learnt from the runs: the numeric metrics (targets) and the bounds of those that
are proportions. The rows themselves come from `services.datasets`."""

from __future__ import annotations

NON_TARGETS = {
    "memory_source", "sensor", "energy_method", "power_source", "settings", "versions",
    "short_window", "prefill_short_window", "requests", "correct", "node", "slot", "gpu_driver",
}  # fmt: skip


BOUNDED_TARGETS = {"accuracy": (0.0, 1.0)}
"""Targets that are proportions: predicted inside their bounds, scored without MAPE."""


def target_bounds(target: str) -> tuple[float, float] | None:
    return BOUNDED_TARGETS.get(target)


def numeric_targets() -> list[str]:
    from pimp_tui.store.campaigns import METRIC_COLUMNS

    return [c for c in METRIC_COLUMNS if c not in NON_TARGETS]
