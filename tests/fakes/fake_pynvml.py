"""A stand-in for the `pynvml` module (nvidia-ml-py) on machines without an NVIDIA GPU.

`build(...)` returns a module object to put in `sys.modules["pynvml"]`. It exposes the real
library's function names, and takes its constants, NVMLError class hierarchy (NVMLError(3) is
an NVMLError_NotSupported, ...) and ctypes structs (c_nvmlFieldValue_t, c_nvmlMemory_t,
c_nvmlUtilization_t) from the installed nvidia-ml-py, so code written against the fake meets
the same types on a GPU. Quirks reproduced:

- nvmlDeviceGetTotalEnergyConsumption (mJ) only moves every `counter_period` (100 ms): it is
  the integral of the power profile up to the last update tick.
- nvmlDeviceGetPowerUsage (mW) is the mean over the last `average_window` (1 s) as of the last
  update tick, so it lags a step change; the NVML_FI_DEV_POWER_INSTANT field is the power now.
- Per device, the counter and/or the instant field can be NotSupported (the field through the
  per-value nvmlReturn, as the real call reports it); nvmlInit can fail as with no driver.
- Every call before nvmlInit (or after the matching nvmlShutdown) raises Uninitialized.

Power profiles are constants or functions of time (watts); `clock` is the time source
(time.monotonic by default, a `ManualClock` for exact tests).
"""

from __future__ import annotations

import math
import threading
import time
import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pynvml as _real

PowerProfile = float | Callable[[float], float]


@dataclass
class FakeGpu:
    """One simulated GPU."""

    name: str = "NVIDIA H100 80GB HBM3"
    power: PowerProfile = 70.0
    counter: bool = True
    instant_field: bool = True
    counter_period: float = 0.1
    average_window: float = 1.0
    temperature: int = 41
    sm_clock: int = 1980
    utilisation: int = 0
    memory_used: int = 1 << 30
    memory_total: int = 80 << 30
    # Energy since the driver loaded, so counters do not start at 0 (mJ).
    counter_offset_mj: int = 123_456_789
    _ticks: dict[int, float] = field(default_factory=dict, repr=False)
    _epoch: float | None = field(default=None, repr=False)

    def watts(self, t: float) -> float:
        return float(self.power(t) if callable(self.power) else self.power)

    def energy_at_tick(self, k: int) -> float:
        """Joules from the epoch to update tick k (integral of the profile, cached per tick)."""
        if k <= 0:
            return 0.0
        if k in self._ticks:
            return self._ticks[k]
        start = max(self._ticks, default=0)  # every tick up to the highest is cached
        energy = self._ticks.get(start, 0.0)
        for j in range(start, k):
            energy += self._integrate(self.tick_time(j), self.tick_time(j + 1))
            self._ticks[j + 1] = energy
        return energy

    def tick_time(self, k: int) -> float:
        assert self._epoch is not None
        return self._epoch + k * self.counter_period

    def tick_index(self, t: float) -> int:
        assert self._epoch is not None
        return math.floor((t - self._epoch) / self.counter_period + 1e-9)

    def _integrate(self, a: float, b: float) -> float:
        if not callable(self.power):
            return float(self.power) * (b - a)
        steps = max(1, round((b - a) / 0.001))
        h = (b - a) / steps
        return sum(self.watts(a + (i + 0.5) * h) for i in range(steps)) * h


class ManualClock:
    """A clock that moves only when told to: exact, repeatable windows in tests."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def uuid_of(index: int) -> str:
    """The UUID the fake gives GPU `index` (real ones look the same: GPU-8-4-4-4-12 hex)."""
    return f"GPU-{index:08x}-7c1d-4b2e-9f3a-{index:012x}"


class _Handle:
    def __init__(self, index: int) -> None:
        self.index = index


class _FakeNvml:
    """The state and functions behind one fake module."""

    def __init__(
        self,
        gpus: Sequence[FakeGpu],
        clock: Callable[[], float],
        init_error: int | None,
    ) -> None:
        self.gpus = list(gpus)
        self.clock = clock
        self.init_error = init_error
        self.refcount = 0
        self.calls: dict[str, int] = {}
        self._lock = threading.Lock()
        now = clock()
        for gpu in self.gpus:
            gpu._epoch, gpu._ticks = now, {}

    def _enter(self, name: str) -> None:
        self.calls[name] = self.calls.get(name, 0) + 1
        if self.refcount <= 0:
            raise _real.NVMLError(_real.NVML_ERROR_UNINITIALIZED)

    def _gpu(self, handle: object) -> FakeGpu:
        if not isinstance(handle, _Handle):
            raise _real.NVMLError(_real.NVML_ERROR_INVALID_ARGUMENT)
        return self.gpus[handle.index]

    # -- library lifetime ---------------------------------------------------------------------

    def nvmlInit(self) -> None:
        self.nvmlInitWithFlags(0)

    def nvmlInitWithFlags(self, flags: int) -> None:
        if self.init_error is not None:
            raise _real.NVMLError(self.init_error)
        self.refcount += 1

    def nvmlShutdown(self) -> None:
        self._enter("nvmlShutdown")
        self.refcount -= 1

    def nvmlSystemGetDriverVersion(self) -> str:
        self._enter("nvmlSystemGetDriverVersion")
        return "570.86.15"

    # -- devices ------------------------------------------------------------------------------

    def nvmlDeviceGetCount(self) -> int:
        self._enter("nvmlDeviceGetCount")
        return len(self.gpus)

    def nvmlDeviceGetHandleByIndex(self, index: int) -> _Handle:
        self._enter("nvmlDeviceGetHandleByIndex")
        if not 0 <= index < len(self.gpus):
            raise _real.NVMLError(_real.NVML_ERROR_INVALID_ARGUMENT)
        return _Handle(index)

    def nvmlDeviceGetName(self, handle: object) -> str:
        self._enter("nvmlDeviceGetName")
        return self._gpu(handle).name

    def nvmlDeviceGetUUID(self, handle: object) -> str:
        self._enter("nvmlDeviceGetUUID")
        self._gpu(handle)
        return uuid_of(handle.index)  # type: ignore[attr-defined]

    def nvmlDeviceGetTotalEnergyConsumption(self, handle: object) -> int:
        self._enter("nvmlDeviceGetTotalEnergyConsumption")
        gpu = self._gpu(handle)
        if not gpu.counter:
            raise _real.NVMLError(_real.NVML_ERROR_NOT_SUPPORTED)
        with self._lock:
            joules = gpu.energy_at_tick(gpu.tick_index(self.clock()))
        return gpu.counter_offset_mj + int(joules * 1000)

    def nvmlDeviceGetPowerUsage(self, handle: object) -> int:
        """Mean power (mW) over the averaging window ending at the last update tick."""
        self._enter("nvmlDeviceGetPowerUsage")
        gpu = self._gpu(handle)
        with self._lock:
            k = gpu.tick_index(self.clock())
            span = max(1, round(gpu.average_window / gpu.counter_period))
            if k <= 0:
                return int(gpu.watts(gpu.tick_time(0)) * 1000)
            first = max(0, k - span)
            joules = gpu.energy_at_tick(k) - gpu.energy_at_tick(first)
            return int(joules / ((k - first) * gpu.counter_period) * 1000)

    def nvmlDeviceGetFieldValues(self, handle: object, fieldIds: Sequence[object]) -> object:
        self._enter("nvmlDeviceGetFieldValues")
        gpu = self._gpu(handle)
        values = (_real.c_nvmlFieldValue_t * len(fieldIds))()
        now = self.clock()
        for i, field_id in enumerate(fieldIds):
            try:
                values[i].fieldId, values[i].scopeId = field_id  # type: ignore[misc]
            except TypeError:
                values[i].fieldId = field_id  # type: ignore[assignment]
            values[i].timestamp = int(now * 1e6)
            if values[i].fieldId == _real.NVML_FI_DEV_POWER_INSTANT and gpu.instant_field:
                values[i].valueType = _real.NVML_VALUE_TYPE_UNSIGNED_INT
                values[i].value.uiVal = int(gpu.watts(now) * 1000)
                values[i].nvmlReturn = _real.NVML_SUCCESS
            else:
                values[i].nvmlReturn = _real.NVML_ERROR_NOT_SUPPORTED
        return values

    def nvmlDeviceGetTemperature(self, handle: object, sensor: int) -> int:
        self._enter("nvmlDeviceGetTemperature")
        return self._gpu(handle).temperature

    def nvmlDeviceGetClockInfo(self, handle: object, type: int) -> int:
        self._enter("nvmlDeviceGetClockInfo")
        return self._gpu(handle).sm_clock

    def nvmlDeviceGetUtilizationRates(self, handle: object) -> object:
        self._enter("nvmlDeviceGetUtilizationRates")
        gpu = self._gpu(handle)
        return _real.c_nvmlUtilization_t(gpu=gpu.utilisation, memory=gpu.utilisation // 2)

    def nvmlDeviceGetMemoryInfo(self, handle: object, version: object = None) -> object:
        self._enter("nvmlDeviceGetMemoryInfo")
        gpu = self._gpu(handle)
        free = gpu.memory_total - gpu.memory_used
        return _real.c_nvmlMemory_t(total=gpu.memory_total, free=free, used=gpu.memory_used)


_FUNCTIONS = [name for name in vars(_FakeNvml) if name.startswith("nvml")]


def build(
    gpus: Sequence[FakeGpu] | None = None,
    clock: Callable[[], float] = time.monotonic,
    init_error: int | None = None,
) -> types.ModuleType:
    """A fresh fake `pynvml` module (one H100-like GPU at 70 W unless `gpus` says otherwise).

    `init_error` is an NVML error code nvmlInit raises, e.g. NVML_ERROR_DRIVER_NOT_LOADED or
    NVML_ERROR_LIBRARY_NOT_FOUND. The module's `fake` attribute is the state, for assertions
    (`fake.refcount`, `fake.calls`, `fake.gpus`).
    """
    state = _FakeNvml(gpus if gpus is not None else [FakeGpu()], clock, init_error)
    module = types.ModuleType("pynvml", "Fake pynvml (tests/fakes/fake_pynvml.py)")
    for name, value in vars(_real).items():
        if name.startswith(("NVML_", "NVMLError", "c_nvml")) or name == "nvmlExceptionClass":
            setattr(module, name, value)
    for name in _FUNCTIONS:
        setattr(module, name, getattr(state, name))
    module.fake = state  # type: ignore[attr-defined]
    return module
