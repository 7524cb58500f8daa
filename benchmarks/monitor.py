"""Power monitor benchmark: the sampling rate it sustains, and what it costs generation.

1. Sustained rate: PowerMonitor over the NVML sensor (the fake pynvml from tests/fakes on a
   machine without a GPU, the real library otherwise) at 10, 100 and 200 Hz.
2. Overhead: tokens/s of `generate()` on the tiny test model (sample_models/tiny-llama, or a
   randomly initialised tiny Llama when it is missing) with and without the monitor thread at
   10 Hz, generate() calls alternating between the two; the thread's own CPU use is printed
   too: on a busy machine it is the steadier figure.

    python benchmarks/monitor.py [--seconds 2] [--calls 80] [--max-new-tokens 32] [--gpus 1]

Targets: >= 100 Hz sustained, < 2 % throughput overhead.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # for tests.fakes when run as a script

from pimp_tui.errors import PimpError  # noqa: E402
from pimp_tui.measure.sensors import NvmlSensor, PowerMonitor  # noqa: E402
from pimp_tui.paths import TINY_LLM  # noqa: E402


def nvml_sensor(gpus: int) -> tuple[NvmlSensor, str]:
    """The real NVML sensor where a driver answers, else one over the fake pynvml."""
    try:
        return NvmlSensor(), "real NVML"
    except PimpError as exc:
        from tests.fakes import fake_pynvml

        sys.modules["pynvml"] = fake_pynvml.build([fake_pynvml.FakeGpu() for _ in range(gpus)])
        return NvmlSensor(), f"fake NVML, {gpus} GPU(s) ({exc})"


def sampling_rate(sensor: NvmlSensor, seconds: float) -> None:
    calls = 2000
    start = time.perf_counter()
    for _ in range(calls):
        sensor.sample()
    cost_us = (time.perf_counter() - start) / calls * 1e6
    print(f"  one sample() of {len(sensor.devices)} device(s): {cost_us:.0f} µs")
    for hz in (10.0, 100.0, 200.0):
        monitor = PowerMonitor(sensor, hz=hz)
        cpu0 = time.process_time()
        monitor.start()
        start = time.perf_counter()
        time.sleep(seconds)
        recent = monitor.achieved_hz
        monitor.stop()
        elapsed = time.perf_counter() - start
        cpu_share = (time.process_time() - cpu0) / elapsed * 100
        ticks = monitor.samples_taken / len(sensor.devices) - 1  # intervals, not ticks
        print(
            f"  target {hz:5.0f} Hz: sustained {ticks / elapsed:6.1f} Hz over {elapsed:.1f} s "
            f"(recent {recent:6.1f} Hz), missed ticks {monitor.missed_ticks}, "
            f"errors {monitor.errors}, thread CPU {cpu_share:.2f} % of one core"
        )


def tiny_model():
    """The tiny test model (sample_models/tiny-llama) and a prompt's input ids."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(TINY_LLM)
    tokenizer = AutoTokenizer.from_pretrained(TINY_LLM)
    ids = tokenizer("Question: What is 12 plus 30? Answer:", return_tensors="pt").input_ids
    return model, ids, str(TINY_LLM.relative_to(ROOT))


def generate_seconds(model, ids, new_tokens: int) -> float:
    import torch

    start = time.perf_counter()
    with torch.inference_mode():
        model.generate(
            ids,
            do_sample=False,
            max_new_tokens=new_tokens,
            min_new_tokens=new_tokens,
            pad_token_id=0,
        )
    return time.perf_counter() - start


def overhead(sensor: NvmlSensor, calls: int, new_tokens: int, threads: int) -> None:
    """Alternate generate() calls with and without the monitor; compare the fast quantiles.

    Other processes only ever slow a call down, so the fastest calls (10th percentile) are the
    least disturbed estimate of each condition's true cost; the median is printed beside it.
    """
    import torch

    torch.set_num_threads(threads)
    model, ids, label = tiny_model()
    print(f"  model: {label}, {new_tokens} new tokens per generate(), greedy, {threads} thread(s)")
    for _ in range(3):
        generate_seconds(model, ids, new_tokens)  # warm-up
    times: dict[bool, list[float]] = {False: [], True: []}
    for call in range(calls):
        for monitored in (call % 2 == 0, call % 2 == 1):  # alternate the order: ABBA
            monitor = PowerMonitor(sensor, hz=10.0)
            if monitored:
                monitor.start()
            times[monitored].append(generate_seconds(model, ids, new_tokens))
            monitor.stop()
    rates = {}
    for monitored, label in ((False, "without monitor"), (True, "with 10 Hz monitor")):
        fast = statistics.quantiles(times[monitored], n=10)[0]
        median = statistics.median(times[monitored])
        rates[monitored] = (new_tokens / fast, new_tokens / median)
        print(
            f"  {label:>18}: {rates[monitored][0]:7.1f} tokens/s (fastest 10 %), "
            f"{rates[monitored][1]:7.1f} tokens/s (median) over {calls} calls"
        )
    fast_loss = (1 - rates[True][0] / rates[False][0]) * 100
    median_loss = (1 - rates[True][1] / rates[False][1]) * 100
    print(
        f"  overhead: {fast_loss:+.2f} % on the fastest 10 %, {median_loss:+.2f} % on the median "
        "(target < 2 %)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="per sampling rate")
    parser.add_argument("--calls", type=int, default=80, help="generate() calls per condition")
    parser.add_argument("--max-new-tokens", type=int, default=32)
    parser.add_argument("--gpus", type=int, default=1, help="fake GPUs when there is no NVML")
    parser.add_argument(
        "--threads", type=int, default=1, help="torch CPU threads (1: steadier on a busy box)"
    )
    args = parser.parse_args()
    sensor, label = nvml_sensor(args.gpus)
    print(f"sensor: {label}; power source: {sensor.power_source}")
    print("sustained sampling rate (target >= 100 Hz):")
    sampling_rate(sensor, args.seconds)
    print("generation throughput with and without the sensor thread:")
    overhead(sensor, args.calls, args.max_new_tokens, args.threads)
    sensor.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
