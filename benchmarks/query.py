"""Wall time of `pimp predict query` on a stored predictor, process start included.

Builds a store in a temporary folder: the shipped generation model, a uniform sample of it, one
campaign whose runs carry a synthetic energy (a multiplicative function of a few settings), and
a predictor trained on it by `pimp predict train` (default learner `auto`). Then runs the query
command as a user would (a fresh `python -m pimp_tui` process each time, partial settings
completed by the solver) and prints the median and the maximum.

    python3 benchmarks/query.py [--learner auto] [--configs 40] [--repeats 7]
"""

from __future__ import annotations

import argparse
import math
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from pimp_tui.sampling import sample
from pimp_tui.store.campaigns import create_campaign, finish_run, pending_runs
from pimp_tui.store.db import open_store
from pimp_tui.store.samples import save_model, save_sample
from pimp_tui.variability.io import load_model

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "sample_models" / "hf_generation.uvl"
QUERY = ["MultinomialSampling=true", "repetition_penalty=1.3"]


def synthetic_energy(config: dict[str, Any]) -> float:
    """Joules: a base cost scaled by the settings that drive decoding work, plus a little of
    every other option so that the predictor has something to learn everywhere."""
    energy = 20.0
    for i, (_, value) in enumerate(sorted(config.items())):
        if isinstance(value, bool):
            energy *= 1.0 + (0.05 * (1 + i % 3) if value else 0.0)
        elif isinstance(value, (int, float)):
            energy *= 1.0 + 0.05 * math.log1p(abs(float(value)))
    return energy


def build_store(path: Path, configs: int, seed: int) -> None:
    model = load_model(MODEL)
    db = open_store(path)
    model_id = save_model(db, model, "hf_generation")
    chosen = sample(model, "uniform", size=configs, seed=seed)
    sample_id = save_sample(db, model_id, "bench", "uniform", {"size": configs}, chosen, None)
    campaign = create_campaign(
        db, sample_id=sample_id, task="synthetic", prompts=1, repetitions=1, llm="synthetic"
    )
    for run in pending_runs(db, campaign):
        finish_run(db, run["id"], "done", {"energy_j": synthetic_energy(run["config"])})
    db.close()


def pimp(db: Path, *args: str) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds, stdout) of one `pimp predict ...` process."""
    cpu_before = _children_cpu()
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pimp_tui", "--db", str(db), "predict", *args],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"pimp predict {' '.join(args)} failed: {done.stderr.strip()}")
    return seconds, _children_cpu() - cpu_before, done.stdout


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learner", default="auto")
    parser.add_argument("--configs", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "query.db"
        build_store(db, args.configs, args.seed)
        train_s, _, _ = pimp(db, "train", "--target", "energy_j", "--learner", args.learner,
                          "--name", "energy")  # fmt: skip
        print(f"{MODEL.name}: {args.configs} configurations, learner {args.learner}, "
              f"train {train_s:.1f} s wall")  # fmt: skip
        walls, cpus = [], []
        for _ in range(args.repeats):
            wall, cpu, answer = pimp(db, "query", "energy", *QUERY)
            walls.append(wall)
            cpus.append(cpu)
        print(f"answer: {answer.strip()[:100]}...")
        print(f"query over {args.repeats} processes: wall s median {statistics.median(walls):.3f} "
              f"max {max(walls):.3f} (target <= 1.0); CPU s median {statistics.median(cpus):.3f} "
              f"max {max(cpus):.3f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
