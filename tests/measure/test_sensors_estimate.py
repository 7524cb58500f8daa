"""The estimate sensor: CPU time × a stated power figure, always labelled 'estimate'."""

from __future__ import annotations

import pytest

from pimp_tui.errors import PimpError
from pimp_tui.measure.sensors import DEFAULT_WATTS_PER_CORE, EstimateSensor
from tests.fakes.fake_pynvml import ManualClock


def test_energy_is_cpu_time_times_watts_per_core():
    cpu, clock = ManualClock(0.0), ManualClock()
    sensor = EstimateSensor(watts_per_core=12.0, cpu_time=cpu, clock=clock)
    token = sensor.open_window()
    cpu.advance(3.0)  # e.g. two busy cores for 1.5 s
    clock.advance(1.5)
    reading = sensor.close_window(token)
    assert reading.joules == pytest.approx(36.0)
    assert reading.seconds == pytest.approx(1.5)
    assert reading.method == "estimate"
    assert reading.sensor == "estimate"


def test_samples_and_power_source_are_labelled_estimate():
    cpu, clock = ManualClock(0.0), ManualClock()
    sensor = EstimateSensor(cpu_time=cpu, clock=clock)
    assert sensor.name == "estimate"
    assert sensor.power_source == "estimate"
    cpu.advance(0.1)
    clock.advance(0.1)
    (sample,) = sensor.sample()
    assert sample.watts == pytest.approx(DEFAULT_WATTS_PER_CORE)


def test_a_sample_never_shows_more_than_every_core_busy():
    # the CPU time read late: 0.5 s of it in a 0.1 s interval, on 2 cores
    cpu, clock = ManualClock(0.0), ManualClock()
    sensor = EstimateSensor(watts_per_core=15.0, cpu_time=cpu, clock=clock, cores=2)
    cpu.advance(0.5)
    clock.advance(0.1)
    assert sensor.sample()[0].watts == pytest.approx(2 * 15.0)
    cpu.advance(0.1)  # one busy core
    clock.advance(0.1)
    assert sensor.sample()[0].watts == pytest.approx(15.0)


def test_real_cpu_work_costs_energy():
    sensor = EstimateSensor()
    token = sensor.open_window()
    sum(i * i for i in range(300_000))
    assert sensor.close_window(token).joules > 0


def test_power_figure_must_be_positive():
    with pytest.raises(PimpError, match="watts per core"):
        EstimateSensor(watts_per_core=0)
