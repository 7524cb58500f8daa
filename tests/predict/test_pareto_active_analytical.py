"""Pareto fronts, active learning and the analytical energy model."""

from __future__ import annotations

import numpy as np

from pimp_tui.predict.active import next_batch
from pimp_tui.predict.analytical import fit_energy_model
from pimp_tui.predict.pareto import pareto_front, pareto_mask


def test_front_keeps_only_non_dominated_points() -> None:
    points = [[1, 0.5], [2, 0.9], [3, 0.8], [1.5, 0.4]]
    assert pareto_front(points, maximise=[False, True]) == [0, 1]
    assert pareto_mask([[1, 1, 1], [2, 2, 2], [0, 3, 1]]).tolist() == [True, False, True]


class Fake:
    log_ = False

    def predict(self, x):
        return np.asarray(x)[:, 0]

    def uncertainty(self, x):
        return np.asarray(x)[:, 1]


def test_next_proposes_the_most_uncertain_and_the_most_promising() -> None:
    x = np.array([[5.0, 0.1], [5.0, 3.0], [1.0, 0.1], [5.0, 3.0]])
    assert next_batch(Fake(), x, best=2.0, k=2, strategy="uncertainty") == [1, 0]
    assert next_batch(Fake(), x, best=2.0, k=1, strategy="ei") == [2]


def test_energy_model_recovers_its_coefficients_and_sweet_spot() -> None:
    theta = np.array([0.001, 0.002, 0.05, 0.0005, 2.0])
    n_in, n_out = np.meshgrid([32, 64, 128, 256], [8, 16, 32, 64, 128])
    n_in, n_out = n_in.ravel(), n_out.ravel()
    energy = np.column_stack([n_in**2, n_in * n_out, n_in, n_out**2, np.ones(len(n_in))]) @ theta
    fit = fit_energy_model(n_in, n_out, energy)
    assert np.allclose(fit.theta, theta) and fit.mape < 1e-6
    outs = np.arange(1, 201)
    per_token = fit.predict(np.full(200, 64), outs) / outs
    assert fit.sweet_spot(64, 200) == int(outs[np.argmin(per_token)])
