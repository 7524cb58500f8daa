"""Fixtures of the workload tests: the fake NVML of the measurement tests, and a store holding
a finished lengths campaign whose energies follow a known analytical model."""

from __future__ import annotations

import json
import random

import pytest

from pimp_tui.store import campaigns as store
from pimp_tui.store.db import open_store
from tests.measure.conftest import fake_nvml

__all__ = ["fake_nvml", "lengths_db", "THETA", "GRID", "energy"]

THETA = {
    "Float32": (2e-6, 4e-5, 1e-3, 2e-5, 0.5),
    "BFloat16": (1e-6, 3e-5, 6e-4, 1.5e-5, 0.3),
}
"""θ1..θ5 of E(n_in, n_out) per request, per precision."""
GRID = (32, 64, 128, 256)
REQUESTS = 4


def energy(precision: str, n_in: float, n_out: float) -> float:
    t1, t2, t3, t4, t5 = THETA[precision]
    return t1 * n_in**2 + t2 * n_in * n_out + t3 * n_in + t4 * n_out**2 + t5


@pytest.fixture
def lengths_db(tmp_path):
    """(path, campaign id): 2 precisions × 4 × 4 grid × 2 repetitions, 1% noise, accuracy
    0.6 for Float32 and 0.4 for BFloat16."""
    path = tmp_path / "pimp.db"
    db = open_store(path)
    db.execute("INSERT INTO feature_models (name, uvl) VALUES ('m', 'features')")
    db.execute("INSERT INTO samples (model_id, name, algorithm) VALUES (1, 's', 'all')")
    configs = [
        {"Precision": p, "batch_size": 1, "input_length": a, "output_length": b}
        for p in THETA
        for a in GRID
        for b in GRID
    ]
    for position, config in enumerate(configs):
        db.execute(
            "INSERT INTO configurations (sample_id, position, config) VALUES (1, ?, ?)",
            [position, json.dumps(config)],
        )
    db.conn.commit()
    campaign = store.create_campaign(
        db, sample_id=1, task="lengths", prompts=REQUESTS, repetitions=2, llm="smollm2"
    )
    rng = random.Random(0)
    for run in store.pending_runs(db, campaign):
        c = run["config"]
        per_request = energy(c["Precision"], c["input_length"], c["output_length"])
        joules = per_request * REQUESTS * (1 + rng.gauss(0, 0.01))
        latency = joules / 50.0
        metrics = {
            "energy_j": joules,
            "energy_per_token_j": joules / (REQUESTS * c["output_length"]),
            "latency_s": latency,
            "requests": REQUESTS,
            "input_tokens": REQUESTS * c["input_length"],
            "output_tokens": REQUESTS * c["output_length"],
            "accuracy": 0.6 if c["Precision"] == "Float32" else 0.4,
            "settings": json.dumps({"batch_size": 1}),
            "prefill_energy_j": joules * 0.2,
            "decode_energy_j": joules * 0.8,
        }
        store.finish_run(db, run["id"], "done", metrics)
    db.conn.close()
    return path, campaign
