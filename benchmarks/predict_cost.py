"""What learning costs: fit CPU seconds of every learner on synthetic tables (500 x 60 and
3,000 x 100 options, the sizes the fit budgets are set for), and the wall time of training `auto`
in the workbench on a campaign of 40 measured configurations of the generation model (the
service call the Predict pane makes, progress lines included), before and after the worker
processes that fit side by side have started.

    python3 benchmarks/predict_cost.py [--learners auto,rf] [--skip-tables] [--skip-workbench]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from pimp_tui.predict.evaluation import scores
from pimp_tui.predict.learners import LEARNERS, make_learner

ROOT = Path(__file__).resolve().parents[1]
TABLES = ((500, 60), (3000, 100))


def synthetic_table(rows: int, options: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Binary options (a few numeric ones), a multiplicative target: a handful of main effects,
    a few pairwise interactions and 3% noise, as configurable systems measure."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 2, size=(rows, options)).astype(float)
    x[:, : options // 10] = rng.choice([1, 2, 4, 8], size=(rows, options // 10))
    main = np.zeros(options)
    main[rng.choice(options, 8, replace=False)] = rng.uniform(0.1, 0.6, 8)
    pairs = rng.choice(options, (4, 2), replace=False)
    log_y = np.log(x + 1) @ main + sum(0.3 * x[:, a] * x[:, b] for a, b in pairs)
    return x, 10.0 * np.exp(log_y + rng.normal(0, 0.03, rows))


def fit_cost(
    name: str, x: np.ndarray, y: np.ndarray, rows: int, seed: int = 0
) -> tuple[float, float]:
    """(fit CPU seconds on the first `rows` rows, MAPE % on the others)."""
    cut = rows
    # Imports and first-use set-up are not the fit's cost: the same fit once, untimed.
    make_learner(name, seed).fit(x[:cut], y[:cut])
    model = make_learner(name, seed)
    start = time.process_time()
    model.fit(x[:cut], y[:cut])
    cpu = time.process_time() - start
    return cpu, scores(y[cut:], model.predict(x[cut:])).mape


def workbench_store(db_path: Path, configurations: int = 40, seed: int = 0) -> None:
    """A store holding the generation model, `configurations` distinct valid configurations
    and one finished campaign over them (three repetitions each, 5% noise)."""
    from pimp_tui.store import campaigns
    from pimp_tui.store.db import open_store
    from pimp_tui.variability.io import load_model, write_uvl
    from pimp_tui.variability.reasoning import Reasoner

    model = load_model(ROOT / "sample_models" / "hf_generation.uvl")
    reasoner = Reasoner(model)
    configs, seen = [], set()
    for s in range(20 * configurations):
        config = reasoner.complete({}, seed=seed * 100_003 + s)
        key = json.dumps(config, sort_keys=True)
        if config is not None and key not in seen:
            seen.add(key)
            configs.append(config)
        if len(configs) == configurations:
            break
    db = open_store(db_path)
    try:
        model_id = db["feature_models"].insert({"name": "gen", "uvl": write_uvl(model)}).last_pk
        sample_id = (
            db["samples"]
            .insert({"model_id": model_id, "name": "random", "algorithm": "uniform"})
            .last_pk
        )
        db["configurations"].insert_all(
            {"sample_id": sample_id, "position": i, "config": json.dumps(c)}
            for i, c in enumerate(configs)
        )
        campaign_id = campaigns.create_campaign(
            db, sample_id=sample_id, task="arith", prompts=4, repetitions=3, llm="smollm2",
            sensor="estimate",
        )  # fmt: skip
        noise = random.Random(seed)
        for run in campaigns.pending_runs(db, campaign_id):
            energy, accuracy = _metrics(run["config"])
            campaigns.start_run(db, campaign_id, run["id"])
            campaigns.finish_run(db, run["id"], "done", {
                "energy_j": energy * (1 + 0.05 * noise.uniform(-1, 1)),
                "latency_s": 0.02 * energy * (1 + 0.05 * noise.uniform(-1, 1)),
                "accuracy": noise.choice([accuracy, 0.0, accuracy]),
                "sensor": "estimate",
            })  # fmt: skip
        campaigns.set_status(db, campaign_id, "done")
    finally:
        db.close()


def _metrics(config: dict) -> tuple[float, float]:
    """Energy grows with output length, beams and precision; accuracy falls with sampling."""
    energy = 2.0 * (config.get("max_new_tokens") or 128) / (config.get("batch_size") or 1) ** 0.5
    energy *= (config.get("num_beams") or 1) ** 0.7 * (2.0 if config.get("Float32") else 1.0)
    energy *= 1.5 if config.get("NoCache") else 1.0
    accuracy = (
        0.5 - 0.2 * bool(config.get("MultinomialSampling")) + 0.1 * bool(config.get("BeamSearch"))
    )
    return energy, accuracy


def time_workbench(targets: tuple[str, ...] = ("energy_j", "accuracy")) -> None:
    """The first training starts the worker processes (as `pimp predict train` does in a fresh
    process); then each target as in the Predict pane, which has started them when shown."""
    from pimp_tui.services.predict import train_report

    with tempfile.TemporaryDirectory() as folder:
        db_path = Path(folder) / "pimp.db"
        workbench_store(db_path)
        runs = [(targets[0], "workers not yet started"), *((t, "workers started") for t in targets)]
        for target, state in runs:
            stages: list[str] = []
            start, start_cpu = time.perf_counter(), time.process_time()
            report = train_report(db_path, target, "auto", progress=stages.append)
            wall, cpu = time.perf_counter() - start, time.process_time() - start_cpu
            print(f"workbench train auto on {target}, {report.n} configurations ({state}): "
                  f"{wall:.1f} s wall, {cpu:.1f} s CPU in this process, {len(stages)} progress "
                  f"updates; {report.headline}", flush=True)  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", default=",".join(LEARNERS))
    parser.add_argument("--skip-tables", action="store_true")
    parser.add_argument("--skip-workbench", action="store_true")
    args = parser.parse_args()
    if not args.skip_tables:
        print(f"{'learner':22}{'rows':>6}{'options':>8}{'fit cpu s':>11}{'MAPE %':>9}")
        for rows, options in TABLES:
            x, y = synthetic_table(rows + 500, options)
            for name in args.learners.split(","):
                cpu, error = fit_cost(name, x, y, rows)
                print(f"{name:22}{rows:>6}{options:>8}{cpu:>11.2f}{error:>9.2f}", flush=True)
    if not args.skip_workbench:
        time_workbench()
    return 0


if __name__ == "__main__":
    sys.exit(main())
