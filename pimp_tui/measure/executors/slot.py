"""A device slot: the process that measures runs on its own devices for a campaign driver.

The ray executor makes one long-lived actor of `SlotWorker` per slot (whole GPUs, or CPUs on a
CPU-only cluster). A slot loads the LLM once, binds its sensor to its own devices (Ray sets
CUDA_VISIBLE_DEVICES; the NVML sensor follows it), measures its own idle baseline and then runs
the runs it is handed, one at a time, returning each outcome with its power trace. It never
opens the store: the driver writes everything. `telemetry()` and `stop_now()` may be called
while a run is in flight (the actor runs two calls at once).

Nothing here imports ray: the class is plain, and is wrapped by `ray.remote` in the driver.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections import deque
from collections.abc import Mapping
from typing import Any

from pimp_tui.errors import PimpError

TRACE_EVERY_S = 0.5
LIVE_MAX = 2_000
"""Power samples a slot keeps for the driver between two telemetry calls."""


class _Stopped(BaseException):
    """Raised at a generation step after `stop_now()`: the run is abandoned, not failed."""


def visible_devices() -> str | None:
    """The GPUs this process may use (CUDA_VISIBLE_DEVICES; None when unset or empty)."""
    value = os.environ.get("CUDA_VISIBLE_DEVICES")
    return value if value else None


def slot_label(node: str, index: int, devices: str | None) -> str:
    """NODE/gpu0,1 for a GPU slot (its CUDA_VISIBLE_DEVICES), NODE/cpuN for CPU slot N."""
    return f"{node}/gpu{devices}" if devices else f"{node}/cpu{index}"


def check_llm(llm: str) -> tuple[str, str | None]:
    """(this node's name, why `llm` cannot be found here, or None): run on every node."""
    from pimp_tui.measure.llm import resolve

    try:
        resolve(llm)
    except PimpError as exc:
        return socket.gethostname(), str(exc)
    return socket.gethostname(), None


class SlotWorker:
    """Runs a campaign's runs on this process's devices; see the module docstring."""

    def __init__(self, spec: Mapping[str, Any], index: int) -> None:
        self.spec = dict(spec)
        self.params: dict[str, Any] = dict(self.spec.get("params") or {})
        self.node = socket.gethostname()
        self.devices = visible_devices()
        self.label = slot_label(self.node, index, self.devices)
        self.unix_offset = time.time() - time.monotonic()
        self.lock = threading.Lock()
        self.live: deque = deque(maxlen=LIVE_MAX)
        self.trace: list | None = None
        self.stop = threading.Event()
        self.last_trace = 0.0
        self.last_end: float | None = None
        self.llm: Any = None
        self.task: Any = None
        self.sensor: Any = None
        self.monitor: Any = None
        self.idle = 0.0
        self.labels: dict[str, Any] = {}

    def describe(self) -> dict[str, Any]:
        """Where this slot is, before anything is loaded."""
        return {"slot": self.label, "node": self.node, "devices": self.devices,
                "pid": os.getpid()}  # fmt: skip

    def prepare(self) -> dict[str, Any]:
        """Load the task and LLM, bind the sensor, measure the idle baseline, start sampling.
        Returns this slot's description, with `error` set when it cannot measure."""
        try:
            return self._prepare()
        except PimpError as exc:
            return {**self.describe(), "error": f"{self.label}: {exc}"}
        except Exception as exc:
            return {**self.describe(), "error": f"{self.label}: {type(exc).__name__}: {exc}"}

    def _prepare(self) -> dict[str, Any]:
        from pimp_tui.measure.execute import hardware_labels
        from pimp_tui.measure.llm import open_llm
        from pimp_tui.measure.provenance import library_versions, run_context
        from pimp_tui.measure.sensors import PowerMonitor, choose_sensor
        from pimp_tui.measure.tasks import load_task

        spec = self.spec
        cpus = int(spec.get("cpus") or 0)
        if cpus and not self.devices:
            import torch

            torch.set_num_threads(cpus)
        self.task = load_task(spec["task"], spec["prompts"], spec["seed"])
        notes: list[str] = []
        self.llm = open_llm(spec["llm"], seed=spec["seed"], notify=notes.append)
        sync = None
        if self.llm.device.startswith("cuda"):
            import torch

            sync = torch.cuda.synchronize
        self.sensor = choose_sensor(
            spec.get("sensor"), synchronize=sync, watts_per_core=self.params.get("cpu_watts")
        )
        notes.extend(f"sensor: {note}" for note in getattr(self.sensor, "notes", ()))
        self.idle = self.sensor.idle_baseline(float(self.params.get("idle_s", 2.0)), self.stop)
        self.monitor = PowerMonitor(self.sensor, hz=float(self.params.get("hz", 10.0)))
        self.monitor.start()
        self.labels = hardware_labels(self.sensor, self.label)
        names = getattr(self.sensor, "device_names", None) or {}
        return {
            **self.describe(),
            **self.labels,
            "context": run_context(self.llm),
            "gpu_model": ", ".join(dict.fromkeys(names.values())) or None,
            "sensor": self.sensor.name,
            "sensor_devices": list(getattr(self.sensor, "devices", ()) or ()),
            "idle_watts": self.idle,
            "versions": library_versions(self.llm.device),
            "notes": notes,
            "error": None,
        }

    def run(self, run: Mapping[str, Any]) -> dict[str, Any]:
        """Measure one run (its `effective` configuration, built by the driver); returns its
        outcome and trace rows (`status` 'stopped' when `stop_now()` abandoned it)."""
        from pimp_tui.measure.execute import execute, prepare, trace_rows

        self.stop.clear()
        self._cooldown()
        effective = run["effective"]
        key = prepare(self.llm, self.task, effective, self.params)
        self._collect()  # samples of the load and warm-up belong to no run
        t0 = time.monotonic()
        with self.lock:
            self.trace = []
        self.monitor.sample_now()
        try:
            outcome = execute(self.llm, self.task, self.sensor, effective, key, run["config"],
                              self.params, self.idle, self._on_step, self.labels)  # fmt: skip
        except _Stopped:
            with self.lock:
                self.trace = None
            return {"status": "stopped"}
        finally:
            self.last_end = time.monotonic()
        self.monitor.sample_now()
        self._collect()
        with self.lock:
            trace, self.trace = self.trace or [], None
        return {
            "status": outcome.status,
            "metrics": outcome.metrics,
            "error": outcome.error,
            "outputs": outcome.outputs,
            "traceback": outcome.traceback,
            "trace": trace_rows(trace, t0),
        }

    def telemetry(self) -> list[tuple[float, int, float]]:
        """(unix time, device, watts) samples since the last call."""
        if self.monitor is None:
            return []
        self._collect()
        with self.lock:
            fresh = [(s.t + self.unix_offset, s.device, s.watts) for s in self.live]
            self.live.clear()
        return fresh

    def stop_now(self) -> None:
        """Abandon the run in flight at its next generation step."""
        self.stop.set()

    def close(self) -> None:
        if self.monitor is not None:
            self.monitor.stop()
        if self.sensor is not None:
            self.sensor.close()
        if self.llm is not None:
            self.llm.release()

    def _collect(self) -> None:
        with self.lock:
            fresh = self.monitor.drain()
            self.live.extend(fresh)
            if self.trace is not None:
                self.trace.extend(fresh)

    def _on_step(self) -> None:
        now = time.monotonic()
        if now - self.last_trace >= TRACE_EVERY_S:
            self.last_trace = now
            self._collect()
        if self.stop.is_set():
            raise _Stopped

    def _cooldown(self) -> None:
        """The campaign's pause between two runs of this slot."""
        if self.last_end is None:
            return
        wait = float(self.params.get("cooldown_s", 0.5)) - (time.monotonic() - self.last_end)
        if wait > 0:
            self.stop.wait(wait)
