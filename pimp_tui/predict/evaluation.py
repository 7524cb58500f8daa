"""How good is a learner on this data: k-fold cross-validation and hold-out scores (R², MAE in
the target's unit, MAPE where a relative error means something, and how often the stated 68% /
95% intervals hold the held-out value) and learning curves (error versus training-set size,
repeated, with 95% confidence intervals). Everything is drawn from an explicit seed, so a rerun
gives the same numbers; long loops report to a `Tracker` and stop when it is cancelled."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from pimp_tui.errors import PimpError
from pimp_tui.predict.bench import ci95
from pimp_tui.predict.fits import Fit, fit_all
from pimp_tui.predict.learners import make_learner
from pimp_tui.predict.progress import Tracker

Bounds = tuple[float, float] | None
LEVELS = (0.68, 0.95)


@dataclass
class Scores:
    mape: float | None
    """Percent; None where the target is not strictly positive or is a proportion."""
    mae: float
    r2: float
    n_test: int
    coverage68: float | None = None
    """Share of held-out values inside their stated 68% interval (None: not measured)."""
    coverage95: float | None = None

    def as_dict(self) -> dict[str, float | None]:
        return asdict(self)

    @property
    def error(self) -> float:
        """The error a learning curve follows: MAPE where it is defined, else MAE."""
        return self.mape if self.mape is not None else self.mae


def relative_error_defined(y, bounds: Bounds = None) -> bool:
    """MAPE is meaningful only for a strictly positive target that is not a proportion."""
    return bounds is None and bool(np.all(np.asarray(y, dtype=float) > 0))


def scores(
    y_true, y_pred, bounds: Bounds = None, intervals: dict | None = None, relative=None
) -> Scores:
    """R², MAE and (where defined, or where `relative` says) MAPE of `y_pred`; with `intervals`
    ({level: (low, high)}), the share of `y_true` inside each."""
    y_true = np.asarray(y_true, dtype=float)
    y_pred = np.asarray(y_pred, dtype=float)
    mape = None
    if relative_error_defined(y_true, bounds) if relative is None else relative:
        mape = float(100 * np.mean(np.abs(y_pred - y_true) / y_true))
    mae = float(np.mean(np.abs(y_pred - y_true)))
    total = float(np.sum((y_true - y_true.mean()) ** 2))
    r2 = 1.0 - float(np.sum((y_true - y_pred) ** 2)) / total if total > 0 else float("nan")
    held = {level: coverage(y_true, *bounds_) for level, bounds_ in (intervals or {}).items()}
    return Scores(mape, mae, r2, len(y_true), held.get(0.68), held.get(0.95))


def coverage(y, low, high) -> float:
    y = np.asarray(y, dtype=float)
    return float(np.mean((np.asarray(low) <= y) & (y <= np.asarray(high))))


def distrust(r2: float, rows: int, options: int) -> str | None:
    """Why a predictor must not be trusted (None: no reason): a cross-validated R² at or below
    zero predicts worse than the mean, and fewer rows than options leave its fit undetermined."""
    if not r2 > 0:  # NaN included: a constant target tells nothing
        return f"not trustworthy: cross-validated R² {r2:.2f} ≤ 0 (worse than the mean)"
    if rows < options:
        return f"not trustworthy: fitted on {rows} rows, fewer than its {options} options"
    return None


def cross_validate(
    x,
    y,
    learner: str = "auto",
    folds: int = 5,
    seed: int = 0,
    bounds: Bounds = None,
    tracker: Tracker | None = None,
    workers: int | None = None,
) -> dict:
    """K-fold CV: out-of-fold scores over all rows (interval coverage included), and per-fold
    error (MAPE, or MAE where MAPE is undefined) mean ± 95% CI. The folds are fitted side by
    side (`fits.fit_all`; `workers` as there)."""
    from sklearn.model_selection import KFold

    tracker = tracker or Tracker()
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    folds = min(folds, len(y))
    if folds < 2:
        raise PimpError(f"{len(y)} row(s): cross-validation needs at least 2")
    relative = relative_error_defined(y, bounds)
    splits = list(KFold(folds, shuffle=True, random_state=seed).split(x))
    tracker.plan(folds)
    jobs = [Fit(learner, seed + k, bounds, train, test) for k, (train, test) in enumerate(splits)]
    oof = np.empty_like(y)
    bands = {level: (np.empty_like(y), np.empty_like(y)) for level in LEVELS}
    per_fold = []
    results = fit_all(x, y, jobs, LEVELS, tracker, workers)
    for (_, test), fitted in zip(splits, results, strict=True):
        oof[test] = fitted.predicted
        for level, (low, high) in bands.items():
            low[test], high[test] = fitted.intervals[level]
        per_fold.append(scores(y[test], oof[test], bounds, relative=relative).error)
    overall = scores(y, oof, bounds, bands, relative)
    return {
        **overall.as_dict(),
        "folds": folds,
        "error_fold_mean": float(np.mean(per_fold)),
        "error_fold_ci95": ci95(per_fold),
        "oof": oof,
    }


def holdout(
    x, y, learner: str = "auto", test_fraction: float = 0.25, seed: int = 0, bounds: Bounds = None
) -> Scores:
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(y))
    n_test = max(1, int(round(test_fraction * len(y))))
    if len(y) - n_test < 2:
        raise PimpError(f"{len(y)} row(s): too few for a hold-out split")
    test, train = order[:n_test], order[n_test:]
    model = make_learner(learner, seed, bounds).fit(x[train], y[train])
    bands = {level: model.predict_interval(x[test], level) for level in LEVELS}
    relative = relative_error_defined(y, bounds)
    return scores(y[test], model.predict(x[test]), bounds, bands, relative)


@dataclass
class CurvePoint:
    size: int
    error_mean: float
    error_ci95: float
    repeats: int
    metric: str
    """"MAPE %" or "MAE" (where MAPE is undefined)."""


def learning_curve(
    x,
    y,
    sizes=None,
    learner: str = "auto",
    repeats: int = 10,
    seed: int = 0,
    bounds: Bounds = None,
    tracker: Tracker | None = None,
    workers: int | None = None,
) -> list[CurvePoint]:
    """For each training size, `repeats` random splits, tested on all other rows; the splits
    are fitted side by side (`fits.fit_all`; `workers` as there)."""
    tracker = tracker or Tracker()
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    n = len(y)
    if n < 4:
        raise PimpError(f"{n} row(s): a learning curve needs at least 4")
    if sizes is None:
        sizes = sorted({max(3, int(round(f * n))) for f in (0.1, 0.2, 0.4, 0.6, 0.8)})
    relative = relative_error_defined(y, bounds)
    metric = "MAPE %" if relative else "MAE"
    tracker.plan(sum(sizes) * repeats)  # a fit's cost grows with its rows
    jobs, tests = [], []
    for size in sizes:
        if not 2 <= size < n:
            raise PimpError(f"training size {size} must be between 2 and {n - 1}")
        rng = np.random.default_rng([seed, size])
        for r in range(repeats):
            train = rng.choice(n, size, replace=False)
            test = np.setdiff1d(np.arange(n), train)
            jobs.append(Fit(learner, seed + r, bounds, train, test, steps=size))
            tests.append(test)
    fitted = fit_all(x, y, jobs, (), tracker, workers)
    errors = [
        scores(y[test], f.predicted, bounds, relative=relative).error
        for test, f in zip(tests, fitted, strict=True)
    ]
    return [
        CurvePoint(int(size), float(np.mean(part)), ci95(part), repeats, metric)
        for size, part in zip(sizes, _chunks(errors, repeats), strict=True)
    ]


def _chunks(values: list[float], size: int) -> list[list[float]]:
    return [values[i : i + size] for i in range(0, len(values), size)]
