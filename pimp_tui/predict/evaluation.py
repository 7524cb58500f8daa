"""How good is a learner on this data: k-fold cross-validation and hold-out scores (MAPE, MAE,
R²) and learning curves (error versus training-set size, repeated, with 95% confidence
intervals). Everything is drawn from an explicit seed, so a rerun gives the same numbers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pimp_tui.errors import PimpError
from pimp_tui.predict.bench import ci95
from pimp_tui.predict.learners import make_learner


@dataclass
class Scores:
    mape: float  # percent
    mae: float
    r2: float
    n_test: int

    def as_dict(self) -> dict[str, float]:
        return {"mape": self.mape, "mae": self.mae, "r2": self.r2, "n_test": self.n_test}


def scores(y_true, y_pred) -> Scores:
    y_true = np.asarray(y_true, dtype=float)
    y_pred = np.asarray(y_pred, dtype=float)
    nonzero = y_true != 0
    mape = float(100 * np.mean(np.abs(y_pred[nonzero] - y_true[nonzero]) / np.abs(y_true[nonzero])))
    mae = float(np.mean(np.abs(y_pred - y_true)))
    total = float(np.sum((y_true - y_true.mean()) ** 2))
    r2 = 1.0 - float(np.sum((y_true - y_pred) ** 2)) / total if total > 0 else float("nan")
    return Scores(mape, mae, r2, len(y_true))


def cross_validate(x, y, learner: str = "auto", folds: int = 5, seed: int = 0) -> dict:
    """K-fold CV: out-of-fold scores over all rows, and per-fold MAPE mean ± 95% CI."""
    from sklearn.model_selection import KFold

    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    folds = min(folds, len(y))
    if folds < 2:
        raise PimpError(f"{len(y)} row(s): cross-validation needs at least 2")
    oof = np.empty_like(y)
    per_fold = []
    for k, (train, test) in enumerate(KFold(folds, shuffle=True, random_state=seed).split(x)):
        model = make_learner(learner, seed + k).fit(x[train], y[train])
        oof[test] = model.predict(x[test])
        per_fold.append(scores(y[test], oof[test]).mape)
    overall = scores(y, oof)
    return {
        **overall.as_dict(),
        "folds": folds,
        "mape_fold_mean": float(np.mean(per_fold)),
        "mape_fold_ci95": ci95(per_fold),
        "oof": oof,
    }


def holdout(x, y, learner: str = "auto", test_fraction: float = 0.25, seed: int = 0) -> Scores:
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(y))
    n_test = max(1, int(round(test_fraction * len(y))))
    if len(y) - n_test < 2:
        raise PimpError(f"{len(y)} row(s): too few for a hold-out split")
    test, train = order[:n_test], order[n_test:]
    model = make_learner(learner, seed).fit(x[train], y[train])
    return scores(y[test], model.predict(x[test]))


@dataclass
class CurvePoint:
    size: int
    mape_mean: float
    mape_ci95: float
    repeats: int


def learning_curve(
    x, y, sizes=None, learner: str = "auto", repeats: int = 10, seed: int = 0
) -> list[CurvePoint]:
    """For each training size, `repeats` random splits, tested on all other rows."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    n = len(y)
    if n < 4:
        raise PimpError(f"{n} row(s): a learning curve needs at least 4")
    if sizes is None:
        sizes = sorted({max(3, int(round(f * n))) for f in (0.1, 0.2, 0.4, 0.6, 0.8)})
    points = []
    for size in sizes:
        if not 2 <= size < n:
            raise PimpError(f"training size {size} must be between 2 and {n - 1}")
        rng = np.random.default_rng([seed, size])
        errors = []
        for r in range(repeats):
            train = rng.choice(n, size, replace=False)
            test = np.setdiff1d(np.arange(n), train)
            model = make_learner(learner, seed + r).fit(x[train], y[train])
            errors.append(scores(y[test], model.predict(x[test])).mape)
        points.append(CurvePoint(int(size), float(np.mean(errors)), ci95(errors), repeats))
    return points
