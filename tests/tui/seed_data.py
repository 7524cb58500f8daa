"""A store with measured runs, written the way the measurement layer writes them, for the
predictor explorer's tests (no model is run: the metrics follow a known formula)."""

from __future__ import annotations

import json
import random
from pathlib import Path

from pimp_tui.store import campaigns
from pimp_tui.store.db import open_store
from pimp_tui.variability.io import load_model, write_uvl
from pimp_tui.variability.reasoning import Reasoner

CONTEXT = {"llm": "smollm2", "task": "arith", "device": "cpu", "hardware": "test cpu"}
"""Where the seeded runs ran."""


def energy_of(config: dict) -> float:
    """Sampling costs more, the cache saves, top_k adds a little: a formula to learn."""
    energy = 10.0 + (6.0 if config.get("Sampling") else 0.0) - (3.0 if config.get("Cache") else 0)
    return energy + 0.02 * (config.get("top_k") or 0)


def accuracy_of(config: dict) -> float:
    return 0.9 if config.get("Greedy") else 0.6 + 0.2 * bool(config.get("Cache"))


def measured_store(db_path: Path, model_path: Path, configurations: int = 14) -> int:
    """Store the model, a sample of its distinct valid configurations and one finished
    campaign over them (two repetitions each); returns the campaign id."""
    model = load_model(model_path)
    reasoner = Reasoner(model)
    configs, seen = [], set()
    for seed in range(400):
        config = reasoner.complete({}, seed=seed)
        key = json.dumps(config, sort_keys=True)
        if key not in seen:
            seen.add(key)
            configs.append(config)
        if len(configs) == configurations:
            break
    db = open_store(db_path)
    try:
        model_id = db["feature_models"].insert({"name": "small", "uvl": write_uvl(model)}).last_pk
        sample_id = (
            db["samples"].insert({"model_id": model_id, "name": "all", "algorithm": "all"}).last_pk
        )
        db["configurations"].insert_all(
            {"sample_id": sample_id, "position": i, "config": json.dumps(c)}
            for i, c in enumerate(configs)
        )
        campaign_id = campaigns.create_campaign(
            db, sample_id=sample_id, task="arith", prompts=2, repetitions=2, llm="smollm2",
            sensor="estimate",
        )  # fmt: skip
        # Sorted so that each run's noise depends on its configuration and repetition, not on
        # the campaign's (shuffled) plan order.
        runs = campaigns.pending_runs(db, campaign_id)
        noise = random.Random(0)
        for run in sorted(runs, key=lambda r: (r["configuration_id"], r["repetition"])):
            config = run["config"]
            metrics = {
                "energy_j": energy_of(config) * (1 + 0.01 * noise.uniform(-1, 1)),
                "latency_s": 0.1 * energy_of(config),
                "accuracy": accuracy_of(config),
                "sensor": "estimate",
            }
            campaigns.start_run(db, campaign_id, run["id"], effective=config, context=CONTEXT)
            campaigns.finish_run(db, run["id"], "done", metrics)
        campaigns.set_status(db, campaign_id, "done")
        return campaign_id
    finally:
        db.close()
