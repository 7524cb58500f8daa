"""Pick the best sensor this machine offers (nvml > rapl > estimate), or the one asked for."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from pimp_tui.errors import PimpError
from pimp_tui.measure.sensors.base import Sensor
from pimp_tui.measure.sensors.estimate import EstimateSensor
from pimp_tui.measure.sensors.nvml import NvmlSensor
from pimp_tui.measure.sensors.rapl import RaplSensor

SENSOR_NAMES = ("nvml", "rapl", "estimate")


def _make(name: str, devices: Sequence[int] | None, watts_per_core: float | None) -> Sensor:
    if name == "nvml":
        return NvmlSensor(devices)  # type: ignore[return-value]
    if name == "rapl":
        return RaplSensor()  # type: ignore[return-value]
    if watts_per_core is None:
        return EstimateSensor()  # type: ignore[return-value]
    return EstimateSensor(watts_per_core)  # type: ignore[return-value]


def choose_sensor(
    name: str | None = None,
    devices: Sequence[int] | None = None,
    synchronize: Callable[[], Any] | None = None,
    watts_per_core: float | None = None,
) -> Sensor:
    """The sensor called `name`, or the best available one when `name` is None.

    `devices` selects GPUs (NVML only; asking for GPUs makes a missing NVML an error rather
    than a fallback); `watts_per_core` is the estimate's figure (None: its default). An
    explicit choice that is unavailable raises a PimpError saying why. An automatic choice
    records in `sensor.notes` why the better sensors were passed over.
    """
    if name is not None and name not in SENSOR_NAMES:
        raise PimpError(f"unknown sensor {name!r}: choose one of {', '.join(SENSOR_NAMES)}")
    if name not in (None, "nvml") and devices is not None:
        raise PimpError(f"choosing GPUs applies to the nvml sensor only, not to {name}")
    candidates = [name] if name else list(SENSOR_NAMES)
    if name is None and devices is not None:
        candidates = ["nvml"]
    notes: list[str] = []
    for candidate in candidates[:-1]:
        try:
            return _configured(_make(candidate, devices, watts_per_core), synchronize, notes)
        except PimpError as exc:
            notes.append(str(exc))
    return _configured(_make(candidates[-1], devices, watts_per_core), synchronize, notes)


def _configured(sensor: Sensor, synchronize: Callable[[], Any] | None, notes: list[str]) -> Sensor:
    sensor.synchronize = synchronize
    sensor.notes = tuple(notes)
    return sensor
