"""Scores, cross-validation and learning curves, reproducible for a seed."""

from __future__ import annotations

import numpy as np

from pimp_tui.predict.evaluation import (
    cross_validate,
    distrust,
    holdout,
    learning_curve,
    scores,
)
from pimp_tui.predict.learners import make_learner


def _data():
    rng = np.random.default_rng(2)
    x = rng.integers(0, 2, (40, 4)).astype(float)
    return x, 5 + 3 * x[:, 0] + x[:, 1] * x[:, 2] + rng.normal(0, 0.1, 40)


def test_scores_of_a_perfect_prediction() -> None:
    s = scores([1.0, 2.0, 4.0], [1.0, 2.0, 4.0])
    assert s.mape == 0 and s.mae == 0 and s.r2 == 1


def test_cross_validation_and_holdout_report_mape_mae_r2() -> None:
    x, y = _data()
    cv = cross_validate(x, y, "gbm", folds=4, seed=0)
    assert cv["folds"] == 4 and cv["r2"] > 0.8 and cv["mape"] < 10
    assert len(cv["oof"]) == len(y)
    assert holdout(x, y, "gbm", seed=0).n_test == 10


def test_learning_curve_is_reproducible_and_has_confidence_intervals() -> None:
    x, y = _data()
    a = learning_curve(x, y, [8, 16, 32], "linear-interactions", repeats=4, seed=7)
    b = learning_curve(x, y, [8, 16, 32], "linear-interactions", repeats=4, seed=7)
    assert a == b
    assert [p.size for p in a] == [8, 16, 32]
    assert all(p.error_ci95 >= 0 and p.metric == "MAPE %" for p in a)
    assert a[-1].error_mean <= a[0].error_mean


def test_cross_validation_measures_how_often_the_intervals_hold() -> None:
    x, y = _data()
    cv = cross_validate(x, y, "gbm", folds=4, seed=0)
    assert 0.0 <= cv["coverage68"] <= cv["coverage95"] <= 1.0
    # the held-out values of a well-learnt system mostly fall inside the 95% intervals
    assert cv["coverage95"] >= 0.75
    hold = holdout(x, y, "gbm", seed=0)
    assert hold.coverage68 is not None and hold.coverage95 is not None


def test_mape_only_for_a_positive_target_that_is_not_a_proportion() -> None:
    assert scores([1.0, 2.0], [1.1, 2.0]).mape is not None
    assert scores([0.0, 2.0], [0.1, 2.0]).mape is None
    bounded = scores([0.2, 0.9], [0.3, 0.8], bounds=(0.0, 1.0))
    assert bounded.mape is None and bounded.mae > 0


def test_a_learner_of_pure_noise_is_not_trustworthy() -> None:
    rng = np.random.default_rng(0)
    x = rng.integers(0, 2, (40, 6)).astype(float)
    y = rng.uniform(1.0, 2.0, 40)
    cv = cross_validate(x, y, "gbm", folds=5, seed=0)
    assert cv["r2"] <= 0
    assert "not trustworthy" in distrust(cv["r2"], len(y), x.shape[1])
    assert distrust(0.9, 40, 6) is None
    assert "fewer than its 6 options" in distrust(0.9, 5, 6)


def test_accuracy_predictions_and_intervals_stay_inside_zero_one() -> None:
    rng = np.random.default_rng(1)
    x = rng.integers(0, 2, (30, 4)).astype(float)
    y = np.clip(0.05 + 0.9 * x[:, 0] * x[:, 1] + rng.normal(0, 0.05, 30), 0.0, 1.0)
    y[:8] = 0.0
    for name in ("auto", "rf", "gp"):
        model = make_learner(name, 0, bounds=(0.0, 1.0)).fit(x, y)
        grid = rng.integers(0, 2, (50, 4)).astype(float)
        predicted = model.predict(grid)
        low, high = model.predict_interval(grid, 0.95)
        assert np.all((predicted >= 0) & (predicted <= 1)), name
        assert np.all((low >= 0) & (high <= 1) & (low <= predicted) & (predicted <= high)), name
