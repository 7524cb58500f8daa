"""Ray executor benchmark: campaign wall time on 1 slot and on 2 slots, and the driver's cost
per run.

A local Ray cluster of this machine (`--cpus` CPUs, 2 by default) runs the same campaign twice
on the tiny test model with the estimate sensor: a uniform sample of `--configs`
configurations × `--repetitions`, first with `--slots 1`, then with `--slots 2`. Printed: each
wall time (slot start-up included, then without it: from the first run handed to the last
recorded), the throughput ratio, and the driver's own time per run (handing a run to a slot and
recording its result in the store, measured around those two steps).

    python benchmarks/ray_campaign.py [--configs 8] [--repetitions 2] [--prompts 1] [--cpus 2]

On a machine with fewer free cores than slots the ratio measures contention, not the executor.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pimp_tui import paths  # noqa: E402
from pimp_tui.measure.campaign import create_campaign, run_campaign  # noqa: E402
from pimp_tui.measure.executors import ExecutorSpec  # noqa: E402
from pimp_tui.measure.executors import ray as ray_executor  # noqa: E402


class Timer:
    """Wraps the driver's per-run steps and adds up their time."""

    def __init__(self) -> None:
        self.seconds, self.runs, self.first, self.last = 0.0, 0, None, None
        driver = ray_executor._Driver
        self.hand, self.record = driver._hand, driver._record
        timer = self

        def hand(self, slot, run):  # noqa: ANN001, ANN202
            t0 = time.perf_counter()
            timer.first = timer.first or t0
            timer.hand(self, slot, run)
            timer.seconds += time.perf_counter() - t0

        def record(self, slot, run, result):  # noqa: ANN001, ANN202
            t0 = time.perf_counter()
            timer.record(self, slot, run, result)
            timer.last = time.perf_counter()
            timer.seconds += timer.last - t0
            timer.runs += 1

        driver._hand, driver._record = hand, record


def campaign(db: Path, sample_id: int, args: argparse.Namespace, slots: int) -> tuple:
    campaign_id = create_campaign(
        db, sample_id=sample_id, task="arith", prompts=args.prompts,
        repetitions=args.repetitions, llm=str(paths.TINY_LLM), sensor="estimate",
        max_new_tokens=args.max_new_tokens, cooldown_s=0.0, idle_s=0.1,
    )  # fmt: skip
    timer = Timer()
    t0 = time.perf_counter()
    status = run_campaign(db, campaign_id, executor=ExecutorSpec("ray", slots=slots))
    wall = time.perf_counter() - t0
    assert status == "done", status
    return wall, timer.last - timer.first, timer.seconds / timer.runs, timer.runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", type=int, default=8)
    parser.add_argument("--repetitions", type=int, default=2)
    parser.add_argument("--prompts", type=int, default=1)
    parser.add_argument("--max-new-tokens", type=int, default=4)
    parser.add_argument("--cpus", type=int, default=2)
    args = parser.parse_args()

    import ray

    from pimp_tui.sampling import draw
    from pimp_tui.services.sampling import fix_to_host
    from pimp_tui.store import samples
    from pimp_tui.store.db import open_store
    from pimp_tui.variability.io import load_model

    with tempfile.TemporaryDirectory(prefix="pimp-ray-") as tmp:
        db = Path(tmp) / "bench.db"
        base = load_model(paths.HF_GENERATION_MODEL)
        model, _ = fix_to_host(base, "cpu")
        drawn = draw(model, "uniform", size=args.configs, seed=0)
        store = open_store(db)
        model_id = samples.save_model(store, base)
        sample_id = samples.save_sample(store, model_id, "bench", "uniform", {},
                                        drawn.configs, None, None)  # fmt: skip
        store.conn.close()
        ray.init(num_cpus=args.cpus, include_dashboard=False, _temp_dir=tmp,
                 logging_level="WARNING", log_to_driver=False)  # fmt: skip
        try:
            one = campaign(db, sample_id, args, 1)
            two = campaign(db, sample_id, args, 2)
        finally:
            ray.shutdown()
    runs = one[3]
    print(f"campaign: {args.configs} configurations x {args.repetitions} repetitions = {runs} "
          f"runs, tiny model, {args.prompts} prompt(s), {args.cpus} CPUs in the "
          "cluster")  # fmt: skip
    for slots, (wall, runs_span, _, _) in ((1, one), (2, two)):
        print(f"{slots} slot(s): wall {wall:.1f} s (start-up included), {runs_span:.1f} s from "
              f"the first run handed to the last recorded")  # fmt: skip
    print(f"throughput ratio 2 slots / 1 slot: {one[0] / two[0]:.2f} (wall), "
          f"{one[1] / two[1]:.2f} (runs only)")  # fmt: skip
    print(f"driver per run (hand + record): {1000 * one[2]:.1f} ms on 1 slot, "
          f"{1000 * two[2]:.1f} ms on 2 slots")  # fmt: skip


if __name__ == "__main__":
    main()
