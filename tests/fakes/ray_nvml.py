"""A Ray worker-process setup hook that puts a fake `pynvml` with two GPUs in the worker
(`runtime_env={"worker_process_setup_hook": "tests.fakes.ray_nvml.install"}`)."""

from __future__ import annotations

import sys

GPU_NAMES = ("NVIDIA A100-SXM4-80GB", "NVIDIA A100-SXM4-80GB")


def install() -> None:
    from tests.fakes import fake_pynvml

    gpus = [fake_pynvml.FakeGpu(name=name, power=60.0 + 10 * i) for i, name in
            enumerate(GPU_NAMES)]  # fmt: skip
    sys.modules["pynvml"] = fake_pynvml.build(gpus)
