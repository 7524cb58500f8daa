"""Power and energy sensors (NVML, RAPL, a labelled estimate) and the sampling thread.

Nothing here imports pynvml, torch or textual at import time.
"""

from pimp_tui.measure.sensors.base import (
    EnergyReading,
    PowerSample,
    Sensor,
    idle_baseline,
    trapezoid,
)
from pimp_tui.measure.sensors.choose import SENSOR_NAMES, choose_sensor
from pimp_tui.measure.sensors.estimate import DEFAULT_WATTS_PER_CORE, EstimateSensor
from pimp_tui.measure.sensors.monitor import PowerMonitor, decimate
from pimp_tui.measure.sensors.nvml import NvmlSensor
from pimp_tui.measure.sensors.rapl import RaplSensor

__all__ = [
    "DEFAULT_WATTS_PER_CORE",
    "SENSOR_NAMES",
    "EnergyReading",
    "EstimateSensor",
    "NvmlSensor",
    "PowerMonitor",
    "PowerSample",
    "RaplSensor",
    "Sensor",
    "choose_sensor",
    "decimate",
    "idle_baseline",
    "trapezoid",
]
