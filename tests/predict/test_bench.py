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

PERF = Path(__file__).resolve().parents[3] / "shared" / "benchmarks" / "perf"


def test_deepperf_index_gives_thirty_splits_of_the_asked_size() -> None:
    splits = read_training_index(PERF / "Apache_training_index.csv", 18)
    assert len(splits) == 30
    assert all(len(s) == 18 and len(set(s)) == 18 for s in splits)
    assert all(s.min() >= 0 and s.max() < 192 for s in splits)


def test_unknown_size_in_index_is_a_user_error() -> None:
    with pytest.raises(PimpError, match="no block of size 10"):
        read_training_index(PERF / "Apache_training_index.csv", 10)


def test_random_splits_are_reproducible_for_a_seed() -> None:
    a, b = random_splits(100, 10, 3, seed=4), random_splits(100, 10, 3, seed=4)
    assert all(np.array_equal(s, t) for s, t in zip(a, b, strict=True))


def test_bench_scores_every_untrained_row() -> None:
    x = np.arange(20, dtype=float)[:, None]
    y = np.exp(0.1 * x[:, 0] + 1.0)
    result = bench(x, y, random_splits(20, 10, 2, 0), learner="linear-interactions")
    assert result.repeats == 2 and result.train_size == 10
    assert result.mape_mean < 1.0


def test_cli_prints_the_summary_as_the_last_line(capsys: pytest.CaptureFixture) -> None:
    code = main([
        "predict", "bench", "--csv", str(PERF / "Apache_AllNumeric.csv"), "--train-size", "9",
        "--train-index", str(PERF / "Apache_training_index.csv"), "--repeats", "2",
        "--learner", "cart", "--json",
    ])  # fmt: skip
    assert code == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["train_size"] == 9 and summary["repeats"] == 2
    assert summary["mape_mean"] > 0 and "mape_ci95" in summary and "fit_seconds_mean" in summary


def test_cli_bad_target_is_one_line_and_exit_2(capsys: pytest.CaptureFixture) -> None:
    code = main([
        "predict", "bench", "--csv", str(PERF / "Apache_AllNumeric.csv"), "--target", "nope",
        "--train-size", "9", "--repeats", "1",
    ])  # fmt: skip
    assert code == 2
    assert "no column 'nope'" in capsys.readouterr().err
