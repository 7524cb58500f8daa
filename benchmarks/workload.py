"""How long a 10,000-request trace takes to read, bin and price under every configuration of a
lengths campaign (target: under 5 s), for each source of per-request figures.

The campaign is synthetic (8 configurations x a 6 x 6 grid x 3 repetitions, energies from the
analytical model with 2% noise) so the figure measures pimp, not a model. The measured and
analytical models fit lazily, inside the estimate; the learned one is trained up front ("model
fit"), as `pimp workload` does.

    python3 benchmarks/workload.py [--requests 10000]
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

from pimp_tui.store import campaigns as store
from pimp_tui.store.db import open_store
from pimp_tui.workload.models import AnalyticalModel, LearnedModel
from pimp_tui.workload.pricing import MeasuredModel, estimate_trace
from pimp_tui.workload.runs import campaign_runs
from pimp_tui.workload.trace import read_trace

GRID = (32, 64, 128, 256, 512, 1024)


def build_campaign(path: Path) -> int:
    db = open_store(path)
    db.execute("INSERT INTO feature_models (name, uvl) VALUES ('m', 'features')")
    db.execute("INSERT INTO samples (model_id, name, algorithm) VALUES (1, 's', 'all')")
    configs = [
        {"Precision": p, "batch_size": b, "input_length": a, "output_length": o}
        for p in ("Float32", "BFloat16")
        for b in (1, 2, 4, 8)
        for a in GRID
        for o in GRID
    ]
    db.conn.executemany(
        "INSERT INTO configurations (sample_id, position, config) VALUES (1, ?, ?)",
        [(i, json.dumps(c)) for i, c in enumerate(configs)],
    )
    db.conn.commit()
    campaign = store.create_campaign(
        db, sample_id=1, task="lengths", prompts=8, repetitions=3, llm="smollm2"
    )
    rng = random.Random(0)
    for run in store.pending_runs(db, campaign):
        c = run["config"]
        scale = (1.0 if c["Precision"] == "Float32" else 0.6) / c["batch_size"] ** 0.5
        n_in, n_out = c["input_length"], c["output_length"]
        joules = scale * (2e-6 * n_in**2 + 4e-5 * n_in * n_out + 1e-3 * n_in + 2e-5 * n_out**2
                          + 0.5) * 8 * (1 + rng.gauss(0, 0.02))  # fmt: skip
        store.finish_run(db, run["id"], "done", {
            "energy_j": joules, "latency_s": joules / 40, "requests": 8,
            "input_tokens": 8 * n_in, "output_tokens": 8 * n_out,
            "settings": json.dumps({"batch_size": c["batch_size"]}),
        })  # fmt: skip
    db.conn.close()
    return campaign


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        campaign = build_campaign(Path(tmp) / "pimp.db")
        rng = np.random.default_rng(0)
        trace_path = Path(tmp) / "trace.csv"
        pl.DataFrame({
            "timestamp": np.sort(rng.uniform(0, 86_400, args.requests)),
            "input_tokens": np.clip(rng.lognormal(5.5, 1.0, args.requests), 1, 8000).astype(int),
            "output_tokens": np.clip(rng.lognormal(4.5, 0.9, args.requests), 1, 2000).astype(int),
        }).write_csv(trace_path)  # fmt: skip
        db = open_store(Path(tmp) / "pimp.db")
        try:
            runs, groups = campaign_runs(db, campaign)
        finally:
            db.conn.close()
        print(f"{args.requests} requests, {len(groups)} configurations, "
              f"{len(runs)} runs over a {len(GRID)}x{len(GRID)} grid")  # fmt: skip
        for source in ("measured", "analytical", "learned"):
            start = time.perf_counter()
            trace = read_trace(trace_path)
            read = time.perf_counter()
            if source == "measured":
                model = MeasuredModel(runs)
            elif source == "analytical":
                model = AnalyticalModel(runs)
            else:
                model = LearnedModel(runs, groups, learner="rf", seed=0)
            fitted = time.perf_counter()
            estimates = estimate_trace(trace, model, groups)
            done = time.perf_counter()
            priced = (read - start) + (done - fitted)
            verdict = "under" if priced < 5 else "OVER"
            print(f"{source:>10}: read + bin + estimate {priced:.3f} s ({verdict} 5 s, "
                  f"{len(estimates[0].bins)} bins); model fit {fitted - read:.3f} s")  # fmt: skip


if __name__ == "__main__":
    main()
