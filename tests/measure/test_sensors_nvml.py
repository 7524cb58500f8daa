"""The NVML sensor against the fake pynvml: counter windows, fallbacks, power sources, errors."""

from __future__ import annotations

import sys

import pynvml as real_pynvml
import pytest

from pimp_tui.errors import PimpError
from pimp_tui.measure.sensors import NvmlSensor
from tests.fakes.fake_pynvml import FakeGpu, ManualClock, uuid_of


def step(before: float, after: float, at: float):
    return lambda t: before if t < at else after


def run_window(sensor: NvmlSensor, clock: ManualClock, seconds: float, hz: float = 10.0):
    """A window of `seconds`, sampled at `hz` the way the power monitor would."""
    token = sensor.open_window()
    ticks = round(seconds * hz)
    for _ in range(ticks):
        clock.advance(seconds / ticks)
        sensor.sample()
    return sensor.close_window(token)


def test_long_window_uses_the_counter(fake_nvml):
    clock = ManualClock()
    fake_nvml([FakeGpu(power=250.0)], clock=clock)
    sensor = NvmlSensor(clock=clock)
    clock.advance(0.33)
    reading = run_window(sensor, clock, 3.0)
    assert reading.method == "counter"
    assert not reading.short_window
    assert reading.seconds == pytest.approx(3.0)
    # The counter moves in 100 ms steps: within one step of the true 750 J.
    assert abs(reading.joules - 750.0) <= 25.0 + 1e-6
    assert reading.sensor == "nvml"


def test_short_window_is_flagged_and_never_zero(fake_nvml):
    clock = ManualClock()
    fake_nvml([FakeGpu(power=200.0)], clock=clock)
    sensor = NvmlSensor(clock=clock)
    clock.advance(0.02)
    token = sensor.open_window()
    clock.advance(0.05)  # the counter does not update inside this window
    reading = sensor.close_window(token)
    assert reading.short_window
    assert reading.joules > 0
    assert reading.joules == pytest.approx(200.0 * 0.05)
    assert reading.method == "integrated"


def test_short_window_where_the_counter_moved_is_flagged(fake_nvml):
    clock = ManualClock()
    fake_nvml([FakeGpu(power=200.0)], clock=clock)
    sensor = NvmlSensor(clock=clock)
    clock.advance(0.08)
    token = sensor.open_window()
    clock.advance(0.4)
    reading = sensor.close_window(token)
    assert reading.method == "counter"
    assert reading.short_window
    assert reading.joules > 0


def test_counter_not_supported_integrates_the_power_profile(fake_nvml):
    clock = ManualClock(start=0.0)
    ramp = lambda t: 100.0 + 100.0 * t  # noqa: E731 - 100 W rising to 300 W over 2 s
    fake_nvml([FakeGpu(power=ramp, counter=False)], clock=clock)
    sensor = NvmlSensor(clock=clock)
    reading = run_window(sensor, clock, 2.0, hz=10.0)
    assert reading.method == "integrated"
    assert not reading.short_window
    assert reading.joules == pytest.approx(400.0, rel=0.02)


def test_counter_and_integration_agree_on_a_varying_load(fake_nvml):
    clock = ManualClock(start=0.0)
    profile = lambda t: 150.0 + 100.0 * ((t // 0.5) % 2)  # noqa: E731 - 150/250 W square wave
    fake_nvml([FakeGpu(power=profile), FakeGpu(power=profile, counter=False)], clock=clock)
    sensor = NvmlSensor(clock=clock)
    reading = run_window(sensor, clock, 4.0, hz=50.0)
    assert reading.method == "counter+integrated"
    counter, integrated = reading.per_device
    assert counter == pytest.approx(800.0, rel=0.05)
    assert integrated == pytest.approx(800.0, rel=0.05)
    assert reading.joules == pytest.approx(counter + integrated)


def test_instant_field_is_preferred_for_live_power(fake_nvml):
    clock = ManualClock(start=0.0)
    fake_nvml([FakeGpu(power=step(100.0, 300.0, at=5.0))], clock=clock)
    sensor = NvmlSensor(clock=clock)
    assert sensor.power_source == "instant field"
    clock.advance(5.2)
    assert sensor.sample()[0].watts == pytest.approx(300.0)


def test_average_power_is_used_and_named_where_the_field_is_unsupported(fake_nvml):
    clock = ManualClock(start=0.0)
    fake_nvml([FakeGpu(power=step(100.0, 300.0, at=5.0), instant_field=False)], clock=clock)
    sensor = NvmlSensor(clock=clock)
    assert sensor.power_source == "average (1 s)"
    clock.advance(5.25)
    lagging = sensor.sample()[0].watts
    assert 100.0 < lagging < 200.0  # the 1 s average has barely seen the step
    clock.advance(2.0)
    assert sensor.sample()[0].watts == pytest.approx(300.0)


def test_mixed_power_sources_are_named_per_gpu(fake_nvml):
    fake_nvml([FakeGpu(), FakeGpu(instant_field=False)])
    sensor = NvmlSensor()
    assert sensor.power_source == "GPU 0: instant field; GPU 1: average (1 s)"


def test_samples_carry_temperature_clock_utilisation_and_memory(fake_nvml):
    fake_nvml([FakeGpu(temperature=63, sm_clock=1755, utilisation=87, memory_used=3 << 30)])
    (sample,) = NvmlSensor().sample()
    assert sample.device == 0
    assert sample.temperature_c == 63
    assert sample.sm_clock_mhz == 1755
    assert sample.utilisation_pct == 87
    assert sample.memory_used_mib == 3 * 1024


def test_all_gpus_by_default_or_a_chosen_set(fake_nvml):
    fake_nvml([FakeGpu(power=50.0), FakeGpu(power=60.0), FakeGpu(power=70.0)])
    assert NvmlSensor().devices == (0, 1, 2)
    chosen = NvmlSensor(devices=[2, 0])
    assert chosen.devices == (2, 0)
    assert [(s.device, s.watts) for s in chosen.sample()] == [(2, 70.0), (0, 50.0)]


def test_unknown_gpu_index_is_a_user_error(fake_nvml):
    fake_nvml([FakeGpu(), FakeGpu()])
    with pytest.raises(PimpError, match="GPU index 5 does not exist.*2 GPU"):
        NvmlSensor(devices=[5])


def test_synchronise_hook_runs_at_both_ends(fake_nvml):
    fake_nvml()
    calls = []
    sensor = NvmlSensor(synchronize=lambda: calls.append("sync"))
    token = sensor.open_window()
    assert calls == ["sync"]
    sensor.close_window(token)
    assert calls == ["sync", "sync"]


def test_windows_can_overlap(fake_nvml):
    clock = ManualClock()
    fake_nvml([FakeGpu(power=100.0)], clock=clock)
    sensor = NvmlSensor(clock=clock)
    outer = sensor.open_window()
    clock.advance(1.0)
    inner = sensor.open_window()
    clock.advance(2.0)
    inner_reading = sensor.close_window(inner)
    clock.advance(1.0)
    outer_reading = sensor.close_window(outer)
    assert inner_reading.joules == pytest.approx(200.0, abs=10.0)
    assert outer_reading.joules == pytest.approx(400.0, abs=10.0)
    with pytest.raises(ValueError):
        sensor.close_window(outer)


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (real_pynvml.NVML_ERROR_DRIVER_NOT_LOADED, "driver is not loaded"),
        (real_pynvml.NVML_ERROR_LIBRARY_NOT_FOUND, "libnvidia-ml.so.1 not found"),
        (real_pynvml.NVML_ERROR_NO_PERMISSION, "permissions"),
        (real_pynvml.NVML_ERROR_UNKNOWN, "Unknown Error"),
    ],
)
def test_no_driver_is_a_clear_user_error(fake_nvml, code, reason):
    fake_nvml(init_error=code)
    with pytest.raises(PimpError, match=f"NVML unavailable: .*{reason}"):
        NvmlSensor()


def test_missing_pynvml_package_is_a_clear_user_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "pynvml", None)
    with pytest.raises(PimpError, match="nvidia-ml-py"):
        NvmlSensor()


def test_no_gpu_is_a_user_error_and_releases_nvml(fake_nvml):
    module = fake_nvml(gpus=[])
    with pytest.raises(PimpError, match="no NVIDIA GPU"):
        NvmlSensor()
    assert module.fake.refcount == 0


def test_close_shuts_nvml_down_once(fake_nvml):
    module = fake_nvml()
    sensor = NvmlSensor()
    assert module.fake.refcount == 1
    sensor.close()
    sensor.close()
    assert module.fake.refcount == 0


def test_idle_baseline_is_the_mean_power(fake_nvml):
    fake_nvml([FakeGpu(power=60.0, counter=False), FakeGpu(power=40.0, counter=False)])
    sensor = NvmlSensor()
    assert sensor.idle_baseline(0.3) == pytest.approx(100.0)


@pytest.mark.parametrize(
    ("visible", "expected"),
    [("2,0", (2, 0)), ("1,7,2", (1,)), (uuid_of(3)[:12], (3,)), ("MIG-abc", (0, 1, 2, 3))],
)
def test_default_gpus_follow_cuda_visible_devices(fake_nvml, monkeypatch, visible, expected):
    fake_nvml([FakeGpu() for _ in range(4)])
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", visible)
    assert NvmlSensor().devices == expected


def test_no_visible_gpu_is_a_user_error(fake_nvml, monkeypatch):
    fake_nvml([FakeGpu()])
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    with pytest.raises(PimpError, match="CUDA_VISIBLE_DEVICES"):
        NvmlSensor()


def test_a_failing_device_query_is_a_user_error_and_releases_nvml(fake_nvml, monkeypatch):
    module = fake_nvml()

    def lost(handle):
        raise real_pynvml.NVMLError(real_pynvml.NVML_ERROR_GPU_IS_LOST)

    monkeypatch.setattr(module, "nvmlDeviceGetName", lost)
    with pytest.raises(PimpError, match="GPU is lost"):
        NvmlSensor()
    assert module.fake.refcount == 0
