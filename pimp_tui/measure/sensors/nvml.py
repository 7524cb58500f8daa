"""NVIDIA GPUs through NVML (the `pynvml` module of nvidia-ml-py, imported only when used).

Energy per window comes from the total-energy counter (mJ, Volta and newer), read at both ends
after synchronising the device. The counter only moves about every 100 ms, so windows under a
second are flagged, and a window in which it did not move at all gets the integrated-power
figure instead of 0 J. Devices without the counter get integrated power (trapezoid over the
samples taken during the window). Live power comes from the NVML_FI_DEV_POWER_INSTANT field
where the device supports it, else from nvmlDeviceGetPowerUsage, which on recent GPUs is a
1-second average that lags changes; `power_source` says which.
"""

from __future__ import annotations

import importlib
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pimp_tui.errors import PimpError
from pimp_tui.measure.sensors.base import EnergyReading, PowerSample, idle_baseline, trapezoid

INSTANT = "instant field"
AVERAGE = "average (1 s)"
# The counter updates about every 100 ms: below this a window's energy is approximate.
MIN_WINDOW_S = 1.0


def load_pynvml() -> Any:
    """Import pynvml on first use: a machine without NVIDIA software must still start fast."""
    try:
        return importlib.import_module("pynvml")
    except ImportError as exc:
        raise PimpError("NVML unavailable: the nvidia-ml-py package is not installed") from exc


def _init_failure(nvml: Any, exc: Exception) -> str:
    reasons = (
        ("NVMLError_LibraryNotFound", "libnvidia-ml.so.1 not found (no NVIDIA driver installed)"),
        ("NVMLError_DriverNotLoaded", "the NVIDIA driver is not loaded"),
        ("NVMLError_NoPermission", "insufficient permissions to query the GPU"),
    )
    for cls_name, reason in reasons:
        cls = getattr(nvml, cls_name, None)
        if isinstance(cls, type) and isinstance(exc, cls):
            return f"NVML unavailable: {reason}"
    return f"NVML unavailable: {exc}"


@dataclass
class _Gpu:
    index: int
    handle: Any
    name: str
    has_counter: bool
    instant: bool
    # NVML functions for extra readings found unsupported on this device: not asked again.
    unsupported: set[str] = field(default_factory=set)


@dataclass
class _Window:
    """An open measurement window: counter values and power points per device."""

    t0: float
    start_mj: dict[int, int]
    points: dict[int, list[tuple[float, float]]]


class NvmlSensor:
    """Energy and power of a set of NVIDIA GPUs.

    `devices` are NVML indices (physical order). By default: the GPUs CUDA_VISIBLE_DEVICES
    lets this process use, or all of them when it is unset.
    """

    name = "nvml"

    def __init__(
        self,
        devices: Sequence[int] | None = None,
        synchronize: Callable[[], Any] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        nvml = load_pynvml()
        try:
            nvml.nvmlInit()
        except nvml.NVMLError as exc:
            raise PimpError(_init_failure(nvml, exc)) from exc
        self._nvml = nvml
        self._open = True
        try:
            self._gpus = [self._probe(i) for i in _check_indices(nvml, devices)]
        except nvml.NVMLError as exc:
            self.close()
            raise PimpError(f"NVML unavailable: {exc}") from exc
        except BaseException:
            self.close()
            raise
        self.synchronize = synchronize
        self.notes: tuple[str, ...] = ()
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[int, _Window] = {}
        self._next_id = 0

    @property
    def devices(self) -> tuple[int, ...]:
        return tuple(g.index for g in self._gpus)

    @property
    def device_names(self) -> dict[int, str]:
        return {g.index: g.name for g in self._gpus}

    @property
    def driver_version(self) -> str | None:
        """The NVIDIA driver's version, as NVML reports it."""
        try:
            version = self._nvml.nvmlSystemGetDriverVersion()
        except self._nvml.NVMLError:
            return None
        return version.decode() if isinstance(version, bytes) else str(version)

    @property
    def power_source(self) -> str:
        sources = {g.index: INSTANT if g.instant else AVERAGE for g in self._gpus}
        if len(set(sources.values())) == 1:
            return next(iter(sources.values()))
        return "; ".join(f"GPU {i}: {s}" for i, s in sources.items())

    @property
    def energy_method(self) -> str:
        """How windows are measured: 'counter', 'integrated' or 'counter+integrated'."""
        return _combine({"counter" if g.has_counter else "integrated" for g in self._gpus})

    def _probe(self, index: int) -> _Gpu:
        nvml = self._nvml
        handle = nvml.nvmlDeviceGetHandleByIndex(index)
        name = nvml.nvmlDeviceGetName(handle)
        if isinstance(name, bytes):
            name = name.decode(errors="replace")
        try:
            nvml.nvmlDeviceGetTotalEnergyConsumption(handle)
            has_counter = True
        except (nvml.NVMLError_NotSupported, nvml.NVMLError_FunctionNotFound):
            has_counter = False
        except nvml.NVMLError as exc:
            raise PimpError(f"GPU {index}: reading the energy counter failed: {exc}") from exc
        return _Gpu(index, handle, str(name), has_counter, self._has_instant_field(handle))

    def _has_instant_field(self, handle: Any) -> bool:
        nvml = self._nvml
        field_id = getattr(nvml, "NVML_FI_DEV_POWER_INSTANT", None)
        if field_id is None:
            return False
        try:
            value = nvml.nvmlDeviceGetFieldValues(handle, [field_id])[0]
        except nvml.NVMLError:
            return False
        return value.nvmlReturn == nvml.NVML_SUCCESS

    # -- live power ---------------------------------------------------------------------------

    def _watts(self, gpu: _Gpu) -> float:
        nvml = self._nvml
        if not gpu.instant:
            return nvml.nvmlDeviceGetPowerUsage(gpu.handle) / 1000.0
        value = nvml.nvmlDeviceGetFieldValues(gpu.handle, [nvml.NVML_FI_DEV_POWER_INSTANT])[0]
        if value.nvmlReturn != nvml.NVML_SUCCESS:
            raise nvml.NVMLError(value.nvmlReturn)
        return _field_number(nvml, value) / 1000.0

    def _extra(
        self, gpu: _Gpu, read: Callable[..., Any], *args: Any, attr: str = ""
    ) -> float | None:
        """An optional reading (temperature, clock, ...); None where the device lacks it."""
        if read.__name__ in gpu.unsupported:
            return None
        try:
            value = read(gpu.handle, *args)
        except self._nvml.NVMLError_NotSupported:
            gpu.unsupported.add(read.__name__)
            return None
        except self._nvml.NVMLError:
            return None
        return float(getattr(value, attr) if attr else value)

    def _record(self, index: int, t: float, watts: float) -> None:
        """Give a power point to every open window (the integrated method uses them)."""
        with self._lock:
            for window in self._windows.values():
                window.points[index].append((t, watts))

    def sample(self) -> list[PowerSample]:
        """Power, temperature, SM clock, utilisation and memory of each device, now."""
        nvml, out = self._nvml, []
        for gpu in self._gpus:
            t = self._clock()
            watts = self._watts(gpu)
            self._record(gpu.index, t, watts)
            memory = self._extra(gpu, nvml.nvmlDeviceGetMemoryInfo, attr="used")
            out.append(
                PowerSample(
                    t=t,
                    device=gpu.index,
                    watts=watts,
                    temperature_c=self._extra(
                        gpu, nvml.nvmlDeviceGetTemperature, nvml.NVML_TEMPERATURE_GPU
                    ),
                    sm_clock_mhz=self._extra(gpu, nvml.nvmlDeviceGetClockInfo, nvml.NVML_CLOCK_SM),
                    utilisation_pct=self._extra(
                        gpu, nvml.nvmlDeviceGetUtilizationRates, attr="gpu"
                    ),
                    memory_used_mib=None if memory is None else memory / 2**20,
                )
            )
        return out

    # -- energy windows -----------------------------------------------------------------------

    def _counters(self) -> dict[int, int]:
        return {
            g.index: self._nvml.nvmlDeviceGetTotalEnergyConsumption(g.handle)
            for g in self._gpus
            if g.has_counter
        }

    def _edge_points(self, window: _Window) -> None:
        for gpu in self._gpus:
            t = self._clock()
            window.points[gpu.index].append((t, self._watts(gpu)))

    def open_window(self) -> int:
        """Start a window: synchronise, read the counters, and one power point per device."""
        if self.synchronize is not None:
            self.synchronize()
        start = self._counters()
        window = _Window(self._clock(), start, {g.index: [] for g in self._gpus})
        self._edge_points(window)
        with self._lock:
            token = self._next_id
            self._next_id += 1
            self._windows[token] = window
        return token

    def close_window(self, token: object) -> EnergyReading:
        """End a window: synchronise, read the counters, and choose each device's figure."""
        if self.synchronize is not None:
            self.synchronize()
        end = self._counters()
        t1 = self._clock()
        with self._lock:
            window = self._windows.pop(token, None)  # type: ignore[call-overload]
        if window is None:
            raise ValueError(f"unknown or already closed window {token!r}")
        self._edge_points(window)
        seconds = t1 - window.t0
        short = seconds < MIN_WINDOW_S
        methods, joules = set(), []
        for gpu in self._gpus:
            moved = gpu.has_counter and end[gpu.index] > window.start_mj[gpu.index]
            if moved:
                methods.add("counter")
                joules.append((end[gpu.index] - window.start_mj[gpu.index]) / 1000.0)
            else:
                # No counter, or it did not move (it updates every ~100 ms): never report 0 J.
                short = short or gpu.has_counter
                methods.add("integrated")
                joules.append(trapezoid(window.points[gpu.index], window.t0, t1))
        return EnergyReading(
            joules=sum(joules),
            seconds=seconds,
            short_window=short,
            method=_combine(methods),
            sensor=self.name,
            per_device=tuple(joules),
        )

    def idle_baseline(self, seconds: float, cancel: threading.Event | None = None) -> float:
        return idle_baseline(self, seconds, cancel=cancel)  # type: ignore[arg-type]

    def close(self) -> None:
        if self._open:
            self._open = False
            try:
                self._nvml.nvmlShutdown()
            except self._nvml.NVMLError:
                pass


def _check_indices(nvml: Any, devices: Sequence[int] | None) -> list[int]:
    count = nvml.nvmlDeviceGetCount()
    if count == 0:
        raise PimpError("NVML unavailable: no NVIDIA GPU found")
    if devices is None:
        return _visible_indices(nvml, count)
    chosen = list(dict.fromkeys(int(d) for d in devices))
    bad = [d for d in chosen if not 0 <= d < count]
    if bad or not chosen:
        raise PimpError(
            f"GPU index {bad[0] if bad else '(none)'} does not exist: this machine has "
            f"{count} GPU(s), indices 0-{count - 1}"
        )
    return chosen


def _visible_indices(nvml: Any, count: int) -> list[int]:
    """The GPUs this process can use: CUDA_VISIBLE_DEVICES when set (indices or GPU- UUIDs).

    NVML numbers GPUs physically and ignores that variable, so without this a process given
    one GPU of a shared machine would be charged for the work of the others. An entry NVML
    cannot place (a MIG instance, say) means all GPUs are measured, as when it is unset.
    """
    spec = os.environ.get("CUDA_VISIBLE_DEVICES")
    if spec is None:
        return list(range(count))
    entries = [e.strip() for e in spec.split(",")]
    if entries == [""]:
        raise PimpError("NVML: CUDA_VISIBLE_DEVICES is empty, so this process uses no GPU")
    uuids: dict[str, int] | None = None
    chosen: list[int] = []
    for entry in entries:
        if entry.lstrip("-").isdigit():
            index = int(entry)
            if not 0 <= index < count:
                break  # CUDA stops at the first invalid entry
        elif entry.startswith("GPU-"):
            if uuids is None:
                uuids = {_uuid(nvml, i): i for i in range(count)}
            matches = [i for u, i in uuids.items() if u.startswith(entry)]
            if len(matches) != 1:
                return list(range(count))
            index = matches[0]
        else:
            return list(range(count))
        if index not in chosen:
            chosen.append(index)
    if not chosen:
        raise PimpError(f"NVML: CUDA_VISIBLE_DEVICES={spec!r} names no GPU of this machine")
    return chosen


def _uuid(nvml: Any, index: int) -> str:
    uuid = nvml.nvmlDeviceGetUUID(nvml.nvmlDeviceGetHandleByIndex(index))
    return uuid.decode() if isinstance(uuid, bytes) else str(uuid)


def _field_number(nvml: Any, value: Any) -> float:
    """The number in a c_nvmlFieldValue_t, read through the union member its type names."""
    for const, member in _VALUE_MEMBERS:
        if value.valueType == getattr(nvml, const, None):
            return float(getattr(value.value, member))
    return float(value.value.uiVal)


_VALUE_MEMBERS = (
    ("NVML_VALUE_TYPE_DOUBLE", "dVal"),
    ("NVML_VALUE_TYPE_UNSIGNED_INT", "uiVal"),
    ("NVML_VALUE_TYPE_UNSIGNED_LONG", "ulVal"),
    ("NVML_VALUE_TYPE_UNSIGNED_LONG_LONG", "ullVal"),
    ("NVML_VALUE_TYPE_SIGNED_LONG_LONG", "sllVal"),
    ("NVML_VALUE_TYPE_SIGNED_INT", "siVal"),
    ("NVML_VALUE_TYPE_UNSIGNED_SHORT", "usVal"),
)


def _combine(methods: set[str]) -> str:
    return "counter+integrated" if len(methods) > 1 else next(iter(methods))
