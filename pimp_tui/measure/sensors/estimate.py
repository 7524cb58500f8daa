"""An estimate for machines with neither NVML nor readable RAPL: CPU time × a stated power figure.

Energy = CPU seconds used by this process (all its threads, `time.process_time`) × watts per
busy core. It tracks how much work a configuration makes the CPU do, not what the machine drew,
so every reading and sample is labelled 'estimate' and must be shown that way.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Any

from pimp_tui.errors import PimpError
from pimp_tui.measure.sensors.base import EnergyReading, PowerSample, idle_baseline

# Watts drawn by one fully busy core: a server or desktop CPU package of 100-150 W spread over
# 8-16 cores under load. A stated figure, not a measurement; pass your CPU's own if known.
DEFAULT_WATTS_PER_CORE = 15.0


class EstimateSensor:
    """Process CPU time × `watts_per_core`; labelled 'estimate' everywhere."""

    name = "estimate"
    power_source = "estimate"
    devices = (0,)

    def __init__(
        self,
        watts_per_core: float = DEFAULT_WATTS_PER_CORE,
        cpu_time: Callable[[], float] = time.process_time,
        clock: Callable[[], float] = time.monotonic,
        cores: int | None = None,
    ) -> None:
        if not watts_per_core > 0:
            raise PimpError(f"watts per core must be positive, got {watts_per_core}")
        self.watts_per_core = float(watts_per_core)
        self.cores = cores or _usable_cores()
        self._cpu_time = cpu_time
        self._clock = clock
        self._last = (clock(), cpu_time())
        self.synchronize: Callable[[], Any] | None = None
        self.notes: tuple[str, ...] = ()

    def sample(self) -> list[PowerSample]:
        """Estimated power since the previous sample (busy cores × watts per core). Never more
        than every usable core busy: the clock and the CPU time are two reads, and a thread
        paused between them makes a short interval look busier than the machine can be."""
        t, cpu = self._clock(), self._cpu_time()
        t_prev, cpu_prev = self._last
        self._last = (t, cpu)
        dt = t - t_prev
        busy = min((cpu - cpu_prev) / dt, self.cores) if dt > 0 else 0.0
        return [PowerSample(t=t, device=0, watts=busy * self.watts_per_core)]

    def open_window(self) -> tuple[float, float]:
        if self.synchronize is not None:
            self.synchronize()
        return self._clock(), self._cpu_time()

    def close_window(self, token: object) -> EnergyReading:
        if self.synchronize is not None:
            self.synchronize()
        t1, cpu1 = self._clock(), self._cpu_time()
        t0, cpu0 = token  # type: ignore[misc]
        joules = (cpu1 - cpu0) * self.watts_per_core  # type: ignore[has-type]
        return EnergyReading(
            joules=joules,
            seconds=t1 - t0,  # type: ignore[has-type]
            short_window=False,
            method="estimate",
            sensor=self.name,
            per_device=(joules,),
        )

    def idle_baseline(self, seconds: float, cancel: threading.Event | None = None) -> float:
        return idle_baseline(self, seconds, cancel=cancel)  # type: ignore[arg-type]

    def close(self) -> None:
        """Nothing to release."""


def _usable_cores() -> int:
    """The cores this process may run on (its affinity where the system tells it)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1
