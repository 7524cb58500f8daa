"""A Gaussian process with one length scale per option (ARD), written for small tabular data.

Why our own: scikit-learn's GP optimiser spends tens of seconds on 130 rows x 17 options; this one
computes the exact gradient with one tensor contraction, bounds the optimiser's iterations, and
gives closed-form leave-one-out predictions that the `auto` learner uses to weigh its members
without refitting. On large tables the hyperparameters are learned on a random subset of rows
(the marginal likelihood's cost grows with rows cubed, its memory with rows squared times
options), while the posterior conditions on every row.

SciPy is imported inside the functions that use it: a stored predictor of another learner then
answers a query without paying for its import.
"""

from __future__ import annotations

import numpy as np

_JITTER = 1e-8


class GaussianProcess:
    """Stationary ARD kernel + white noise on standardised inputs, constant mean.

    `kernel` is "rbf" (squared exponential: smooth responses) or "matern32" / "matern52"
    (rougher: responses that jump between option settings, as on binary options).
    `robust` gives rows whose leave-one-out residual is far outside the others (beyond three
    robust standard deviations) a proportionally larger noise, so one bad measurement does not
    bend the fit around it.

    Hyperparameters maximise the marginal likelihood from `restarts + 1` starting points (the
    first one fixed, the others drawn from `seed`), on at most `max_fit_rows` rows drawn from
    `seed`.
    """

    def __init__(
        self,
        restarts: int = 1,
        seed: int = 0,
        maxiter: int = 150,
        max_fit_rows: int = 400,
        kernel: str = "rbf",
        robust: bool = False,
    ) -> None:
        if kernel not in _PROFILES:
            raise ValueError(f"unknown kernel {kernel!r}: one of {', '.join(_PROFILES)}")
        self.kernel = kernel
        self.robust = robust
        self.restarts = restarts
        self.seed = seed
        self.maxiter = maxiter
        self.max_fit_rows = max_fit_rows

    def fit(self, x: np.ndarray, y: np.ndarray) -> GaussianProcess:
        return self.learn(x, y).condition()

    def learn(self, x: np.ndarray, y: np.ndarray) -> GaussianProcess:
        """Hyperparameters only (`neg_log_likelihood_`); `condition()` then gives the posterior."""
        from scipy.optimize import minimize

        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        self.x_mean_ = x.mean(axis=0)
        scale = x.std(axis=0)
        self.keep_ = scale > 1e-12
        self.x_scale_ = np.where(self.keep_, scale, 1.0)
        z = self._standardise(x)
        self.y_mean_ = float(y.mean())
        self.y_scale_ = float(y.std()) or 1.0
        t = (y - self.y_mean_) / self.y_scale_
        d = z.shape[1]
        rng = np.random.default_rng(self.seed)
        rows = np.arange(len(t))
        if len(t) > self.max_fit_rows:
            rows = np.sort(rng.choice(len(t), self.max_fit_rows, replace=False))
        sq = (z[rows, None, :] - z[None, rows, :]) ** 2
        starts = [np.r_[np.full(d, np.log(3.0)), 0.0, np.log(1e-2)]]
        for _ in range(self.restarts):
            starts.append(
                np.r_[
                    rng.uniform(np.log(0.5), np.log(20.0), d),
                    rng.uniform(-1.0, 1.0),
                    rng.uniform(np.log(1e-4), np.log(1e-1)),
                ]
            )
        bounds = [(np.log(0.05), np.log(1e3))] * d + [
            (np.log(1e-3), np.log(1e2)),
            (np.log(1e-6), 0.0),
        ]
        best = None
        for start in starts:
            result = minimize(
                _neg_log_likelihood, start, args=(sq, t[rows], self.kernel), jac=True,
                method="L-BFGS-B", bounds=bounds, options={"maxiter": self.maxiter},
            )  # fmt: skip
            if best is None or result.fun < best.fun:
                best = result
        theta = best.x
        self.neg_log_likelihood_ = float(best.fun)
        self.length_scales_ = np.exp(theta[:d])
        self.signal_var_ = float(np.exp(theta[d]))
        self.noise_var_ = float(np.exp(theta[d + 1]))
        self.z_train_ = z
        self.t_train_ = t
        return self

    def condition(self) -> GaussianProcess:
        """The posterior on every training row, after `learn`."""
        k = self._kernel(self.z_train_)
        t = self.t_train_
        self._condition(k, t, np.full(len(t), self.noise_var_))
        if self.robust:
            residual = (self.loo_mean_ - self.y_mean_) / self.y_scale_ - t
            spread = 1.4826 * np.median(np.abs(residual - np.median(residual))) + 1e-12
            weight = np.maximum(1.0, (np.abs(residual) / (3.0 * spread)) ** 2)
            self._condition(k, t, self.noise_var_ * weight)
        return self

    def _condition(self, k: np.ndarray, t: np.ndarray, noise: np.ndarray) -> None:
        """Posterior on the training rows with per-row noise, and its closed-form leave-one-out
        predictions."""
        from scipy.linalg import cho_factor, cho_solve

        k = k.copy()
        k[np.diag_indices_from(k)] += noise + _JITTER
        self.chol_ = cho_factor(k, lower=True)
        self.alpha_ = cho_solve(self.chol_, t)
        inverse_diag = np.diag(cho_solve(self.chol_, np.eye(len(t))))
        self.loo_mean_ = (t - self.alpha_ / inverse_diag) * self.y_scale_ + self.y_mean_
        self.loo_std_ = np.sqrt(1.0 / inverse_diag) * self.y_scale_

    def _standardise(self, x: np.ndarray) -> np.ndarray:
        return ((np.asarray(x, dtype=float) - self.x_mean_) / self.x_scale_)[:, self.keep_]

    def _kernel(self, z: np.ndarray) -> np.ndarray:
        """Kernel between standardised rows `z` and the training rows."""
        sq = squared_distances(z / self.length_scales_, self.z_train_ / self.length_scales_)
        return self.signal_var_ * _PROFILES[self.kernel](sq)[0]

    def predict(self, x: np.ndarray, return_std: bool = False):
        k = self._kernel(self._standardise(x))
        mean = k @ self.alpha_ * self.y_scale_ + self.y_mean_
        if not return_std:
            return mean
        from scipy.linalg import cho_solve

        v = cho_solve(self.chol_, k.T)
        var = np.maximum(self.signal_var_ - np.einsum("ij,ji->i", k, v), 0.0) + self.noise_var_
        return mean, np.sqrt(var) * self.y_scale_


class LikeliestKernelGP:
    """One process per kernel; keeps the one with the highest marginal likelihood (type-II
    maximum likelihood chooses the kernel's shape as it chooses its length scales)."""

    def __init__(self, restarts: int = 1, seed: int = 0, robust: bool = False) -> None:
        self.restarts = restarts
        self.seed = seed
        self.robust = robust

    def fit(self, x: np.ndarray, y: np.ndarray) -> LikeliestKernelGP:
        fits = [
            GaussianProcess(self.restarts, self.seed, kernel=kernel, robust=self.robust).learn(x, y)
            for kernel in _PROFILES
        ]
        self.best_ = min(fits, key=lambda gp: gp.neg_log_likelihood_).condition()
        self.kernel_ = self.best_.kernel
        self.loo_mean_ = self.best_.loo_mean_
        return self

    def predict(self, x: np.ndarray, return_std: bool = False):
        return self.best_.predict(x, return_std=return_std)


SMALL_DISTANCES = 1_000_000
"""Rows times rows times options up to which numpy computes squared distances (a query of a few
rows then needs no scipy.spatial, whose import costs more than the work); cdist beyond."""


def squared_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Squared Euclidean distance between every row of `a` and every row of `b`. Both ways add
    the options' squared differences one option after the other, so they agree to the bit."""
    if a.shape[0] * b.shape[0] * a.shape[1] > SMALL_DISTANCES:
        from scipy.spatial.distance import cdist

        return cdist(a, b, "sqeuclidean")
    out = np.zeros((a.shape[0], b.shape[0]))
    for option in range(a.shape[1]):
        difference = np.subtract.outer(a[:, option], b[:, option])
        out += difference * difference
    return out


def _rbf(r2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    k = np.exp(-0.5 * r2)
    return k, k


def _matern32(r2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a = np.sqrt(3.0 * r2)
    e = np.exp(-a)
    return (1.0 + a) * e, 3.0 * e


def _matern52(r2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a = np.sqrt(5.0 * r2)
    e = np.exp(-a)
    return (1.0 + a + 5.0 * r2 / 3.0) * e, (5.0 / 3.0) * (1.0 + a) * e


_PROFILES = {"rbf": _rbf, "matern32": _matern32, "matern52": _matern52}
"""Kernel profile of the scaled squared distance r2, and the factor g with
d k / d log(l_i) = g * (dx_i / l_i)^2 (the same form for all three)."""


def _neg_log_likelihood(theta: np.ndarray, sq: np.ndarray, t: np.ndarray, kernel: str):
    """Negative log marginal likelihood (without the constant) and its gradient."""
    from scipy.linalg import cho_factor, cho_solve

    n, _, d = sq.shape
    ls2 = np.exp(2.0 * theta[:d])
    signal, noise = np.exp(theta[d]), np.exp(theta[d + 1])
    profile, slope = _PROFILES[kernel](sq @ (1.0 / ls2))
    kf = signal * profile
    k = kf.copy()
    k[np.diag_indices_from(k)] += noise + _JITTER
    try:
        chol = cho_factor(k, lower=True)
    except np.linalg.LinAlgError:
        return 1e10, np.zeros_like(theta)
    alpha = cho_solve(chol, t)
    inverse = cho_solve(chol, np.eye(n))
    value = 0.5 * t @ alpha + np.log(np.diag(chol[0])).sum()
    w = np.outer(alpha, alpha) - inverse
    grad = np.empty_like(theta)
    grad[:d] = -0.5 * np.einsum("ij,ijk->k", w * (signal * slope), sq) / ls2
    grad[d] = -0.5 * (w * kf).sum()
    grad[d + 1] = -0.5 * np.trace(w) * noise
    return value, grad
