"""A background thread sampling a sensor into a bounded ring buffer.

The thread keeps a fixed schedule on the monotonic clock (tick k is due at start + k/hz), so the
rate does not drift by the time each sample takes; when a sample overruns several periods the
missed ticks are skipped, not fired in a burst. Two bounded buffers are fed: the history the
chart draws from (`snapshot`, decimated to about two points per terminal column) and the
not-yet-stored samples (`drain`, for batched store inserts).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Sequence

from pimp_tui.errors import PimpError
from pimp_tui.measure.sensors.base import PowerSample, Sensor

DEFAULT_HZ = 10.0
# One hour at 10 Hz for one device.
DEFAULT_CAPACITY = 36_000


class PowerMonitor:
    """Samples `sensor` `hz` times a second on a daemon thread between `start()` and `stop()`."""

    def __init__(
        self,
        sensor: Sensor,
        hz: float = DEFAULT_HZ,
        capacity: int = DEFAULT_CAPACITY,
        pending_capacity: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not hz > 0:
            raise PimpError(f"sampling rate must be positive, got {hz} Hz")
        if capacity < 1:
            raise PimpError(f"buffer capacity must be at least 1, got {capacity}")
        self.sensor = sensor
        self.hz = float(hz)
        self._clock = clock
        self._history: deque[PowerSample] = deque(maxlen=capacity)
        self._pending: deque[PowerSample] = deque(maxlen=pending_capacity or capacity)
        self._ticks: deque[float] = deque(maxlen=max(16, int(2 * hz)))
        self._lock = threading.Lock()
        self._sensor_lock = threading.Lock()  # the thread and sample_now() never read at once
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.samples_taken = 0
        self.missed_ticks = 0
        self.dropped = 0  # samples pushed out of the pending buffer before a drain()
        self.errors = 0
        self.last_error: str | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self.running:
            return
        self._stop.clear()
        with self._lock:
            self._ticks.clear()
        self._thread = threading.Thread(target=self._run, name="pimp-power-monitor", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the thread to end and wait for it (it checks the flag at every tick)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def __enter__(self) -> PowerMonitor:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        period = 1.0 / self.hz
        due = self._clock()
        while not self._stop.is_set():
            now = self._take()
            with self._lock:
                self._ticks.append(now)
            due += period
            if now - due > period:
                skipped = int((now - due) / period)
                self.missed_ticks += skipped
                due += skipped * period
            if due > now:
                self._stop.wait(due - now)

    def _take(self) -> float:
        """One reading of the sensor into both buffers, in the order taken; returns when."""
        with self._sensor_lock:
            try:
                samples = self.sensor.sample()
            except Exception as exc:  # a transient read failure must not end the trace
                self.errors += 1
                self.last_error = str(exc)
                samples = []
            now = self._clock()
            with self._lock:
                self._history.extend(samples)
                overflow = len(self._pending) + len(samples) - (self._pending.maxlen or 0)
                self.dropped += max(0, overflow)
                self._pending.extend(samples)
                self.samples_taken += len(samples)
        return now

    def sample_now(self) -> None:
        """Take one reading at once, off the schedule: a run shorter than the sampling period
        still gets samples at its start and its end."""
        self._take()

    @property
    def achieved_hz(self) -> float:
        """Ticks per second over the recent ticks (about the last two seconds)."""
        with self._lock:
            ticks = list(self._ticks)
        if len(ticks) < 2 or ticks[-1] <= ticks[0]:
            return 0.0
        return (len(ticks) - 1) / (ticks[-1] - ticks[0])

    def drain(self) -> list[PowerSample]:
        """The samples taken since the previous drain, oldest first."""
        with self._lock:
            out = list(self._pending)
            self._pending.clear()
        return out

    def snapshot(self, max_points: int = 160, device: int | None = None) -> list[PowerSample]:
        """The history, decimated to at most `max_points` per device, time-ordered."""
        with self._lock:
            history = list(self._history)
        if device is not None:
            history = [s for s in history if s.device == device]
        return decimate(history, max_points)


def decimate(samples: Sequence[PowerSample], max_points: int) -> list[PowerSample]:
    """At most `max_points` samples per device, keeping each bucket's minimum and maximum.

    Min/max per bucket (two points per bucket, so ~2 per column for a chart `max_points/2`
    columns wide) keeps spikes and dips visible where a mean would flatten them.
    """
    by_device: dict[int, list[PowerSample]] = {}
    for s in samples:
        by_device.setdefault(s.device, []).append(s)
    out: list[PowerSample] = []
    for series in by_device.values():
        out.extend(_decimate_one(series, max_points))
    out.sort(key=lambda s: s.t)
    return out


def _decimate_one(series: list[PowerSample], max_points: int) -> list[PowerSample]:
    if len(series) <= max_points:
        return series
    if max_points < 2:
        return [max(series, key=lambda s: s.watts)] if max_points == 1 else []
    buckets = max_points // 2
    out = []  # type: ignore[var-annotated]
    for b in range(buckets):
        chunk = series[b * len(series) // buckets : (b + 1) * len(series) // buckets]
        lo = min(range(len(chunk)), key=lambda i: chunk[i].watts)
        hi = max(range(len(chunk)), key=lambda i: chunk[i].watts)
        out.extend(chunk[i] for i in sorted({lo, hi}))
    return out
