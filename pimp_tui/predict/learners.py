"""Learners behind one scikit-learn-style interface: parameters in `__init__`, explicit seeds,
`fit(x, y)`, `predict(x)`, and `predict_interval(x, level)` so every prediction comes with an
uncertainty.

Performance targets of configurable systems are positive and multiplicative (an option scales
the run time), and the error users care about is relative; so every learner can fit
log(y) (`log_target="auto"`: when all targets are positive) and predicts exp of its estimate,
the median, which is what minimises relative error.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable
from statistics import NormalDist

import numpy as np
from threadpoolctl import threadpool_limits

from pimp_tui.errors import PimpError
from pimp_tui.predict.gp import LikeliestKernelGP


def _z(level: float) -> float:
    # The standard library's quantile: scipy.stats would cost a query a second of imports.
    return NormalDist().inv_cdf(0.5 + level / 2.0)


class Learner:
    """Base: the log transform, intervals from a per-row standard deviation in fitted space."""

    log_target: str | bool = "auto"
    bounds: tuple[float, float] | None = None
    """Where the target lives (accuracy: 0..1): predictions and intervals are clipped to it."""

    def fit(self, x, y) -> Learner:
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        if len(y) < 2:
            raise PimpError(f"{len(y)} training row(s): at least 2 are needed")
        if not (np.isfinite(x).all() and np.isfinite(y).all()):
            raise PimpError("training rows hold a missing or infinite value")
        self.log_ = bool(np.all(y > 0)) if self.log_target == "auto" else bool(self.log_target)
        if self.log_ and np.any(y <= 0):
            raise PimpError("a log-transformed target must be positive")
        self.n_features_in_ = x.shape[1]
        # Small matrices: threaded BLAS only adds contention (20x slower on a busy 2-core box).
        with threadpool_limits(limits=1):
            self._fit(x, np.log(y) if self.log_ else y)
        return self

    def predict(self, x) -> np.ndarray:
        with threadpool_limits(limits=1):
            mean, _ = self._predict(np.asarray(x, dtype=float))
        return self._clip(np.exp(mean) if self.log_ else mean)

    def _clip(self, values: np.ndarray) -> np.ndarray:
        return values if self.bounds is None else np.clip(values, *self.bounds)

    def predict_interval(self, x, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
        """Central `level` interval of each prediction (ensemble spread or GP posterior, plus the
        cross-validated residual scale)."""
        with threadpool_limits(limits=1):
            mean, std = self._predict(np.asarray(x, dtype=float))
        half = _z(level) * std
        low, high = mean - half, mean + half
        if self.log_:
            low, high = np.exp(low), np.exp(high)
        return self._clip(low), self._clip(high)

    def uncertainty(self, x) -> np.ndarray:
        """Standard deviation of each prediction in fitted space (log space when log_)."""
        with threadpool_limits(limits=1):
            return self._predict(np.asarray(x, dtype=float))[1]

    # Subclasses implement these two on the (possibly log-transformed) target.
    def _fit(self, x: np.ndarray, t: np.ndarray) -> None:
        raise NotImplementedError

    def _predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError


def _cv_residual_scale(model, make: Callable[[], object], x: np.ndarray, t: np.ndarray, seed: int):
    """Root mean squared out-of-fold residual (3 folds) of `model`, fitted on every row: a
    model's honest error scale."""
    from sklearn.model_selection import KFold

    folds = min(3, len(t))
    if len(t) < 6:  # too few rows to hold any out: the spread of the targets is all we know
        return float(np.std(t))
    refit = _refit_maker(model, make)
    oof = np.empty_like(t)
    for train, test in KFold(folds, shuffle=True, random_state=seed).split(x):
        oof[test] = refit().fit(x[train], t[train]).predict(x[test])  # type: ignore[attr-defined]
    return float(np.sqrt(np.mean((oof - t) ** 2)))


def _refit_maker(model, make: Callable[[], object]) -> Callable[[], object]:
    """How to refit `model` on a fold: from its own fitted hyperparameters where it offers
    `warm()` (one optimiser run instead of a search), else afresh."""
    warm = getattr(model, "warm", None)
    return warm if callable(warm) else make


class _SklearnLearner(Learner):
    """A scikit-learn regressor; spread from its members where it has them, else the CV scale."""

    def _make(self):
        raise NotImplementedError

    def _fit(self, x, t):
        self.model_ = self._make().fit(x, t)
        self.scale_ = _cv_residual_scale(self.model_, self._make, x, t, self.seed)

    def _predict(self, x):
        mean = self.model_.predict(x)
        members = getattr(self.model_, "estimators_", None)
        if isinstance(members, list) and members:  # bagged trees: the members disagree
            # Trees predict on float32 (what the forest hands them); validating once, not per
            # tree, keeps a 200-tree forest's spread cheap.
            x32 = np.ascontiguousarray(x, dtype=np.float32)
            spread = np.std([_tree_predict(m, x32) for m in members], axis=0)
            return mean, np.sqrt(spread**2 + self.scale_**2)
        return mean, np.full(len(mean), self.scale_)


def _tree_predict(member, x32):
    try:
        return member.predict(x32, check_input=False)
    except TypeError:  # a member that takes no check_input
        return member.predict(x32)


class RandomForest(_SklearnLearner):
    """Random forest (the paper's learner). 200 trees: the forest's error has stopped moving
    well before, and its cost grows with every tree (3,000 rows x 100 options: 8 s)."""

    def __init__(self, n_estimators: int = 200, seed: int = 0, log_target="auto") -> None:
        self.n_estimators, self.seed, self.log_target = n_estimators, seed, log_target

    def _make(self):
        from sklearn.ensemble import RandomForestRegressor

        return RandomForestRegressor(self.n_estimators, random_state=self.seed)

    def _fit(self, x, t):  # the forest's own spread covers it: no extra CV fits
        self.model_ = self._make().fit(x, t)
        self.scale_ = 0.0


class Cart(_SklearnLearner):
    """One regression tree (DECART's base learner), cost-complexity pruned."""

    def __init__(self, min_samples_leaf: int = 1, seed: int = 0, log_target="auto") -> None:
        self.min_samples_leaf, self.seed, self.log_target = min_samples_leaf, seed, log_target

    def _make(self):
        from sklearn.tree import DecisionTreeRegressor

        return DecisionTreeRegressor(min_samples_leaf=self.min_samples_leaf, random_state=self.seed)


class GradientBoosting(_SklearnLearner):
    """Gradient-boosted shallow trees with row subsampling; strong on small samples."""

    def __init__(
        self,
        n_estimators: int = 500,
        learning_rate: float = 0.05,
        max_depth: int = 3,
        subsample: float = 0.8,
        seed: int = 0,
        log_target="auto",
    ) -> None:
        self.n_estimators, self.learning_rate = n_estimators, learning_rate
        self.max_depth, self.subsample = max_depth, subsample
        self.seed, self.log_target = seed, log_target

    def _make(self):
        return _Boosting(
            self.n_estimators, self.learning_rate, self.max_depth, self.subsample, self.seed
        )


HISTOGRAM_ROWS = 300
"""Beyond this many rows boosting bins each option into a histogram (scikit-learn's
HistGradientBoosting): 3-5x cheaper at 500-3,000 rows for the same error; smaller tables keep
exact splits and row subsampling."""


class _Boosting:
    """Gradient-boosted trees of depth `max_depth`: exact splits on small tables, histograms on
    large ones."""

    def __init__(
        self, n_estimators: int, learning_rate: float, max_depth: int, subsample: float, seed: int
    ) -> None:
        self.n_estimators, self.learning_rate = n_estimators, learning_rate
        self.max_depth, self.subsample, self.seed = max_depth, subsample, seed

    def fit(self, x, t):
        from sklearn import config_context
        from sklearn.ensemble import GradientBoostingRegressor, HistGradientBoostingRegressor

        if len(t) <= HISTOGRAM_ROWS:
            # One row leaves no row out of a subsample, and the out-of-bag loss then divides
            # by zero: such a fit (a fold of a two-row table) uses its row every time.
            subsample = self.subsample if len(t) > 1 else 1.0
            self.model = GradientBoostingRegressor(
                n_estimators=self.n_estimators, learning_rate=self.learning_rate,
                max_depth=self.max_depth, subsample=subsample, random_state=self.seed,
            )  # fmt: skip
        else:
            self.model = HistGradientBoostingRegressor(
                max_iter=self.n_estimators, learning_rate=self.learning_rate,
                max_depth=self.max_depth, min_samples_leaf=5, early_stopping=False,
                random_state=self.seed,
            )  # fmt: skip
        # Histogram boosting runs OpenMP threads; its runtime loads with the module, after
        # `Learner.fit` limited the thread pools, so it is limited again here. Each of the
        # hundreds of trees would check its parameters and inputs again (a quarter of a small
        # table's fit): the ensemble has checked them once.
        with (
            threadpool_limits(limits=1, user_api="openmp"),
            config_context(skip_parameter_validation=True, assume_finite=True),
        ):
            self.model.fit(x, t)
        return self

    def predict(self, x):
        with threadpool_limits(limits=1, user_api="openmp"):
            return self.model.predict(x)


class _UnitRange:
    """Maps each option onto [0, 1] by the training rows' range: Boolean options stay 0/1, and a
    numeric option's pairwise products no longer dwarf the others under one L1 penalty."""

    def fit(self, x: np.ndarray) -> _UnitRange:
        self.low = x.min(axis=0)
        span = x.max(axis=0) - self.low
        self.span = np.where(span > 0, span, 1.0)
        return self

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return (x - self.low) / self.span


PAIRWISE_CELLS = 400_000
"""Rows times candidate terms a pairwise model may search: beyond it, pairs are formed only among
the options with the largest main effects (most interactions involve an option that matters on
its own), at least the `PAIRED_OPTIONS` strongest, so the search's cost stays linear in rows."""
PAIRED_OPTIONS = 16


def _pairwise(x: np.ndarray, terms: list[tuple[int, ...]]) -> np.ndarray:
    """The columns of `terms`: an option alone, or the product of a pair of options."""
    columns = [x[:, t[0]] if len(t) == 1 else x[:, t[0]] * x[:, t[1]] for t in terms]
    return np.column_stack(columns) if columns else np.zeros((len(x), 0))


def _candidate_terms(x: np.ndarray, t: np.ndarray) -> list[tuple[int, ...]]:
    """Options and pairwise products (SPL Conqueror's candidate terms), as many pairs as
    `PAIRWISE_CELLS` allows, among the options with the largest ridge main effects."""
    d = x.shape[1]
    room = max(PAIRWISE_CELLS // max(len(t), 1) - d, 0)
    options = list(range(d))
    if room < d * (d - 1) // 2:
        centred = x - x.mean(axis=0)
        effect = np.linalg.solve(centred.T @ centred + np.eye(d), centred.T @ (t - t.mean()))
        ranked = np.argsort(-np.abs(effect), kind="stable")
        keep = max(int((1 + np.sqrt(1 + 8 * room)) // 2), PAIRED_OPTIONS)  # keep² / 2 ≲ room
        options = sorted(int(i) for i in ranked[:keep])
    return [(i,) for i in range(d)] + list(itertools.combinations(options, 2))


class LinearInteractions(_SklearnLearner):
    """Linear model over options and pairwise interactions, terms added by forward selection
    (orthogonal matching pursuit, the number of terms chosen by cross-validation)."""

    def __init__(self, max_terms: int | None = None, seed: int = 0, log_target="auto") -> None:
        self.max_terms, self.seed, self.log_target = max_terms, seed, log_target

    def _make(self):
        return _ForwardSelection(self.max_terms, self.seed)

    @property
    def terms_(self) -> list[tuple[tuple[int, ...], float]]:
        """Selected terms (option indices) with their coefficients, largest effect first; the
        coefficients are per unit of each option's training range mapped onto [0, 1]."""
        return self.model_.selected_terms()


class _ForwardSelection:
    def __init__(self, max_terms: int | None, seed: int) -> None:
        self.max_terms, self.seed = max_terms, seed

    def fit(self, x, t):
        from sklearn.linear_model import OrthogonalMatchingPursuit, OrthogonalMatchingPursuitCV
        from sklearn.model_selection import KFold

        self.unit = _UnitRange().fit(x)
        self.terms = _candidate_terms(self.unit(x), t)
        z = _pairwise(self.unit(x), self.terms)
        self.keep = z.std(axis=0) > 1e-12
        z = z[:, self.keep]
        n = len(t)
        limit = max(1, min(z.shape[1], n - 2, self.max_terms or n))
        if n >= 6 and z.shape[1] > 1:
            cv = KFold(min(5, n // 2), shuffle=True, random_state=self.seed)
            self.model = OrthogonalMatchingPursuitCV(cv=cv, max_iter=min(limit, n - n // 5 - 1))
        else:
            self.model = OrthogonalMatchingPursuit(n_nonzero_coefs=min(limit, z.shape[1]) or None)
        if z.shape[1] == 0:
            self.model, self.constant = None, float(np.mean(t))
            return self
        with warnings.catch_warnings():
            # Products of options are often linearly dependent (a feature and its parent); the
            # pursuit then stops early by design, which is not worth a warning on the terminal.
            warnings.filterwarnings("ignore", "Orthogonal matching pursuit ended prematurely")
            self.model.fit(z, t)
        return self

    def predict(self, x):
        if self.model is None:
            return np.full(len(x), self.constant)
        return self.model.predict(_pairwise(self.unit(x), self.terms)[:, self.keep])

    def selected_terms(self):
        if self.model is None:
            return []
        kept = [t for t, k in zip(self.terms, self.keep, strict=True) if k]
        pairs = [(kept[i], float(c)) for i, c in enumerate(self.model.coef_) if c != 0.0]
        return sorted(pairs, key=lambda p: -abs(p[1]))


def gp_restarts(rows: int, options: int) -> int:
    """Extra optimiser starts per kernel: the likelihood of a small table has more local optima,
    and each start's gradients cost rows squared times options."""
    size = min(rows, 400) ** 2 * max(options, 1)
    return 6 if size <= 300_000 else 1 if size <= 1_000_000 else 0


class GaussianProcessLearner(Learner):
    """ARD Gaussian process with the likeliest kernel, robust to outlying rows; its posterior
    standard deviation is the uncertainty."""

    def __init__(self, seed: int = 0, log_target="auto") -> None:
        self.seed, self.log_target = seed, log_target

    def _fit(self, x, t):
        gp = LikeliestKernelGP(gp_restarts(*x.shape), self.seed, robust=True)
        self.model_ = gp.fit(x, t)

    def _predict(self, x):
        return self.model_.predict(x, return_std=True)


class Lasso(_SklearnLearner):
    """L1-regularised linear model over options and all pairwise interactions."""

    def __init__(self, seed: int = 0, log_target="auto") -> None:
        self.seed, self.log_target = seed, log_target

    def _make(self):
        return _PairwiseLasso(self.seed)


FIVE_FOLD_CELLS = 12_000
"""Rows times options up to which a learner cross-validates its own choices (the pairwise lasso
its penalty, `auto` its blend) on five folds; beyond, three folds, and two beyond twice as many:
fewer refits keep the fit within seconds, each fold still holding hundreds of rows."""


def own_folds(rows: int, options: int, folds: int = 5) -> int:
    """Folds for a learner's internal cross-validation of a `rows` x `options` table."""
    cells = rows * options
    if cells > FIVE_FOLD_CELLS:
        folds = 3 if cells <= 2 * FIVE_FOLD_CELLS else 2
    return min(folds, rows)


class _PairwiseLasso:
    """Lasso over the candidate terms, its penalty chosen by cross-validation, or given (with
    the terms) by `warm()` for refits on folds of the same rows."""

    def __init__(
        self, seed: int, alpha: float | None = None, terms: list[tuple[int, ...]] | None = None
    ) -> None:
        self.seed, self.alpha, self.terms = seed, alpha, terms

    def fit(self, x, t):
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.linear_model import Lasso, LassoCV
        from sklearn.model_selection import KFold

        self.unit = _UnitRange().fit(x)
        self.terms_ = self.terms if self.terms is not None else _candidate_terms(self.unit(x), t)
        z = _pairwise(self.unit(x), self.terms_)
        with warnings.catch_warnings():
            # The path's smallest penalties may stop short of convergence; cross-validation
            # does not pick them then, so the warning only adds noise to the user's terminal.
            warnings.simplefilter("ignore", ConvergenceWarning)
            if self.alpha is None:
                cv = KFold(own_folds(*x.shape), shuffle=True, random_state=self.seed)
                self.model = LassoCV(cv=cv, max_iter=5000, alphas=50).fit(z, t)
                self.alpha_ = float(self.model.alpha_)
            else:
                self.model = Lasso(alpha=self.alpha, max_iter=5000).fit(z, t)
                self.alpha_ = self.alpha
        return self

    def warm(self) -> _PairwiseLasso:
        """An unfitted copy with this fit's penalty and terms: a fold refit is one path point."""
        return _PairwiseLasso(self.seed, self.alpha_, self.terms_)

    def predict(self, x):
        return self.model.predict(_pairwise(self.unit(x), self.terms_))


class Auto(Learner):
    """The default: an ARD Gaussian process (likeliest kernel, robust to outlying rows), gradient
    boosting and a sparse pairwise linear model, blended with weights chosen on the training rows
    only.

    Each member's out-of-fold predictions (k-fold; closed-form leave-one-out for the GP once
    the rows are plenty) are compared with the training targets, and the convex weights (on a
    0.1 grid) with the least mean absolute error in fitted space (log space: relative error)
    are kept, shrunk towards equal weights as if `prior_rows` more rows had found the members
    equal: weights read off a handful of rows are mostly noise. The uncertainty combines the
    members' disagreement, the GP posterior and the blend's out-of-fold residual scale.
    """

    def __init__(
        self,
        seed: int = 0,
        folds: int = 5,
        shrink: float = 1.0,
        prior_rows: float = 10.0,
        log_target="auto",
    ) -> None:
        self.seed, self.folds, self.shrink, self.log_target = seed, folds, shrink, log_target
        self.prior_rows = prior_rows

    def _members(self, rows: int, options: int) -> dict[str, Callable[[], object]]:
        return {
            "gp": lambda: LikeliestKernelGP(gp_restarts(rows, options), self.seed, robust=True),
            "gbm": lambda: _Boosting(200, 0.1, 3, 0.8, self.seed),
            "lasso": lambda: _PairwiseLasso(self.seed),
        }

    def _fit(self, x, t):
        from sklearn.model_selection import KFold

        makers = self._members(*x.shape)
        self.names_ = list(makers)
        self.models_ = [makers[name]().fit(x, t) for name in self.names_]
        folds = own_folds(*x.shape, self.folds)
        oof = np.empty((len(t), len(self.names_)))
        # Leave-one-out reuses hyperparameters learned on every row, the left-out one included:
        # optimistic with fewer than two rows per hyperparameter (a length scale per option it
        # kept, signal and noise), so there the GP is refitted on folds like the others.
        gp = self.models_[self.names_.index("gp")]
        gp_refits = len(t) < 2 * (len(gp.columns_) + 2)
        for j, (name, model) in enumerate(zip(self.names_, self.models_, strict=True)):
            if name == "gp" and not gp_refits:
                oof[:, j] = model.loo_mean_
                continue
            refit = _refit_maker(model, makers[name])
            for train, test in KFold(folds, shuffle=True, random_state=self.seed).split(x):
                oof[test, j] = refit().fit(x[train], t[train]).predict(x[test])
        trust = len(t) / (len(t) + self.prior_rows)
        self.weights_ = trust * _best_convex_weights(oof, t) + (1.0 - trust) / len(self.names_)
        self.scale_ = float(np.sqrt(np.mean((oof @ self.weights_ - t) ** 2)))
        # In log space the prediction minimising the expected relative error is not the median
        # exp(mu) but exp(mu - sigma^2) (the 1/y-weighted median of a log-normal): lower it by
        # the out-of-fold error variance.
        self.offset_ = -self.shrink * self.scale_**2 if self.log_ else 0.0

    def _predict(self, x):
        preds = np.column_stack([m.predict(x) for m in self.models_])
        mean = preds @ self.weights_ + self.offset_
        spread2 = ((preds - mean[:, None]) ** 2) @ self.weights_
        _, gp_std = self.models_[self.names_.index("gp")].predict(x, return_std=True)
        return mean, np.sqrt(spread2 + np.maximum(gp_std**2, self.scale_**2))

    @property
    def blend_(self) -> dict[str, float]:
        """Member name -> weight."""
        return dict(zip(self.names_, map(float, self.weights_), strict=True))


def _best_convex_weights(oof: np.ndarray, t: np.ndarray, steps: int = 10) -> np.ndarray:
    k = oof.shape[1]
    best, best_err = np.full(k, 1.0 / k), np.inf
    for head in itertools.product(range(steps + 1), repeat=k - 1):
        if sum(head) > steps:
            continue
        w = np.array([*head, steps - sum(head)], dtype=float) / steps
        err = float(np.mean(np.abs(oof @ w - t)))
        if err < best_err - 1e-12:
            best, best_err = w, err
    return best


LEARNERS: dict[str, Callable[[int], Learner]] = {
    "auto": lambda seed: Auto(seed=seed),
    "rf": lambda seed: RandomForest(seed=seed),
    "cart": lambda seed: Cart(seed=seed),
    "gbm": lambda seed: GradientBoosting(seed=seed),
    "linear-interactions": lambda seed: LinearInteractions(seed=seed),
    "gp": lambda seed: GaussianProcessLearner(seed=seed),
    "lasso": lambda seed: Lasso(seed=seed),
}


def make_learner(
    name: str = "auto", seed: int = 0, bounds: tuple[float, float] | None = None
) -> Learner:
    """A fresh learner by name (`auto` is the default), predicting inside `bounds` if given."""
    try:
        learner = LEARNERS[name](seed)
    except KeyError:
        raise PimpError(f"unknown learner {name!r}: one of {', '.join(LEARNERS)}") from None
    learner.bounds = bounds
    return learner
