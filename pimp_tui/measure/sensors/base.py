"""The interface every power/energy sensor implements, and the records sensors produce.

A sensor answers two questions: "how much energy did this window of work cost?" (`open_window`
/ `close_window`, the figure stored per run) and "what is the power right now?" (`sample`, the
live trace). Every reading says which method produced it, so an estimate is never shown as a
measurement and two sensors are never mixed silently.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True, slots=True)
class PowerSample:
    """One power reading of one device (GPU index, CPU package, or 0 for the process estimate).

    `t` is on the sensor's monotonic clock (seconds). The other quantities are None where the
    sensor cannot read them (RAPL and the estimate read power only).
    """

    t: float
    device: int
    watts: float
    temperature_c: float | None = None
    sm_clock_mhz: float | None = None
    utilisation_pct: float | None = None
    memory_used_mib: float | None = None


@dataclass(frozen=True, slots=True)
class EnergyReading:
    """Energy of one measurement window, summed over the sensor's devices.

    `method` says how the joules were obtained: 'counter' (NVML total-energy counter),
    'integrated' (trapezoid over power samples), 'counter+integrated' (devices differed),
    'rapl' or 'estimate'. `short_window` is True when the window was too short for the
    sensor's resolution (or its counter did not move): the figure is then approximate, and it is
    never a silent 0 J. `per_device` holds the joules of each device, in `Sensor.devices` order.
    """

    joules: float
    seconds: float
    short_window: bool
    method: str
    sensor: str = ""
    per_device: tuple[float, ...] = ()

    @property
    def watts(self) -> float:
        """Mean power over the window."""
        return self.joules / self.seconds if self.seconds > 0 else 0.0

    def net_joules(self, idle_watts: float) -> float:
        """Energy above the idle baseline (gross minus idle power times duration)."""
        return self.joules - idle_watts * self.seconds


@runtime_checkable
class Sensor(Protocol):
    """What the runner, the power monitor and the screens rely on.

    `synchronize`, when set, is called at both ends of every window before the energy is read
    (the runner sets `torch.cuda.synchronize` so queued GPU work is inside the window).
    `notes` explains, for an automatically chosen sensor, why better sensors were not used.
    """

    name: str
    power_source: str
    devices: tuple[int, ...]
    synchronize: Callable[[], Any] | None
    notes: tuple[str, ...]

    def open_window(self) -> object: ...

    def close_window(self, token: object) -> EnergyReading: ...

    def sample(self) -> list[PowerSample]: ...

    def idle_baseline(self, seconds: float, cancel: threading.Event | None = None) -> float: ...

    def close(self) -> None: ...


def trapezoid(points: Iterable[tuple[float, float]], start: float, end: float) -> float:
    """Joules from (time, watts) points over [start, end].

    The first and last values are held flat out to the window's edges, so a window with a
    single point (or points only at its ends) still gets a sensible, non-zero figure.
    """
    pts = sorted(p for p in points if start <= p[0] <= end)
    if not pts or end <= start:
        return 0.0
    total = pts[0][1] * (pts[0][0] - start) + pts[-1][1] * (end - pts[-1][0])
    for (t0, w0), (t1, w1) in zip(pts, pts[1:], strict=False):
        total += 0.5 * (w0 + w1) * (t1 - t0)
    return total


def idle_baseline(
    sensor: Sensor, seconds: float, hz: float = 10.0, cancel: threading.Event | None = None
) -> float:
    """Mean power (W, all devices) over `seconds` of no work: the campaign's idle baseline.

    Samples at `hz` meanwhile, so a sensor that integrates power has points to integrate. A set
    `cancel` event ends the wait early; the baseline then covers the time waited.
    """
    stop = cancel or threading.Event()
    token = sensor.open_window()
    deadline = time.monotonic() + seconds
    while not stop.is_set():
        sensor.sample()
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        stop.wait(min(1.0 / hz, remaining))
    return sensor.close_window(token).watts
