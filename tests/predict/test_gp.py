"""The Gaussian process: exact likelihood gradients for every kernel, and large tables fitted on
a subset of rows while the posterior still conditions on all of them."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import check_grad

from pimp_tui.predict.gp import _PROFILES, GaussianProcess, LikeliestKernelGP, _neg_log_likelihood


@pytest.mark.parametrize("kernel", sorted(_PROFILES))
def test_likelihood_gradient_matches_finite_differences(kernel: str) -> None:
    rng = np.random.default_rng(3)
    z = rng.normal(size=(20, 3))
    t = rng.normal(size=20)
    sq = (z[:, None, :] - z[None, :, :]) ** 2
    theta = np.r_[rng.normal(0.0, 0.3, 3), 0.2, np.log(0.05)]

    def value(a: np.ndarray) -> float:
        return _neg_log_likelihood(a, sq, t, kernel)[0]

    def gradient(a: np.ndarray) -> np.ndarray:
        return _neg_log_likelihood(a, sq, t, kernel)[1]

    assert check_grad(value, gradient, theta) < 1e-4 * np.linalg.norm(gradient(theta))


@pytest.mark.parametrize("kernel", sorted(_PROFILES))
def test_each_kernel_learns_a_smooth_response(kernel: str) -> None:
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (60, 2))
    y = np.sin(3 * x[:, 0]) + x[:, 1] ** 2
    test = rng.uniform(0, 1, (200, 2))
    truth = np.sin(3 * test[:, 0]) + test[:, 1] ** 2
    gp = GaussianProcess(kernel=kernel).fit(x, y)
    assert np.max(np.abs(gp.predict(test) - truth)) < 0.1


def test_a_large_table_learns_hyperparameters_on_a_subset_but_conditions_on_every_row() -> None:
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 1, (300, 2))
    y = np.sin(4 * x[:, 0]) * np.cos(3 * x[:, 1])
    gp = GaussianProcess(max_fit_rows=60).fit(x, y)
    assert gp.z_train_.shape[0] == 300
    assert np.max(np.abs(gp.predict(x) - y)) < 0.02  # interpolates rows outside the subset too


def test_unknown_kernel_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown kernel"):
        GaussianProcess(kernel="periodic")


def test_robust_fit_is_not_bent_by_one_corrupted_row() -> None:
    rng = np.random.default_rng(2)
    x = rng.uniform(0, 1, (40, 2))
    y = x[:, 0] + 0.5 * x[:, 1]
    corrupted = y.copy()
    corrupted[7] += 3.0  # one broken measurement
    test = x[7:8] + 0.02
    truth = test[:, 0] + 0.5 * test[:, 1]
    plain = GaussianProcess(kernel="matern52").fit(x, corrupted)
    robust = GaussianProcess(kernel="matern52", robust=True).fit(x, corrupted)
    assert abs(robust.predict(test) - truth)[0] < abs(plain.predict(test) - truth)[0]
    assert abs(robust.predict(test) - truth)[0] < 0.3


def test_likeliest_kernel_is_one_of_the_kernels_and_predicts_with_it() -> None:
    rng = np.random.default_rng(4)
    x = rng.integers(0, 2, (50, 5)).astype(float)
    y = x @ np.array([1.0, -0.5, 0.3, 0.0, 0.2]) + 0.8 * x[:, 0] * x[:, 1]
    gp = LikeliestKernelGP(seed=1).fit(x, y)
    assert gp.kernel_ in _PROFILES
    assert np.allclose(gp.predict(x), gp.best_.predict(x))
    assert np.max(np.abs(gp.predict(x) - y)) < 0.1


def test_squared_distances_in_numpy_agree_with_cdist_to_the_bit(monkeypatch) -> None:
    """Small products go through numpy, large ones through cdist: a row predicts the same
    whether it is asked alone or in a large batch."""
    from scipy.spatial.distance import cdist

    from pimp_tui.predict import gp

    monkeypatch.setattr(gp, "SMALL_DISTANCES", 10**12)  # numpy for every size
    rng = np.random.default_rng(4)
    for rows, options in ((1, 7), (30, 40), (300, 100)):
        a, b = rng.normal(size=(rows, options)), rng.normal(size=(90, options))
        np.testing.assert_array_equal(gp.squared_distances(a, b), cdist(a, b, "sqeuclidean"))


def test_posterior_spread_in_numpy_agrees_with_scipy(monkeypatch) -> None:
    """A stored process answers with numpy's solve on a few hundred rows and with scipy's
    triangular solve beyond: the same spread either way."""
    from pimp_tui.predict import gp

    rng = np.random.default_rng(5)
    x = rng.integers(0, 2, (80, 6)).astype(float)
    y = x @ [1.0, -0.5, 0.3, 0.0, 0.2, 0.0] + rng.normal(0, 0.05, 80)
    model = LikeliestKernelGP(seed=0).fit(x[:60], y[:60])
    _, with_numpy = model.predict(x[60:], return_std=True)
    monkeypatch.setattr(gp, "NUMPY_SOLVE_ROWS", 0)
    _, with_scipy = model.predict(x[60:], return_std=True)
    np.testing.assert_allclose(with_numpy, with_scipy, rtol=1e-9)
    assert np.all(with_numpy > 0)


def test_a_wide_table_keeps_the_options_that_matter() -> None:
    """A pilot on few rows screens the options: the two that drive the target stay, most of
    the others go, and the fit on the kept ones still predicts."""
    rng = np.random.default_rng(4)
    x = rng.integers(0, 2, (300, 80)).astype(float)
    y = 2.0 * x[:, 3] - 1.5 * x[:, 7] + x[:, 3] * x[:, 7] + rng.normal(0, 0.05, 300)
    gp = LikeliestKernelGP(seed=0, screen_above=1e6, pilot_cost=2e5).fit(x[:250], y[:250])
    assert {3, 7} <= set(gp.columns_.tolist()) and len(gp.columns_) < 20
    assert np.mean(np.abs(gp.predict(x[250:]) - y[250:])) < 0.15


def test_warm_refit_keeps_the_kernel_and_options_and_starts_where_the_fit_ended() -> None:
    rng = np.random.default_rng(5)
    x = rng.uniform(0, 1, (40, 3))
    y = np.sin(3 * x[:, 0]) + x[:, 1]
    full = LikeliestKernelGP(restarts=2, seed=0).fit(x, y)
    fold = full.warm().fit(x[:30], y[:30])
    assert fold.kernel_ == full.kernel_
    assert np.array_equal(fold.columns_, full.columns_)
    # on the same rows the warm start is already the optimum
    again = full.warm().fit(x, y)
    assert again.best_.neg_log_likelihood_ == pytest.approx(full.best_.neg_log_likelihood_, 1e-3)
