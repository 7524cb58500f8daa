"""A Gaussian process with one length scale per option (ARD), written for small tabular data.

Why our own: scikit-learn's GP optimiser spends tens of seconds on 130 rows x 17 options; this one
computes the exact gradient with one tensor contraction, bounds the optimiser's iterations, and
gives closed-form leave-one-out predictions that the `auto` learner uses to weigh its members
without refitting. On large tables the hyperparameters are learned on a random subset of rows
(the marginal likelihood's cost grows with rows cubed, its memory with rows squared times
options), while the posterior conditions on every row. Where even that subset times the options
is dear, a pilot fit on fewer rows picks the kernel and the options whose length scales say they
matter (ARD screens its own inputs), and only those enter the full fit.

SciPy is imported inside the functions that use it: a stored predictor of another learner then
answers a query without paying for its import.
"""

from __future__ import annotations

from typing import Any

import numpy as np

_JITTER = 1e-8
PILOT_ITERATIONS = 60
"""Optimiser iterations of a screening pilot: its length scales only rank the options, and by 60
they rank them as they do at the end (150 would triple its cost)."""


class GaussianProcess:
    """Stationary ARD kernel + white noise on standardised inputs, constant mean.

    `kernel` is "rbf" (squared exponential: smooth responses) or "matern32" / "matern52"
    (rougher: responses that jump between option settings, as on binary options).
    `robust` gives rows whose leave-one-out residual is far outside the others (beyond three
    robust standard deviations) a proportionally larger noise, so one bad measurement does not
    bend the fit around it.

    Hyperparameters maximise the marginal likelihood from `restarts + 1` starting points (the
    first one `start` when given, as `log_params_` holds them, else fixed; the others drawn from
    `seed`), on at most `max_fit_rows` rows drawn from `seed`.
    """

    def __init__(
        self,
        restarts: int = 1,
        seed: int = 0,
        maxiter: int = 150,
        max_fit_rows: int = 400,
        kernel: str = "rbf",
        robust: bool = False,
        start: np.ndarray | None = None,
    ) -> None:
        if kernel not in _PROFILES:
            raise ValueError(f"unknown kernel {kernel!r}: one of {', '.join(_PROFILES)}")
        self.kernel = kernel
        self.robust = robust
        self.restarts = restarts
        self.seed = seed
        self.maxiter = maxiter
        self.max_fit_rows = max_fit_rows
        self.start = start

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
        # Length scales of 3 standard deviations, longer beyond 20 options: the scaled distance
        # between rows grows with the options, and where every row looks unrelated to every
        # other the likelihood is flat and the optimiser cannot leave.
        first = np.r_[np.full(d, np.log(3.0 * max(1.0, np.sqrt(d / 20)))), 0.0, np.log(1e-2)]
        if self.start is not None:
            first = np.r_[self.start[:-2][self.keep_], self.start[-2:]]
        starts = [first]
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
        theta = best.x  # type: ignore[union-attr]
        self.neg_log_likelihood_ = float(best.fun)  # type: ignore[union-attr]
        self.length_scales_ = np.exp(theta[:d])
        self.signal_var_ = float(np.exp(theta[d]))
        self.noise_var_ = float(np.exp(theta[d + 1]))
        # Log length scale of every input column (a constant one: the longest, it told nothing),
        # log signal and log noise variance: a warm start for `start`, a ranking for screening.
        log_scales = np.full(len(self.keep_), bounds[0][1])
        log_scales[self.keep_] = theta[:d]
        self.log_params_ = np.r_[log_scales, theta[d:]]
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
        inverse_diag = np.diag(_inverse(self.chol_[0]))
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
        # k K⁻¹ kᵀ row by row is the squared norm of L⁻¹ kᵀ (K = L Lᵀ).
        w = _solve_lower(self.chol_[0], k.T)
        var = np.maximum(self.signal_var_ - np.sum(w * w, axis=0), 0.0) + self.noise_var_
        return mean, np.sqrt(var) * self.y_scale_


class LikeliestKernelGP:
    """One process per kernel; keeps the one with the highest marginal likelihood (type-II
    maximum likelihood chooses the kernel's shape as it chooses its length scales).

    When the hyperparameter fit would cost more than `screen_above` (fit rows squared times
    options), a pilot on `pilot_cost / options` rows, squared, chooses the kernel and keeps the
    options with the shortest length scales, as many as the budget allows; `warm()` gives an
    unfitted copy that refits only the chosen kernel and options from the fitted
    hyperparameters (cross-validation folds: one optimiser run each).
    """

    def __init__(
        self,
        restarts: int = 1,
        seed: int = 0,
        robust: bool = False,
        kernel: str | None = None,
        start: np.ndarray | None = None,
        columns: np.ndarray | None = None,
        screen_above: float = 4e6,
        pilot_cost: float = 1e6,
    ) -> None:
        self.restarts = restarts
        self.seed = seed
        self.robust = robust
        self.kernel = kernel
        self.start = start
        self.columns = columns
        self.screen_above = screen_above
        self.pilot_cost = pilot_cost

    def fit(self, x: np.ndarray, y: np.ndarray) -> LikeliestKernelGP:
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        kernels, start, self.columns_ = self._plan(x, y)
        z = x[:, self.columns_]
        # Each kernel from the same start picks the shape; the random restarts then search
        # only the likeliest one, from its optimum on: a third of the optimiser runs.
        fits = [
            GaussianProcess(0, self.seed, kernel=kernel, robust=self.robust, start=start)
            .learn(z, y)
            for kernel in kernels
        ]  # fmt: skip
        best = min(fits, key=lambda gp: gp.neg_log_likelihood_)
        if start is None and self.restarts:
            best = GaussianProcess(
                self.restarts, self.seed, kernel=best.kernel, robust=self.robust,
                start=best.log_params_,
            ).learn(z, y)  # fmt: skip
        self.best_ = best.condition()
        self.kernel_ = self.best_.kernel
        self.loo_mean_ = self.best_.loo_mean_
        return self

    def _plan(self, x: np.ndarray, y: np.ndarray) -> tuple[list[str], np.ndarray | None, Any]:
        """(kernels to try, warm start, columns): given, all of them, or the pilot's choice."""
        every = np.arange(x.shape[1])
        if self.kernel is not None:
            columns = every if self.columns is None else self.columns
            return [self.kernel], self.start, columns
        fit_rows = min(len(y), GaussianProcess().max_fit_rows)
        if fit_rows**2 * x.shape[1] <= self.screen_above:
            return list(_PROFILES), None, every
        pilot_rows = min(max(int(np.sqrt(self.pilot_cost / x.shape[1])), 2), len(y))
        rows = np.random.default_rng(self.seed).choice(len(y), pilot_rows, replace=False)
        pilots = [
            GaussianProcess(0, self.seed, maxiter=PILOT_ITERATIONS, kernel=kernel).learn(
                x[rows], y[rows]
            )
            for kernel in _PROFILES
        ]
        pilot = min(pilots, key=lambda gp: gp.neg_log_likelihood_)
        room = max(int(self.screen_above // fit_rows**2), 1)
        ranked = np.argsort(pilot.log_params_[:-2], kind="stable")
        columns = np.sort(ranked[:room])
        # Its hyperparameters are no start: fitted on fewer rows, its noise may be too small
        # for the kernel on every row to be factorised.
        return [pilot.kernel], None, columns

    def warm(self) -> LikeliestKernelGP:
        """An unfitted process on the fitted kernel and options, starting where this one ended."""
        return LikeliestKernelGP(
            0, self.seed, self.robust, self.kernel_, self.best_.log_params_, self.columns_
        )

    def predict(self, x: np.ndarray, return_std: bool = False):
        return self.best_.predict(np.asarray(x, dtype=float)[:, self.columns_], return_std)


NUMPY_SOLVE_ROWS = 600
"""Up to this many training rows a posterior variance is solved with numpy (a general solve,
milliseconds at this size): a stored predictor then answers without importing scipy.linalg,
whose import costs half a second. scipy's triangular solve beyond."""


def _solve_lower(factor: np.ndarray, b: np.ndarray) -> np.ndarray:
    """L⁻¹ b for the lower Cholesky factor held in `factor` (cho_factor leaves the upper
    triangle unspecified)."""
    if factor.shape[0] <= NUMPY_SOLVE_ROWS:
        return np.linalg.solve(np.tril(factor), b)
    from scipy.linalg import solve_triangular

    return solve_triangular(factor, b, lower=True)


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


def _inverse(lower: np.ndarray) -> np.ndarray:
    """The symmetric inverse of L L^T from its lower Cholesky factor (LAPACK potri: a third of
    the work of solving against the identity)."""
    from scipy.linalg import lapack

    inverse, info = lapack.dpotri(lower, lower=True)
    if info != 0:
        raise np.linalg.LinAlgError(f"potri failed ({info})")
    inverse = np.tril(inverse)
    return inverse + np.tril(inverse, -1).T


def _neg_log_likelihood(theta: np.ndarray, sq: np.ndarray, t: np.ndarray, kernel: str):
    """Negative log marginal likelihood (without the constant) and its gradient.

    The optimiser calls it hundreds of times on small matrices, where the checks of scipy.linalg's
    wrappers cost more than the factorisation: LAPACK is called directly (potrf, potrs, potri),
    and the gradient's contraction over row pairs is one matrix-vector product."""
    from scipy.linalg import lapack

    n, _, d = sq.shape
    pairs = sq.reshape(n * n, d)
    ls2 = np.exp(2.0 * theta[:d])
    signal, noise = np.exp(theta[d]), np.exp(theta[d + 1])
    profile, slope = _PROFILES[kernel](pairs @ (1.0 / ls2))
    kf = signal * profile.reshape(n, n)
    k = kf.copy()
    k.flat[:: n + 1] += noise + _JITTER
    chol, info = lapack.dpotrf(k, lower=1, clean=1, overwrite_a=1)
    if info != 0:
        return 1e10, np.zeros_like(theta)
    alpha, _ = lapack.dpotrs(chol, t, lower=1)
    inverse = _inverse(chol)
    value = 0.5 * t @ alpha + np.log(np.diag(chol)).sum()
    if not np.isfinite(value):
        return 1e10, np.zeros_like(theta)
    w = np.outer(alpha, alpha) - inverse
    grad = np.empty_like(theta)
    grad[:d] = -0.5 * ((w * (signal * slope.reshape(n, n))).ravel() @ pairs) / ls2
    grad[d] = -0.5 * (w * kf).sum()
    grad[d + 1] = -0.5 * np.trace(w) * noise
    return value, grad
