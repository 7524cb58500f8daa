"""One planned run, measured: what every executor does with a run it holds.

The local campaign loop and a cluster slot (`measure.executors`) both build the run's effective
configuration, warm up after a model load, measure the run and label it with the hardware that
ran it, through these functions, so a run means the same wherever it ran.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any

from pimp_tui.measure.runner import RunOutcome

LOCAL_SLOT = "local"
"""The slot label of runs measured by the local executor."""


def effective_of(
    config: Mapping[str, Any], params: Mapping[str, Any], task: Any, cost_only: bool
) -> dict[str, Any]:
    """What the run runs with: the configuration after the campaign's override and the
    values its task pins (`task`: a Task or its spec)."""
    from pimp_tui.measure.settings import effective_configuration
    from pimp_tui.measure.tasks.lengths import pinned_values

    pinned = pinned_values(task, config)
    length = params.get("max_new_tokens")
    only = cost_only
    return effective_configuration(config, max_new_tokens=length, pinned=pinned, cost_only=only)


def prepare(llm: Any, task: Any, effective: Mapping[str, Any], params: Mapping[str, Any]) -> Any:
    """The run's load key (None when the mapping rejects the configuration: the runner
    records that), after a warm-up when the run needs another model load."""
    from pimp_tui.measure.runner import warm_up
    from pimp_tui.measure.settings import generation_settings, load_key

    try:
        key: Hashable | None = load_key(generation_settings(effective))
    except Exception:
        return None
    if params.get("warmup", True) and key != llm.load_key:
        warm_up(llm, task, effective, key)
    return key


def execute(
    llm: Any,
    task: Any,
    sensor: Any,
    effective: Mapping[str, Any],
    key: Hashable | None,
    config: Mapping[str, Any],
    params: Mapping[str, Any],
    idle_watts: float,
    on_step: Callable[[], None] | None,
    labels: Mapping[str, Any],
) -> RunOutcome:
    """Measure the run; the outcome's metrics carry the hardware `labels`."""
    from pimp_tui.measure.runner import run_configuration
    from pimp_tui.measure.tasks.lengths import for_point

    run_task = task if key is None else for_point(task, config, llm.tokenizer)
    outcome = run_configuration(
        llm, run_task, effective, key, sensor, idle_watts=idle_watts, on_step=on_step,
        prefill_split=bool(params.get("prefill_split")),
    )  # fmt: skip
    outcome.metrics.update(labels)
    return outcome


def trace_rows(samples: Iterable[Any], t0: float) -> list[tuple]:
    """Power samples as trace rows (TRACE_COLUMNS minus run_id), times from `t0`."""
    return [(s.t - t0, s.device, s.watts, s.temperature_c, s.sm_clock_mhz,
             s.utilisation_pct, s.memory_used_mib) for s in samples]  # fmt: skip


def hardware_labels(sensor: Any, slot: str = LOCAL_SLOT) -> dict[str, Any]:
    """Where a run ran, besides its device and hardware name: node (host name), slot and
    NVIDIA driver (None without NVML)."""
    return {
        "node": socket.gethostname(),
        "slot": slot,
        "gpu_driver": getattr(sensor, "driver_version", None),
    }
