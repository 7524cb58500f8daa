"""`pimp predict bench`: repeated train/test splits of a learner on any CSV (the published
DeepPerf and DaL protocols), MAPE over the rows left out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pimp_tui.errors import PimpError


@dataclass(frozen=True)
class BenchRequest:
    csv: str
    train_size: int
    target: str | None = None
    train_index: str | None = None
    """A DeepPerf training-index CSV: fixed splits instead of random ones."""
    repeats: int = 30
    seed: int = 0
    learner: str = "auto"


@dataclass
class BenchResult:
    described: str
    """How the CSV was read (which columns are options, which the target)."""
    summary: dict[str, Any]


def bench(
    request: BenchRequest, on_split: Callable[[int, int, float, float], None] | None = None
) -> BenchResult:
    """Train on `train_size` rows, test on the rest, `repeats` times; `on_split(i, n, mape,
    seconds)` after each split."""
    from pimp_tui.predict.bench import bench as run
    from pimp_tui.predict.bench import random_splits
    from pimp_tui.predict.encoding import read_csv, read_training_index

    if request.repeats < 1:
        raise PimpError("--repeats must be at least 1")
    table = read_csv(request.csv, request.target)
    if request.train_index:
        splits = read_training_index(request.train_index, request.train_size)[: request.repeats]
    else:
        splits = random_splits(len(table.y), request.train_size, request.repeats, request.seed)

    def progress(i: int, error: float, seconds: float) -> None:
        if on_split is not None:
            on_split(i, len(splits), error, seconds)

    result = run(table.x, table.y, splits, request.learner, request.seed, progress)
    summary = {
        "train_size": result.train_size,
        "repeats": result.repeats,
        "mape_mean": round(result.mape_mean, 4),
        "mape_ci95": round(result.mape_ci95, 4),
        "fit_seconds_mean": round(result.fit_seconds_mean, 4),
        "fit_cpu_seconds_mean": round(result.fit_cpu_seconds_mean, 4),
        "learner": result.learner,
    }
    return BenchResult(f"{request.csv}: {table.describe()}", summary)
