"""GPU slots on a cluster that declares two GPUs (on a CPU machine, with a fake NVML in every
worker): each slot gets its own CUDA_VISIBLE_DEVICES from Ray, and its sensor measures that GPU
only."""

from __future__ import annotations

import pytest

from pimp_tui import paths
from tests.fakes.ray_nvml import GPU_NAMES
from tests.ray.conftest import start_cluster


@pytest.fixture(scope="module")
def gpu_cluster():
    hook = {"worker_process_setup_hook": "tests.fakes.ray_nvml.install"}
    yield from start_cluster(num_cpus=2, num_gpus=2, runtime_env=hook)


def test_two_gpu_slots_each_bind_their_own_device_and_sensor(gpu_cluster):
    import ray

    from pimp_tui.measure.executors import ExecutorSpec
    from pimp_tui.measure.executors.ray import slot_actor, slot_shape

    gpus, cpus, count = slot_shape(ray, ExecutorSpec("ray"))
    assert (gpus, cpus, count) == (1, 1, 2)  # one GPU per slot by default on a GPU cluster
    spec = {"llm": str(paths.TINY_LLM), "task": "arith", "prompts": 1, "seed": 0,
            "params": {"idle_s": 0.2, "hz": 20.0}, "sensor": "nvml", "cpus": 1}  # fmt: skip
    remote = slot_actor(ray, gpus, cpus)
    slots = [remote.remote(spec, index) for index in range(count)]
    try:
        infos = ray.get([slot.prepare.remote() for slot in slots], timeout=300)
        assert [info["error"] for info in infos] == [None, None]
        assert sorted(info["devices"] for info in infos) == ["0", "1"]
        for slot, info in zip(slots, infos, strict=True):
            device = int(info["devices"])
            assert info["slot"].endswith(f"/gpu{device}")
            assert info["sensor"] == "nvml" and info["sensor_devices"] == [device]
            assert info["gpu_model"] == GPU_NAMES[device] and info["gpu_driver"] == "570.86.15"
            # The fake GPUs idle at 60 W and 70 W: each slot's baseline is its own GPU's.
            assert info["idle_watts"] == pytest.approx(60.0 + 10 * device, abs=0.5)
            samples = ray.get(slot.telemetry.remote(), timeout=60)
            assert samples and {d for _, d, _ in samples} == {device}
    finally:
        for slot in slots:
            ray.kill(slot)
