"""PowerMonitor: bounded history, drain-once batches, decimation keeping extremes, clean stop."""

from __future__ import annotations

import threading

import pytest

from pimp_tui.errors import PimpError
from pimp_tui.measure.sensors import NvmlSensor, PowerMonitor, PowerSample, decimate
from tests.fakes.fake_pynvml import FakeGpu


class CountingSensor:
    """Returns one sample per call, numbered, on one or two devices; can fail on request."""

    name = "counting"
    power_source = "test"

    def __init__(self, devices: tuple[int, ...] = (0,), fail_every: int = 0) -> None:
        self.devices = devices
        self.calls = 0
        self.fail_every = fail_every
        self.enough = threading.Event()
        self.wanted = 0

    def sample(self) -> list[PowerSample]:
        self.calls += 1
        if self.wanted and self.calls >= self.wanted:
            self.enough.set()
        if self.fail_every and self.calls % self.fail_every == 0:
            raise RuntimeError("transient read failure")
        return [
            PowerSample(t=float(self.calls), device=d, watts=float(self.calls))
            for d in self.devices
        ]

    def run(self, monitor: PowerMonitor, calls: int) -> None:
        """Run the monitor until the sensor has been called `calls` times."""
        self.wanted = calls
        monitor.start()
        assert self.enough.wait(30), "monitor thread did not sample"
        monitor.stop()


def series(watts: list[float], device: int = 0) -> list[PowerSample]:
    return [PowerSample(t=float(i), device=device, watts=w) for i, w in enumerate(watts)]


def test_history_is_a_bounded_ring_buffer():
    sensor = CountingSensor()
    monitor = PowerMonitor(sensor, hz=500.0, capacity=20)
    sensor.run(monitor, 60)
    history = monitor.snapshot(max_points=1000)
    assert len(history) == 20
    assert history[-1].watts == sensor.calls  # the newest samples are the ones kept


def test_drain_returns_each_sample_once_in_order():
    sensor = CountingSensor(devices=(0, 1))
    monitor = PowerMonitor(sensor, hz=500.0)
    sensor.run(monitor, 10)
    first = monitor.drain()
    assert monitor.drain() == []
    assert len(first) == 2 * sensor.calls == monitor.samples_taken
    assert [s.t for s in first] == sorted(s.t for s in first)


def test_sample_now_reads_at_once_between_ticks_and_keeps_order():
    """A run shorter than the period still gets readings at its start and end, in order with
    the thread's own."""
    sensor = CountingSensor()
    monitor = PowerMonitor(sensor, hz=0.001)  # the thread's next tick is ~17 minutes away
    monitor.start()
    try:
        monitor.sample_now()
        monitor.sample_now()
    finally:
        monitor.stop()
    drained = monitor.drain()
    assert [s.watts for s in drained] == [1.0, 2.0, 3.0]  # in the order taken
    assert monitor.samples_taken == 3


def test_undrained_samples_are_bounded_and_counted_as_dropped():
    sensor = CountingSensor()
    monitor = PowerMonitor(sensor, hz=500.0, capacity=100, pending_capacity=5)
    sensor.run(monitor, 30)
    assert len(monitor.drain()) == 5
    assert monitor.dropped == sensor.calls - 5


def test_stop_ends_the_thread_and_achieved_rate_is_reported():
    sensor = CountingSensor()
    monitor = PowerMonitor(sensor, hz=200.0)
    sensor.run(monitor, 20)
    assert not monitor.running
    assert monitor.achieved_hz > 0
    calls = sensor.calls
    threading.Event().wait(0.05)
    assert sensor.calls == calls  # nothing samples after stop()


def test_a_failing_read_does_not_end_the_trace():
    sensor = CountingSensor(fail_every=3)
    monitor = PowerMonitor(sensor, hz=500.0)
    sensor.run(monitor, 12)
    assert monitor.errors >= 3
    assert monitor.last_error == "transient read failure"
    assert len(monitor.drain()) == sensor.calls - monitor.errors


def test_monitor_samples_the_fake_nvml(fake_nvml):
    fake_nvml([FakeGpu(power=120.0), FakeGpu(power=80.0)])
    sensor = NvmlSensor()
    with PowerMonitor(sensor, hz=100.0) as monitor:
        for _ in range(3000):  # at most ~30 s on a very busy machine
            if len(monitor.snapshot(1000)) >= 10:
                break
            threading.Event().wait(0.01)
    devices = {s.device: s.watts for s in monitor.drain()}
    assert devices == {0: 120.0, 1: 80.0}


def test_rate_and_capacity_must_be_positive():
    with pytest.raises(PimpError, match="sampling rate"):
        PowerMonitor(CountingSensor(), hz=0)
    with pytest.raises(PimpError, match="capacity"):
        PowerMonitor(CountingSensor(), capacity=0)


def test_decimation_keeps_extremes():
    watts = [100.0] * 1000
    watts[137], watts[702] = 450.0, 3.0  # a spike and a dip
    kept = decimate(series(watts), max_points=40)
    assert len(kept) <= 40
    assert max(s.watts for s in kept) == 450.0
    assert min(s.watts for s in kept) == 3.0
    assert [s.t for s in kept] == sorted(s.t for s in kept)


def test_decimation_is_per_device_and_leaves_short_series_alone():
    samples = series([float(i) for i in range(300)], 0) + series([1.0, 2.0], 1)
    kept = decimate(samples, max_points=20)
    assert sum(s.device == 0 for s in kept) <= 20
    assert [s.watts for s in kept if s.device == 1] == [1.0, 2.0]
    assert decimate(samples[:10], max_points=20) == samples[:10]


def test_snapshot_filters_one_device():
    sensor = CountingSensor(devices=(0, 3))
    monitor = PowerMonitor(sensor, hz=500.0)
    sensor.run(monitor, 5)
    assert {s.device for s in monitor.snapshot(100, device=3)} == {3}
