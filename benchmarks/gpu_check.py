"""Check the NVML measurement on a real GPU, then what the costliest settings cost there.

1. Counter energy versus integrated instant power: for matmul windows of 0.5, 2 and 10 s (and a
   bursty and an idle one), the energy from the total-energy counter is compared with the
   trapezoid integral of the power samples the monitor took over the same window (instant field
   where supported, else the 1 s average). Also printed: how often the counter and the instant
   field update, the monitor's achieved sampling rate, and the idle power.
2. Settings of sample_models/hf_generation.uvl on a random-weight Llama of TinyLlama-1.1B's
   shape (built here: no download), greedy, batch 8, 128 tokens in and out: the same
   configuration at fp32, bf16, int8 (torchao weight-only; bitsandbytes LLM.int8()) and nf4
   (bitsandbytes), with the offloaded instead of the dynamic cache, and on two GPUs (balanced
   device_map) where there are two. Each configuration is completed by the reasoner on the model
   fixed to this host and mapped by generation_settings(), as in a campaign; one the host cannot
   run, or whose package is missing, is skipped with the reason.

    python benchmarks/gpu_check.py [--gpu 0] [--hz 100] [--repeats 2] [--no-settings]
    python benchmarks/gpu_check.py --fake  # without a GPU: fake NVML, the tiny model on CPU

Target: counter and integrated power agree within 5 % on windows of >= 2 s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # for tests.fakes with --fake

from pimp_tui.errors import PimpError  # noqa: E402
from pimp_tui.measure.sensors import NvmlSensor, PowerMonitor, trapezoid  # noqa: E402
from pimp_tui.measure.sensors.nvml import load_pynvml  # noqa: E402


def update_interval(read: Callable[[], float], seconds: float, load: Callable[[], None]) -> str:
    """Median time between changes of `read()` while `load` keeps the GPU busy."""
    changes, last, end = [], read(), time.monotonic() + seconds
    while time.monotonic() < end:
        load()
        value = read()
        if value != last:
            changes.append(time.monotonic())
            last = value
    if len(changes) < 3:
        return f"fewer than 3 changes in {seconds:.0f} s"
    gaps = [b - a for a, b in zip(changes, changes[1:], strict=False)]
    return (
        f"median {statistics.median(gaps) * 1000:.1f} ms "
        f"(min {min(gaps) * 1000:.1f}, max {max(gaps) * 1000:.1f}, {len(gaps)} updates)"
    )


# (label, seconds, share of the time under load)
WINDOWS = (
    ("matmul", 0.5, 1.0),
    ("matmul", 2.0, 1.0),
    ("matmul", 10.0, 1.0),
    ("bursty 50%", 2.0, 0.5),
    ("idle", 2.0, 0.0),
)


class Load:
    """Square matmuls on the chosen device; `duty` < 1 alternates 200 ms busy / idle phases."""

    def __init__(self, torch, device: str, size: int) -> None:
        dtype = torch.bfloat16 if device.startswith("cuda") else torch.float32
        self.torch, self.device = torch, device
        self.a = torch.randn(size, size, device=device, dtype=dtype)
        self.b = torch.randn(size, size, device=device, dtype=dtype)

    def sync(self) -> None:
        if self.device.startswith("cuda"):
            self.torch.cuda.synchronize()

    def step(self) -> None:
        """A few matmuls, then wait for them: keeps the queue short so timing stays honest."""
        for _ in range(4):
            self.a @ self.b  # noqa: B018 - the work is the point
        self.sync()

    def run(self, seconds: float, duty: float = 1.0) -> None:
        end = time.monotonic() + seconds
        while (now := time.monotonic()) < end:
            if duty >= 1.0 or (now % 0.4) < 0.4 * duty:
                self.step()
            else:
                time.sleep(0.005)


def compare_windows(
    sensor: NvmlSensor, load: Load, hz: float, repeats: int, gpu: int
) -> list[tuple[float, float]]:
    """Counter vs integrated power per window; returns (window length, relative difference %)."""
    diffs = []
    monitor = PowerMonitor(sensor, hz=hz)
    monitor.start()
    try:
        print(f"{'load':>12} {'window s':>9} {'counter J':>10} {'integr. J':>10} {'diff %':>7}")
        for label, seconds, duty in WINDOWS:
            for _ in range(repeats):
                monitor.drain()
                token = sensor.open_window()
                t0 = time.monotonic()
                load.run(seconds, duty)
                t1 = time.monotonic()
                reading = sensor.close_window(token)
                points = [(s.t, s.watts) for s in monitor.drain() if s.device == gpu]
                integrated = trapezoid(points, t0, t1)
                diff = (integrated - reading.joules) / reading.joules * 100
                diffs.append((seconds, diff))
                print(
                    f"{label:>12} {reading.seconds:9.2f} {reading.joules:10.1f} "
                    f"{integrated:10.1f} {diff:+7.2f}  [{reading.method}"
                    f"{', short' if reading.short_window else ''}]"
                )
        print(
            f"monitor at {hz:.0f} Hz under load: achieved {monitor.achieved_hz:.1f} Hz, "
            f"missed ticks {monitor.missed_ticks}, errors {monitor.errors}"
        )
    finally:
        monitor.stop()
    return diffs


def setup(args: argparse.Namespace):
    """torch, the device string and the NVML sensor; exits with a message when there is no GPU."""
    if args.fake:
        import torch

        from tests.fakes import fake_pynvml

        profile = lambda t: 300.0 if (t % 0.4) < 0.2 else 120.0  # noqa: E731
        sys.modules["pynvml"] = fake_pynvml.build([fake_pynvml.FakeGpu(power=profile)])
        return torch, "cpu", NvmlSensor()
    try:
        import torch
    except ImportError:
        sys.exit("gpu_check: torch is not installed")
    if not torch.cuda.is_available():
        sys.exit("gpu_check: no CUDA GPU visible to torch; run this on a GPU machine (or --fake)")
    try:
        sensor = NvmlSensor(devices=[args.gpu], synchronize=torch.cuda.synchronize)
    except PimpError as exc:
        sys.exit(f"gpu_check: {exc}")
    return torch, f"cuda:{args.gpu}", sensor


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gpu", type=int, default=0, help="NVML / CUDA index of the GPU")
    parser.add_argument("--hz", type=float, default=100.0, help="monitor sampling rate")
    parser.add_argument("--repeats", type=int, default=2, help="windows per load kind")
    parser.add_argument("--no-settings", action="store_true", help="only the power check")
    parser.add_argument("--size", type=int, default=8192, help="matmul size (GPU)")
    parser.add_argument("--fake", action="store_true", help="fake NVML and CPU matmuls")
    args = parser.parse_args()
    torch, device, sensor = setup(args)
    gpu = sensor.devices[0]
    if args.fake:
        args.size = 256
    load = Load(torch, device, args.size)
    nvml = load_pynvml()
    nvml.nvmlInit()
    handle = nvml.nvmlDeviceGetHandleByIndex(gpu)
    print(
        f"GPU {gpu}: {sensor.device_names[gpu]}; live power: {sensor.power_source}; "
        f"window energy: {sensor.energy_method}"
    )
    if sensor.energy_method != "counter":
        print("the energy counter is not supported here: nothing to compare it with")
        return 1
    load.run(1.0)  # warm-up: clocks up, kernels loaded
    print(
        "energy counter update interval:",
        update_interval(lambda: nvml.nvmlDeviceGetTotalEnergyConsumption(handle), 3.0, load.step),
    )
    if sensor.power_source == "instant field":
        print(
            "instant power field update interval:",
            update_interval(lambda: sensor.sample()[0].watts, 3.0, load.step),
        )
    print(f"idle power: {sensor.idle_baseline(3.0):.1f} W")
    diffs = compare_windows(sensor, load, args.hz, args.repeats, gpu)
    for seconds in sorted({w[1] for w in WINDOWS}):
        found = [abs(d) for w, d in diffs if w == seconds]
        print(
            f"windows of {seconds:g} s: median |diff| {statistics.median(found):.2f} %, "
            f"worst {max(found):.2f} %" + ("  (under the counter's ~1 s resolution)"
                                           if seconds < 1 else "")
        )  # fmt: skip
    print("target: within 5 % on windows of >= 2 s")
    sensor.close()
    nvml.nvmlShutdown()
    if not args.no_settings:
        from benchmarks.gpu_settings import compare_settings

        compare_settings(torch, device, fake=args.fake)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
