"""What every run records about how and where it ran, finished or failed: the sensor, the exact
arguments passed to the model, the library versions, the device and its hardware."""

from __future__ import annotations

import json
import platform

from pimp_tui.measure.llm import LLM
from pimp_tui.measure.sensors.base import Sensor
from pimp_tui.measure.settings import GenerationSettings


def run_provenance(llm: LLM, sensor: Sensor, settings: GenerationSettings | None) -> dict:
    """What every run records, finished or failed: sensor, the exact arguments (None when the
    configuration could not be mapped), versions."""
    used = None
    if settings is not None:
        used = {
            "load": settings.load_kwargs,
            "generate": settings.generate_kwargs,
            "batch_size": settings.batch_size,
            "device": settings.device or llm.device,
            "gpus": settings.gpus,
        }
    return {
        "sensor": sensor.name,
        "power_source": sensor.power_source,
        "settings": None if used is None else json.dumps(used, sort_keys=True, default=str),
        "versions": json.dumps(library_versions(llm.device), sort_keys=True),
    }


def run_context(llm: LLM) -> dict[str, str | None]:
    """Where a run happens, recorded with it: the device and the hardware behind it."""
    versions = library_versions(llm.device)
    return {"device": llm.device, "hardware": versions.get("gpu") or versions.get("cpu")}


_VERSIONS: dict[str, dict] = {}


def library_versions(device: str) -> dict:
    """Versions and device behind every figure (computed once per device)."""
    if device not in _VERSIONS:
        import torch
        import transformers

        import pimp_tui

        found = {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "transformers": transformers.__version__,
            "pimp": getattr(pimp_tui, "__version__", None),
            "device": device,
            "machine": platform.machine(),
        }
        if device.startswith("cuda"):
            found["gpu"] = torch.cuda.get_device_name()
            found["cuda"] = torch.version.cuda
        else:
            found["cpu"] = platform.processor() or platform.machine()
        _VERSIONS[device] = found
    return _VERSIONS[device]
