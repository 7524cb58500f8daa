"""Efficiency sweet spots over a `lengths` campaign.

Per configuration, the analytical energy model of Cavagna et al. 2026,
E(n_in, n_out) = θ1·n_in² + θ2·n_in·n_out + θ3·n_in + θ4·n_out² + θ5, is fitted to the energy
per request measured over the (input, output) grid. Dividing by n_out gives the energy per
output token, whose minimum over n_out for a given input length is the sweet spot
n_out* = sqrt((θ1·n_in² + θ3·n_in + θ5) / θ4) (none when θ4 ≤ 0 or the numerator is not
positive: then longer outputs only get cheaper per token).

Trust comes from held-out grid points: the grid's (input, output) points are split into folds;
for each fold the analytical model (per configuration) and a learned predictor (one over the
whole campaign, configurations encoded as features) are fitted on the other points, and both
predict the held-out ones. Their MAPEs on energy per request are reported side by side.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from pimp_tui.errors import PimpError
from pimp_tui.predict.learners import make_learner
from pimp_tui.predict.workload import METRICS, Group

DEFAULT_FOLDS = 4
ONE_SIGMA = 0.6827


# --------------------------------------------------------------------------- the analytical model


def design(n_in: np.ndarray, n_out: np.ndarray) -> np.ndarray:
    """Columns of E(n_in, n_out): n_in², n_in·n_out, n_in, n_out², 1."""
    n_in, n_out = np.asarray(n_in, dtype=float), np.asarray(n_out, dtype=float)
    return np.column_stack([n_in**2, n_in * n_out, n_in, n_out**2, np.ones_like(n_in)])


@dataclass(frozen=True)
class QuadraticFit:
    """θ of E(n_in, n_out) and the covariance of θ (for prediction variances)."""

    theta: np.ndarray
    covariance: np.ndarray

    def predict(self, n_in: np.ndarray, n_out: np.ndarray) -> np.ndarray:
        return design(n_in, n_out) @ self.theta

    def variance(self, n_in: np.ndarray, n_out: np.ndarray) -> np.ndarray:
        """Variance of the fitted mean at each point (x' Cov(θ) x)."""
        x = design(n_in, n_out)
        return np.einsum("ij,jk,ik->i", x, self.covariance, x)

    def best_output(self, n_in: float) -> float | None:
        """n_out minimising E/n_out, or None where the fit has no interior minimum."""
        t1, _, t3, t4, t5 = self.theta
        numerator = t1 * n_in**2 + t3 * n_in + t5
        if t4 <= 0 or numerator <= 0:
            return None
        return math.sqrt(numerator / t4)


def fit_quadratic(n_in: np.ndarray, n_out: np.ndarray, y: np.ndarray) -> QuadraticFit:
    """θ by the analytical model's least squares (predict.analytical), with Cov(θ) =
    σ²(XᵀX)⁻¹ estimated from the residuals."""
    from pimp_tui.predict.analytical import fit_energy_model

    theta = np.asarray(fit_energy_model(n_in, n_out, y).theta, dtype=float)
    x = design(n_in, n_out)
    residual = np.asarray(y, dtype=float) - x @ theta
    dof = max(len(y) - x.shape[1], 1)
    sigma2 = float(residual @ residual) / dof
    covariance = sigma2 * np.linalg.pinv(x.T @ x)
    return QuadraticFit(theta, covariance)


# --------------------------------------------------------------------------- learned predictor


def group_features(groups: Sequence[Group]) -> dict[str, np.ndarray]:
    """A numeric row per configuration: numbers as themselves (missing: -1), Booleans 0/1,
    anything else one-hot. Only settings that vary across configurations are kept."""
    keys = sorted({k for g in groups for k in g.config})
    columns: list[np.ndarray] = []
    for key in keys:
        values = [g.config.get(key) for g in groups]
        if len({repr(v) for v in values}) < 2:
            continue
        if all(isinstance(v, (int, float, bool)) or v is None for v in values):
            columns.append(np.array([-1.0 if v is None else float(v) for v in values]))
        else:
            for level in sorted({repr(v) for v in values}):
                columns.append(np.array([float(repr(v) == level) for v in values]))
    matrix = np.column_stack(columns) if columns else np.zeros((len(groups), 0))
    return {g.key: matrix[i] for i, g in enumerate(groups)}


def _features(frame: pl.DataFrame, encoded: Mapping[str, np.ndarray]) -> np.ndarray:
    n_in = frame["input_length"].to_numpy().astype(float)
    n_out = frame["output_length"].to_numpy().astype(float)
    settings = np.vstack([encoded[k] for k in frame["group"].to_list()])
    return np.column_stack([n_in, n_out, np.log2(n_in), np.log2(n_out), settings])


def _predict_with_spread(learner: Any, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance of a learner's predictions: half its one-sigma (68.27%) interval,
    squared."""
    low, high = learner.predict_interval(x, level=ONE_SIGMA)
    return np.asarray(learner.predict(x)), ((np.asarray(high) - np.asarray(low)) / 2) ** 2


# --------------------------------------------------------------------------- per-request models


@dataclass
class AnalyticalModel:
    """Per configuration, the analytical model fitted to each per-request figure (Cavagna's
    form is for energy; the same form is used for time, where it fits about as well)."""

    runs: pl.DataFrame
    source: str = "analytical"
    _fits: dict[tuple[str, str], QuadraticFit] = field(default_factory=dict, repr=False)
    _ranges: dict[str, tuple[float, float, float, float]] = field(default_factory=dict)

    def _fit(self, key: str, metric: str) -> QuadraticFit:
        if (key, metric) not in self._fits:
            rows = self.runs.filter(pl.col("group") == key)
            if len(rows) < 5:
                raise PimpError("the analytical model needs runs at 5 lengths or more")
            n_in = rows["input_length"].to_numpy()
            n_out = rows["output_length"].to_numpy()
            self._fits[key, metric] = fit_quadratic(n_in, n_out, rows[metric].to_numpy())
            self._ranges[key] = (n_in.min(), n_in.max(), n_out.min(), n_out.max())
        return self._fits[key, metric]

    def covers(self, group: Group, n_in: np.ndarray, n_out: np.ndarray) -> np.ndarray:
        self._fit(group.key, "energy_j")
        lo_in, hi_in, lo_out, hi_out = self._ranges[group.key]
        return (n_in >= lo_in) & (n_in <= hi_in) & (n_out >= lo_out) & (n_out <= hi_out)

    def predict(
        self, group: Group, n_in: np.ndarray, n_out: np.ndarray
    ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        out = {}
        for metric in METRICS:
            fit = self._fit(group.key, metric)
            out[metric] = (fit.predict(n_in, n_out), fit.variance(n_in, n_out))
        return out


@dataclass
class LearnedModel:
    """One learner per per-request figure over the whole campaign (configurations encoded)."""

    runs: pl.DataFrame
    groups: Sequence[Group]
    learner: str = "auto"
    seed: int = 0
    source: str = "learned"
    _models: dict[str, Any] = field(default_factory=dict, repr=False)
    _batch: tuple | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self._encoded = group_features(self.groups)
        x = _features(self.runs, self._encoded)
        for metric in METRICS:
            model = make_learner(self.learner, self.seed)
            model.fit(x, self.runs[metric].to_numpy())
            self._models[metric] = model

    def covers(self, group: Group, n_in: np.ndarray, n_out: np.ndarray) -> np.ndarray:
        rows = self.runs.filter(pl.col("group") == group.key)
        lo_in, hi_in = rows["input_length"].min(), rows["input_length"].max()
        lo_out, hi_out = rows["output_length"].min(), rows["output_length"].max()
        return (n_in >= lo_in) & (n_in <= hi_in) & (n_out >= lo_out) & (n_out <= hi_out)

    def predict(
        self, group: Group, n_in: np.ndarray, n_out: np.ndarray
    ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Predicted for every configuration at once on the first query of these lengths
        (one learner call per figure instead of one per configuration)."""
        query = (np.asarray(n_in, dtype=float).tobytes(), np.asarray(n_out, dtype=float).tobytes())
        if self._batch is None or self._batch[0] != query:
            keys = [g.key for g in self.groups]
            frame = pl.DataFrame({
                "input_length": np.tile(n_in, len(keys)),
                "output_length": np.tile(n_out, len(keys)),
                "group": np.repeat(keys, len(n_in)),
            })  # fmt: skip
            x = _features(frame, self._encoded)
            figures = {m: _predict_with_spread(model, x) for m, model in self._models.items()}
            self._batch = (query, keys, figures)
        _, keys, figures = self._batch
        rows = slice(keys.index(group.key) * len(n_in), (keys.index(group.key) + 1) * len(n_in))
        return {m: (mean[rows], var[rows]) for m, (mean, var) in figures.items()}


# --------------------------------------------------------------------------- sweet spots


@dataclass
class SweetSpot:
    """One configuration's efficiency geometry over the measured grid."""

    group: Group
    inputs: list[int]
    outputs: list[int]
    measured: np.ndarray
    """Measured J per output token, inputs × outputs (NaN where no run finished)."""
    fitted: np.ndarray
    """The analytical model's J per output token over the same grid (fitted on all points)."""
    theta: np.ndarray
    best_output: dict[int, float | None]
    """n_out* per input length from the fit (None: no interior minimum)."""
    best_measured: dict[int, int]
    """The grid's output length with the lowest measured J per output token, per input."""
    mape_analytical: float | None = None
    mape_learned: float | None = None
    held_out: int = 0


def mape(actual: np.ndarray, predicted: np.ndarray) -> float:
    """Mean absolute percentage error (%)."""
    actual, predicted = np.asarray(actual, dtype=float), np.asarray(predicted, dtype=float)
    return float(np.mean(np.abs(predicted - actual) / np.abs(actual)) * 100.0)


def point_means(runs: pl.DataFrame) -> pl.DataFrame:
    """Mean energy per request and per output token at each (configuration, grid point)."""
    return (
        runs.group_by("group", "input_length", "output_length")
        .agg(pl.col("energy_j").mean(), pl.len().alias("runs"))
        .with_columns((pl.col("energy_j") / pl.col("output_length")).alias("j_per_token"))
        .sort("group", "input_length", "output_length")
    )


def sweetspots(
    runs: pl.DataFrame,
    groups: Sequence[Group],
    *,
    folds: int = DEFAULT_FOLDS,
    seed: int = 0,
    learner: str = "auto",
) -> list[SweetSpot]:
    """Sweet spots of every configuration, with held-out MAPEs of both models."""
    means = point_means(runs)
    points = sorted({(a, b) for a, b in means.select("input_length", "output_length").rows()})
    if len(points) < 6:
        raise PimpError(
            f"{len(points)} grid points measured: the analytical model needs 6 or more "
            "(5 parameters and a point to hold out)"
        )
    results = {g.key: _geometry(g, means, runs) for g in groups}
    scores = _held_out(runs, means, groups, points, folds, seed, learner)
    for key, (analytical, learned, count) in scores.items():
        spot = results[key]
        spot.mape_analytical, spot.mape_learned, spot.held_out = analytical, learned, count
    return [results[g.key] for g in groups]


def _geometry(group: Group, means: pl.DataFrame, runs: pl.DataFrame) -> SweetSpot:
    rows = means.filter(pl.col("group") == group.key)
    inputs = sorted(int(v) for v in rows["input_length"].unique())
    outputs = sorted(int(v) for v in rows["output_length"].unique())
    measured = np.full((len(inputs), len(outputs)), np.nan)
    for n_in, n_out, value in rows.select("input_length", "output_length", "j_per_token").rows():
        measured[inputs.index(int(n_in)), outputs.index(int(n_out))] = value
    own = runs.filter(pl.col("group") == group.key)
    fit = fit_quadratic(
        own["input_length"].to_numpy(), own["output_length"].to_numpy(), own["energy_j"].to_numpy()
    )
    grid_in, grid_out = np.meshgrid(inputs, outputs, indexing="ij")
    fitted = (fit.predict(grid_in.ravel(), grid_out.ravel()) / grid_out.ravel()).reshape(
        grid_in.shape
    )
    best_measured = {}
    for i, n_in in enumerate(inputs):
        row = measured[i]
        if np.isfinite(row).any():
            best_measured[n_in] = outputs[int(np.nanargmin(row))]
    return SweetSpot(
        group=group,
        inputs=inputs,
        outputs=outputs,
        measured=measured,
        fitted=fitted,
        theta=fit.theta,
        best_output={n_in: fit.best_output(n_in) for n_in in inputs},
        best_measured=best_measured,
    )


def _held_out(
    runs: pl.DataFrame,
    means: pl.DataFrame,
    groups: Sequence[Group],
    points: list[tuple[float, float]],
    folds: int,
    seed: int,
    learner: str,
) -> dict[str, tuple[float, float, int]]:
    """Fold over grid points: both models fitted without a fold's points predict them.
    Returns, per configuration, the analytical and learned MAPEs and the points held out."""
    order = list(points)
    random.Random(seed).shuffle(order)
    k = max(2, min(folds, len(order)))
    fold_of = {p: i % k for i, p in enumerate(order)}
    encoded = group_features(groups)
    actual: dict[str, list[float]] = {g.key: [] for g in groups}
    by_model: dict[str, dict[str, list[float]]] = {
        "analytical": {g.key: [] for g in groups},
        "learned": {g.key: [] for g in groups},
    }
    run_fold = np.array([fold_of[(a, b)] for a, b in runs.select(
        "input_length", "output_length").rows()])  # fmt: skip
    mean_fold = np.array([fold_of[(a, b)] for a, b in means.select(
        "input_length", "output_length").rows()])  # fmt: skip
    for fold in range(k):
        train = runs.filter(pl.Series(run_fold != fold))
        test = means.filter(pl.Series(mean_fold == fold))
        if train.is_empty() or test.is_empty():
            continue
        model = make_learner(learner, seed)
        model.fit(_features(train, encoded), train["energy_j"].to_numpy())
        learned = np.asarray(model.predict(_features(test, encoded)), dtype=float)
        for index, key in enumerate(test["group"].to_list()):
            own = train.filter(pl.col("group") == key)
            if len(own.unique(["input_length", "output_length"])) < 5:
                continue
            fit = fit_quadratic(
                own["input_length"].to_numpy(),
                own["output_length"].to_numpy(),
                own["energy_j"].to_numpy(),
            )
            row = test.row(index, named=True)
            actual[key].append(row["energy_j"])
            at = (np.array([row["input_length"]]), np.array([row["output_length"]]))
            by_model["analytical"][key].append(float(fit.predict(*at)[0]))
            by_model["learned"][key].append(float(learned[index]))
    scores = {}
    for key, values in actual.items():
        if values:
            truth = np.array(values)
            scores[key] = (
                mape(truth, np.array(by_model["analytical"][key])),
                mape(truth, np.array(by_model["learned"][key])),
                len(values),
            )
    return scores
