"""Efficiency sweet spots over a `lengths` campaign.

Per configuration, the analytical energy model (`predict.analytical`),
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

import random
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from pimp_tui.errors import PimpError
from pimp_tui.predict.analytical import fit_energy_model
from pimp_tui.predict.learners import make_learner
from pimp_tui.workload.models import features, group_features
from pimp_tui.workload.runs import Group

DEFAULT_FOLDS = 4


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
    fit = fit_energy_model(
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
        model.fit(features(train, encoded), train["energy_j"].to_numpy())
        learned = np.asarray(model.predict(features(test, encoded)), dtype=float)
        for index, key in enumerate(test["group"].to_list()):
            own = train.filter(pl.col("group") == key)
            if len(own.unique(["input_length", "output_length"])) < 5:
                continue
            fit = fit_energy_model(
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
