"""Repeated train/test splits on a table, as in the performance-prediction literature: train on
N rows (random, or DeepPerf's recorded splits), test on every remaining row, report the mean
relative error (MAPE, %) with its 95% confidence interval and the mean fit time."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from pimp_tui.errors import PimpError
from pimp_tui.predict.learners import make_learner


@dataclass
class BenchResult:
    train_size: int
    repeats: int
    mape_mean: float
    mape_ci95: float
    fit_seconds_mean: float
    fit_cpu_seconds_mean: float  # this process's CPU time: robust to a busy machine
    learner: str
    mapes: list[float]

    def as_json(self) -> dict:
        return asdict(self)


def mape(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean relative error in percent (rows with a zero target are skipped)."""
    keep = y_true != 0
    return float(100.0 * np.mean(np.abs(y_pred[keep] - y_true[keep]) / np.abs(y_true[keep])))


def ci95(values: Sequence[float]) -> float:
    """Half-width of the 95% confidence interval of the mean (Student t)."""
    from scipy.stats import t

    n = len(values)
    if n < 2:
        return float("nan")
    return float(t.ppf(0.975, n - 1) * np.std(values, ddof=1) / math.sqrt(n))


def random_splits(rows: int, train_size: int, repeats: int, seed: int) -> list[np.ndarray]:
    if not 2 <= train_size < rows:
        raise PimpError(f"--train-size must be between 2 and {rows - 1} for {rows} rows")
    rng = np.random.default_rng(seed)
    return [rng.choice(rows, train_size, replace=False) for _ in range(repeats)]


def bench(
    x: np.ndarray,
    y: np.ndarray,
    splits: Sequence[np.ndarray],
    learner: str = "auto",
    seed: int = 0,
    on_split: Callable[[int, float, float], None] | None = None,
) -> BenchResult:
    """Fit `learner` on each split's rows and score it on all the others."""
    mapes, seconds, cpu = [], [], []
    for i, train in enumerate(splits):
        if len(train) and (train.min() < 0 or train.max() >= len(y)):
            raise PimpError(f"split {i + 1}: row index out of range (table has {len(y)} rows)")
        test = np.setdiff1d(np.arange(len(y)), train)
        model = make_learner(learner, seed + i)
        start, start_cpu = time.perf_counter(), time.process_time()
        model.fit(x[train], y[train])
        seconds.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        mapes.append(mape(y[test], model.predict(x[test])))
        if on_split is not None:
            on_split(i, mapes[-1], seconds[-1])
    return BenchResult(
        train_size=len(splits[0]) if splits else 0,
        repeats=len(splits),
        mape_mean=float(np.mean(mapes)),
        mape_ci95=ci95(mapes),
        fit_seconds_mean=float(np.mean(seconds)),
        fit_cpu_seconds_mean=float(np.mean(cpu)),
        learner=learner,
        mapes=[float(m) for m in mapes],
    )
