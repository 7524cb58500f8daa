"""CPU package energy from Linux powercap RAPL (/sys/class/powercap/intel-rapl:N/energy_uj).

Only package domains are read (intel-rapl:N whose name is package-N): sub-domains (core,
uncore, dram: intel-rapl:N:M) are inside the package, and `psys` covers the whole platform, so
adding either would count energy twice. The counters wrap at max_energy_range_uj; every read
folds the increment into a running total, so wraps are handled as long as the sensor is read
more often than a wrap (minutes at full load; the power monitor reads it several times a
second). energy_uj is root-only on recent kernels: unreadable means not available.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pimp_tui.errors import PimpError
from pimp_tui.measure.sensors.base import EnergyReading, PowerSample, idle_baseline

DEFAULT_ROOT = Path("/sys/class/powercap")
# RAPL updates about every millisecond; below this a window's figure is approximate.
MIN_WINDOW_S = 0.01
_PACKAGE_DIR = re.compile(r"intel-rapl:(\d+)$")


def _read_int(path: Path) -> int:
    return int(path.read_text().strip())


class RaplSensor:
    """Energy and power of every CPU package, from RAPL counters."""

    name = "rapl"
    power_source = "rapl"

    def __init__(
        self, root: str | Path | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._root = Path(root) if root is not None else DEFAULT_ROOT
        self._domains = self._find_packages()
        self._clock = clock
        self._lock = threading.Lock()
        self._raw = {}
        self._range = {}
        for index, path in self._domains.items():
            try:
                self._raw[index] = _read_int(path / "energy_uj")
                self._range[index] = _read_int(path / "max_energy_range_uj")
            except (OSError, ValueError) as exc:
                raise PimpError(
                    f"RAPL unavailable: {path / 'energy_uj'} is not readable ({exc}); "
                    "recent kernels let only root read it"
                ) from exc
        self._total_uj = dict.fromkeys(self._domains, 0)
        self._last_sample = (self._clock(), dict(self._total_uj))
        self.synchronize: Callable[[], Any] | None = None
        self.notes: tuple[str, ...] = ()

    def _find_packages(self) -> dict[int, Path]:
        found = {}
        for path in sorted(self._root.glob("intel-rapl:*")):
            match = _PACKAGE_DIR.search(path.name)
            if not match:
                continue
            try:
                label = (path / "name").read_text().strip()
            except OSError:
                label = "package"
            if label.startswith("package"):
                found[int(match.group(1))] = path
        if not found:
            raise PimpError(f"RAPL unavailable: no CPU package domain under {self._root}")
        return found

    @property
    def devices(self) -> tuple[int, ...]:
        return tuple(self._domains)

    def _totals(self) -> dict[int, int]:
        """Read every package counter and return the running totals (µJ), wraps folded in."""
        with self._lock:
            for index, path in self._domains.items():
                raw = _read_int(path / "energy_uj")
                last = self._raw[index]
                step = raw - last if raw >= last else raw + self._range[index] - last
                self._total_uj[index] += step
                self._raw[index] = raw
            return dict(self._total_uj)

    def sample(self) -> list[PowerSample]:
        """Mean power of each package since the previous sample."""
        totals = self._totals()
        t = self._clock()
        t_prev, prev = self._last_sample
        self._last_sample = (t, totals)
        dt = t - t_prev
        return [
            PowerSample(t=t, device=i, watts=(totals[i] - prev[i]) / 1e6 / dt if dt > 0 else 0.0)
            for i in self._domains
        ]

    def open_window(self) -> tuple[float, dict[int, int]]:
        if self.synchronize is not None:
            self.synchronize()
        return self._clock(), self._totals()

    def close_window(self, token: object) -> EnergyReading:
        if self.synchronize is not None:
            self.synchronize()
        end = self._totals()
        t1 = self._clock()
        t0, start = token  # type: ignore[misc]
        per_device = tuple((end[i] - start[i]) / 1e6 for i in self._domains)  # type: ignore[has-type]
        seconds = t1 - t0  # type: ignore[has-type]
        return EnergyReading(
            joules=sum(per_device),
            seconds=seconds,
            short_window=seconds < MIN_WINDOW_S or sum(per_device) == 0,
            method="rapl",
            sensor=self.name,
            per_device=per_device,
        )

    def idle_baseline(self, seconds: float, cancel: threading.Event | None = None) -> float:
        return idle_baseline(self, seconds, cancel=cancel)  # type: ignore[arg-type]

    def close(self) -> None:
        """Nothing to release: the counters are plain files."""
