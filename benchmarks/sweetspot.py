"""A lengths campaign on a real model, then its sweet spots: the analytical fit and a learned
predictor side by side, with their MAPE on held-out grid points.

One configuration of sample_models/hf_generation.uvl on this host's device (greedy search,
dynamic cache, SDPA attention, batch size 1, unquantized, in the given precision), completed to
a valid configuration by the reasoner, is measured over the grid with the `lengths` task
(prefill and decode split), like any campaign; `pimp sweetspot ID` then shows the same figures
this script prints.

    python3 benchmarks/sweetspot.py --db lengths.db [--grid lengths:in=32..256:out=8..64]
        [--llm smollm2] [--repetitions 2] [--sensor estimate] [--learner auto]
"""

from __future__ import annotations

import argparse
import sys
import time

from pimp_tui import paths
from pimp_tui.measure.campaign import create_campaign, run_campaign
from pimp_tui.measure.campaign_events import CampaignProgress
from pimp_tui.measure.host import detect_host, fix_to_host
from pimp_tui.store import samples
from pimp_tui.store.db import open_store
from pimp_tui.variability.io import load_model
from pimp_tui.variability.reasoning import Reasoner
from pimp_tui.workload.runs import campaign_runs
from pimp_tui.workload.sweetspot import sweetspots


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--grid", default="lengths:in=32..256:out=8..64")
    parser.add_argument("--llm", default="smollm2")
    parser.add_argument("--precision", default="Float32", choices=("Float32", "BFloat16"))
    parser.add_argument("--repetitions", type=int, default=2)
    parser.add_argument("--sensor", default=None, help="nvml, rapl or estimate (default: best)")
    parser.add_argument("--learner", default="auto")
    args = parser.parse_args()

    model, _ = fix_to_host(load_model(paths.HF_GENERATION_MODEL), detect_host())
    chosen = {"GreedySearch": True, "DynamicCache": True, "SdpaAttention": True,
              "NoQuantization": True, args.precision: True, "batch_size": 1}  # fmt: skip
    config = Reasoner(model).complete(chosen)
    if config is None:
        sys.exit(f"no valid configuration with {chosen}")
    db = open_store(args.db)
    try:
        model_id = samples.save_model(db, model)
        sample_id = samples.save_sample(
            db, model_id, f"greedy-{args.precision}-{time.time():.0f}", "manual", chosen,
            [config], None,
        )  # fmt: skip
    finally:
        db.conn.close()
    campaign = create_campaign(
        args.db, sample_id=sample_id, task=args.grid, prompts=1, repetitions=args.repetitions,
        llm=args.llm, sensor=args.sensor, cooldown_s=0.2,
    )  # fmt: skip
    print(f"campaign {campaign}: {args.grid}, {args.repetitions} repetitions", flush=True)
    start = time.monotonic()

    def progress(event: object) -> None:
        if isinstance(event, CampaignProgress):
            print(f"  {event.done + event.failed}/{event.total} runs ({event.failed} failed)",
                  file=sys.stderr, flush=True)  # fmt: skip

    status = run_campaign(args.db, campaign, on_event=progress)
    print(f"campaign {campaign}: {status} in {time.monotonic() - start:.0f} s")
    db = open_store(args.db)
    try:
        runs, groups = campaign_runs(db, campaign)
    finally:
        db.conn.close()
    for spot in sweetspots(runs, groups, learner=args.learner):
        best = ", ".join(
            f"{n_in}: {'-' if v is None else round(v)}" for n_in, v in spot.best_output.items()
        )
        print(f"n_out* per input length: {best}")
        print(f"held-out MAPE on energy per request ({spot.held_out} grid points): "
              f"analytical {spot.mape_analytical:.2f}%, learned ({args.learner}) "
              f"{spot.mape_learned:.2f}%")  # fmt: skip
    print(f"full report: pimp --db {args.db} sweetspot {campaign} --svg sweetspot.svg")


if __name__ == "__main__":
    main()
