"""choose_sensor: nvml > rapl > estimate automatically; explicit choices fail loudly."""

from __future__ import annotations

import subprocess
import sys

import pynvml as real_pynvml
import pytest

from pimp_tui.errors import PimpError
from pimp_tui.measure.sensors import choose_sensor, rapl
from tests.fakes.fake_pynvml import FakeGpu

NO_DRIVER = real_pynvml.NVML_ERROR_DRIVER_NOT_LOADED


@pytest.fixture
def rapl_root(tmp_path, monkeypatch):
    """Point RAPL at an empty powercap tree; tests add a package domain when they need one."""
    monkeypatch.setattr(rapl, "DEFAULT_ROOT", tmp_path)
    return tmp_path


def add_package(root):
    pkg = root / "intel-rapl:0"
    pkg.mkdir()
    (pkg / "name").write_text("package-0\n")
    (pkg / "energy_uj").write_text("100\n")
    (pkg / "max_energy_range_uj").write_text("1000000\n")


def test_nvml_first(fake_nvml, rapl_root):
    fake_nvml([FakeGpu(), FakeGpu()])
    add_package(rapl_root)
    sensor = choose_sensor()
    assert sensor.name == "nvml"
    assert sensor.devices == (0, 1)
    assert sensor.notes == ()


def test_rapl_when_no_gpu_driver(fake_nvml, rapl_root):
    fake_nvml(init_error=NO_DRIVER)
    add_package(rapl_root)
    sensor = choose_sensor()
    assert sensor.name == "rapl"
    assert sensor.notes == ("NVML unavailable: the NVIDIA driver is not loaded",)


def test_estimate_last_with_the_reasons(fake_nvml, rapl_root):
    fake_nvml(init_error=NO_DRIVER)
    sensor = choose_sensor()
    assert sensor.name == "estimate"
    assert [note.split(":")[0] for note in sensor.notes] == [
        "NVML unavailable",
        "RAPL unavailable",
    ]


def test_explicit_choice_overrides_the_order(fake_nvml, rapl_root):
    fake_nvml()
    assert choose_sensor("estimate").name == "estimate"


@pytest.mark.parametrize(
    ("name", "reason"),
    [("nvml", "NVIDIA driver is not loaded"), ("rapl", "no CPU package domain")],
)
def test_unavailable_explicit_choice_says_why(fake_nvml, rapl_root, name, reason):
    fake_nvml(init_error=NO_DRIVER)
    with pytest.raises(PimpError, match=reason):
        choose_sensor(name)


def test_asking_for_gpus_does_not_fall_back(fake_nvml, rapl_root):
    fake_nvml(init_error=NO_DRIVER)
    with pytest.raises(PimpError, match="NVML unavailable"):
        choose_sensor(devices=[0])


def test_chosen_gpus_and_synchronise_hook_are_passed_on(fake_nvml, rapl_root):
    fake_nvml([FakeGpu(), FakeGpu()])
    calls = []
    sensor = choose_sensor("nvml", devices=[1], synchronize=lambda: calls.append(1))
    assert sensor.devices == (1,)
    sensor.close_window(sensor.open_window())
    assert calls == [1, 1]


def test_unknown_sensor_name(rapl_root):
    with pytest.raises(PimpError, match="unknown sensor 'joulemeter'"):
        choose_sensor("joulemeter")


def test_gpu_choice_with_a_cpu_sensor_is_refused(rapl_root):
    with pytest.raises(PimpError, match="nvml sensor only"):
        choose_sensor("estimate", devices=[0])


def test_importing_the_sensors_loads_no_hardware_library():
    code = (
        "import sys, pimp_tui.measure.sensors\n"
        "print(sorted(m for m in ('pynvml', 'torch', 'textual') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
