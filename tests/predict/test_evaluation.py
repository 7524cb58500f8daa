"""Scores, cross-validation and learning curves, reproducible for a seed."""

from __future__ import annotations

import numpy as np

from pimp_tui.predict.evaluation import cross_validate, holdout, learning_curve, scores


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
    assert all(p.mape_ci95 >= 0 for p in a)
    assert a[-1].mape_mean <= a[0].mape_mean
