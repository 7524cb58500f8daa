"""`pimp predict bench`: repeated splits on a CSV, one JSON object on the last line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from pimp_tui.cli import main
from pimp_tui.errors import PimpError
from pimp_tui.predict.bench import bench, random_splits
from pimp_tui.predict.encoding import read_training_index

ROWS, OPTIONS = 64, 6
SIZES = (OPTIONS, 2 * OPTIONS, 3 * OPTIONS)


@pytest.fixture
def perf(tmp_path: Path) -> Path:
    """A measured table in the DeepPerf layout: one column per option, the measured value last;
    every configuration of six binary options, with a multiplicative effect and an interaction."""
    rng = np.random.default_rng(0)
    x = np.array([[(row >> bit) & 1 for bit in range(OPTIONS)] for row in range(ROWS)])
    effects = np.array([0.4, 0.1, 0.7, 0.05, 0.3, 0.2])
    y = 100 * np.exp(x @ effects + 0.5 * x[:, 0] * x[:, 2]) * rng.uniform(0.98, 1.02, ROWS)
    path = tmp_path / "System_AllNumeric.csv"
    header = ",".join([*(f"o{i}" for i in range(OPTIONS)), "PERF"])
    np.savetxt(path, np.column_stack([x, y]), delimiter=",", header=header, comments="", fmt="%g")
    return path


@pytest.fixture
def training_index(tmp_path: Path) -> Path:
    """DeepPerf's training-index layout: a label row giving each column's sample size, then 30
    experiments, each the 0-based training rows of every size side by side."""
    rng = np.random.default_rng(1)
    labels = np.concatenate([np.full(n, n) for n in SIZES])
    experiments = [
        np.concatenate([rng.choice(ROWS, n, replace=False) for n in SIZES]) for _ in range(30)
    ]
    path = tmp_path / "System_training_index.csv"
    np.savetxt(path, np.vstack([labels, *experiments]), delimiter=",", fmt="%.18e")
    return path


def test_deepperf_index_gives_thirty_splits_of_the_asked_size(training_index: Path) -> None:
    splits = read_training_index(training_index, 12)
    assert len(splits) == 30
    assert all(len(s) == 12 and len(set(s)) == 12 for s in splits)
    assert all(s.min() >= 0 and s.max() < ROWS for s in splits)


def test_unknown_size_in_index_is_a_user_error(training_index: Path) -> None:
    with pytest.raises(PimpError, match=r"no block of size 10 \(sizes: \[6, 12, 18\]\)"):
        read_training_index(training_index, 10)


def test_random_splits_are_reproducible_for_a_seed() -> None:
    a, b = random_splits(100, 10, 3, seed=4), random_splits(100, 10, 3, seed=4)
    assert all(np.array_equal(s, t) for s, t in zip(a, b, strict=True))


def test_bench_scores_every_untrained_row() -> None:
    x = np.arange(20, dtype=float)[:, None]
    y = np.exp(0.1 * x[:, 0] + 1.0)
    result = bench(x, y, random_splits(20, 10, 2, 0), learner="linear-interactions")
    assert result.repeats == 2 and result.train_size == 10
    assert result.mape_mean < 1.0


def test_cli_prints_the_summary_as_the_last_line(
    capsys: pytest.CaptureFixture, perf: Path, training_index: Path
) -> None:
    code = main([
        "predict", "bench", "--csv", str(perf), "--train-size", "6",
        "--train-index", str(training_index), "--repeats", "2", "--learner", "cart", "--json",
    ])  # fmt: skip
    assert code == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["train_size"] == 6 and summary["repeats"] == 2
    assert summary["mape_mean"] > 0 and "mape_ci95" in summary and "fit_seconds_mean" in summary


def test_cli_bad_target_is_one_line_and_exit_2(capsys: pytest.CaptureFixture, perf: Path) -> None:
    code = main([
        "predict", "bench", "--csv", str(perf), "--target", "nope",
        "--train-size", "9", "--repeats", "1",
    ])  # fmt: skip
    assert code == 2
    assert "no column 'nope'" in capsys.readouterr().err
