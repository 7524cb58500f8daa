"""The RAPL sensor over a fake /sys/class/powercap tree."""

from __future__ import annotations

from pathlib import Path

import pytest

from pimp_tui.errors import PimpError
from pimp_tui.measure.sensors import RaplSensor
from tests.fakes.fake_pynvml import ManualClock

MAX_RANGE = 262_143_328_850


def domain(root: Path, name: str, label: str, energy_uj: int, max_uj: int = MAX_RANGE) -> Path:
    path = root / name
    path.mkdir(parents=True)
    (path / "name").write_text(label + "\n")
    (path / "energy_uj").write_text(f"{energy_uj}\n")
    (path / "max_energy_range_uj").write_text(f"{max_uj}\n")
    return path


def set_energy(path: Path, energy_uj: int) -> None:
    (path / "energy_uj").write_text(f"{energy_uj}\n")


@pytest.fixture
def machine(tmp_path: Path) -> dict[str, Path]:
    """Two packages, a core sub-domain and a platform (psys) domain."""
    return {
        "pkg0": domain(tmp_path, "intel-rapl:0", "package-0", 1_000_000),
        "core0": domain(tmp_path, "intel-rapl:0:0", "core", 500_000),
        "pkg1": domain(tmp_path, "intel-rapl:1", "package-1", 2_000_000),
        "psys": domain(tmp_path, "intel-rapl:2", "psys", 9_000_000),
    }


def test_only_package_domains_are_counted(tmp_path, machine):
    clock = ManualClock()
    sensor = RaplSensor(tmp_path, clock=clock)
    assert sensor.devices == (0, 1)
    token = sensor.open_window()
    for path in machine.values():
        set_energy(path, int((path / "energy_uj").read_text()) + 30_000_000)
    clock.advance(2.0)
    reading = sensor.close_window(token)
    assert reading.per_device == (30.0, 30.0)
    assert reading.joules == 60.0
    assert reading.method == "rapl"
    assert reading.watts == 30.0
    assert not reading.short_window


def test_counter_wrap_around_is_folded_in(tmp_path):
    pkg = domain(tmp_path, "intel-rapl:0", "package-0", 990_000, max_uj=1_000_000)
    sensor = RaplSensor(tmp_path, clock=ManualClock())
    token = sensor.open_window()
    set_energy(pkg, 20_000)  # wrapped: 10 000 µJ up to the top, then 20 000 µJ
    assert sensor.close_window(token).joules == pytest.approx(0.03)


def test_repeated_wraps_within_a_window_are_counted_when_sampled(tmp_path):
    pkg = domain(tmp_path, "intel-rapl:0", "package-0", 0, max_uj=1_000_000)
    sensor = RaplSensor(tmp_path, clock=ManualClock())
    token = sensor.open_window()
    for value in (600_000, 100_000, 700_000, 200_000):  # two wraps, seen by samples
        set_energy(pkg, value)
        sensor.sample()
    assert sensor.close_window(token).joules == pytest.approx(2.2)


def test_sample_reports_power_since_previous_sample(tmp_path):
    pkg = domain(tmp_path, "intel-rapl:0", "package-0", 0)
    clock = ManualClock()
    sensor = RaplSensor(tmp_path, clock=clock)
    clock.advance(0.5)
    set_energy(pkg, 10_000_000)
    (sample,) = sensor.sample()
    assert (sample.device, sample.watts) == (0, pytest.approx(20.0))
    assert sample.temperature_c is None


def test_a_window_where_nothing_moved_is_flagged(tmp_path):
    domain(tmp_path, "intel-rapl:0", "package-0", 5)
    clock = ManualClock()
    sensor = RaplSensor(tmp_path, clock=clock)
    token = sensor.open_window()
    clock.advance(0.5)
    assert sensor.close_window(token).short_window


def test_missing_powercap_is_not_available(tmp_path):
    with pytest.raises(PimpError, match="RAPL unavailable: no CPU package domain"):
        RaplSensor(tmp_path / "nowhere")


def test_unreadable_counter_is_not_available(tmp_path):
    pkg = tmp_path / "intel-rapl:0"
    pkg.mkdir()
    (pkg / "name").write_text("package-0\n")
    (pkg / "energy_uj").mkdir()  # reading it fails like a root-only file does
    with pytest.raises(PimpError, match="RAPL unavailable: .*energy_uj is not readable"):
        RaplSensor(tmp_path)
