"""Why a model predicts what it does: permutation importance per option, pairwise interaction
strength (Friedman's H², the share of the pair's joint partial dependence that is not the sum
of the two single effects), and partial dependence of the target on one option.

All of it is computed on a fitted learner and rows from the data; randomness comes from `seed`.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from pimp_tui.predict.progress import Tracker

MAX_GRID = 10  # partial-dependence points per option (quantiles when it has more values)


@dataclass
class Importance:
    feature: str
    mean: float  # increase in error (MAPE points, or MAE where MAPE is undefined) when shuffled
    std: float


def permutation_importance(
    model, x, y, columns: list[str], repeats: int = 5, seed: int = 0, bounds=None,
    tracker: Tracker | None = None,
) -> list[Importance]:  # fmt: skip
    """Most important first. The error is MAPE for a strictly positive target that is not a
    proportion (`bounds`), else MAE in the target's unit."""
    from pimp_tui.predict.evaluation import relative_error_defined, scores

    tracker = tracker or Tracker()
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    relative = relative_error_defined(y, bounds)
    base = scores(y, model.predict(x), bounds, relative=relative).error
    rng = np.random.default_rng(seed)
    tracker.plan(len(columns))
    out = []
    for j, name in enumerate(columns):
        if np.ptp(x[:, j]) == 0:  # shuffling an option no row varies changes nothing
            out.append(Importance(name, 0.0, 0.0))
            tracker.step()
            continue
        # Every repeat's shuffle in one prediction call: a call's overhead dwarfs its rows.
        shuffled = np.repeat(x[None, :, :], repeats, axis=0)
        for copy in shuffled:
            copy[:, j] = rng.permutation(copy[:, j])
        predicted = model.predict(shuffled.reshape(-1, x.shape[1])).reshape(repeats, len(y))
        losses = [scores(y, p, bounds, relative=relative).error - base for p in predicted]
        out.append(Importance(name, float(np.mean(losses)), float(np.std(losses))))
        tracker.step()
    return sorted(out, key=lambda i: -i.mean)


def grid(values: np.ndarray) -> np.ndarray:
    unique = np.unique(values)
    if len(unique) <= MAX_GRID:
        return unique
    return np.unique(np.quantile(values, np.linspace(0, 1, MAX_GRID)))


def partial_dependence(model, x, feature: int) -> tuple[np.ndarray, np.ndarray]:
    """(grid values, mean prediction over the rows with the option set to each value)."""
    x = np.asarray(x, dtype=float)
    points = grid(x[:, feature])
    stacked = np.repeat(x[None, :, :], len(points), axis=0)
    stacked[:, :, feature] = points[:, None]
    preds = model.predict(stacked.reshape(-1, x.shape[1])).reshape(len(points), len(x))
    return points, preds.mean(axis=1)


def _pd_pair(model, x, j: int, k: int):
    gj, gk = grid(x[:, j]), grid(x[:, k])
    combos = list(itertools.product(gj, gk))
    stacked = np.repeat(x[None, :, :], len(combos), axis=0)
    for c, (a, b) in enumerate(combos):
        stacked[c, :, j], stacked[c, :, k] = a, b
    preds = model.predict(stacked.reshape(-1, x.shape[1])).reshape(len(gj), len(gk), len(x))
    return gj, gk, preds.mean(axis=2)


@dataclass
class Interaction:
    first: str
    second: str
    h2: float  # 0: the effects add up; 1: all of the joint effect is interaction


def interaction_strength(
    model, x, columns: list[str], features: list[int] | None = None, max_rows: int = 200,
    seed: int = 0, tracker: Tracker | None = None,
) -> list[Interaction]:  # fmt: skip
    """Friedman's H² for every pair of `features` (default: all), strongest first, on a grid of
    each option's values, weighted by how often the data has each pair of values."""
    x = np.asarray(x, dtype=float)
    if len(x) > max_rows:
        x = x[np.random.default_rng(seed).choice(len(x), max_rows, replace=False)]
    tracker = tracker or Tracker()
    features = list(range(x.shape[1])) if features is None else features
    single = {j: partial_dependence(model, x, j) for j in features}
    out = []
    tracker.plan(len(features) * (len(features) - 1) // 2)
    for j, k in itertools.combinations(features, 2):
        tracker.step()
        gj, gk, joint = _pd_pair(model, x, j, k)
        pj = np.interp(gj, *single[j])
        pk = np.interp(gk, *single[k])
        ij = np.abs(x[:, j][:, None] - gj[None, :]).argmin(axis=1)
        ik = np.abs(x[:, k][:, None] - gk[None, :]).argmin(axis=1)
        f_jk = joint[ij, ik]
        f_j, f_k = pj[ij], pk[ik]
        f_jk, f_j, f_k = f_jk - f_jk.mean(), f_j - f_j.mean(), f_k - f_k.mean()
        denominator = float(np.sum(f_jk**2))
        h2 = float(np.sum((f_jk - f_j - f_k) ** 2)) / denominator if denominator > 0 else 0.0
        out.append(Interaction(columns[j], columns[k], min(h2, 1.0)))
    return sorted(out, key=lambda i: -i.h2)
