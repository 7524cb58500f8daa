"""Numpy stand-ins for the fitted scikit-learn estimators the learners use, holding only what
prediction needs (node arrays, coefficients) and predicting exactly as scikit-learn does.

Why: a stored predictor is kept as plain arrays rather than a pickle (a pickle can run code),
and a query then answers without importing scikit-learn, which alone costs about a second.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from pimp_tui.errors import PimpError


class Tree:
    """A fitted regression tree: node arrays (a leaf has no left child, -1). `float32`: inputs
    are rounded to float32 before they are compared, as scikit-learn's exact trees do (its
    histogram trees compare them as they are)."""

    def __init__(
        self,
        left: np.ndarray,
        right: np.ndarray,
        feature: np.ndarray,
        threshold: np.ndarray,
        missing_left: np.ndarray,
        value: np.ndarray,
        float32: bool,
    ) -> None:
        self.left, self.right, self.feature = left, right, feature
        self.threshold, self.missing_left, self.value = threshold, missing_left, value
        self.float32 = float32

    @classmethod
    def of(cls, tree: Any) -> Tree:
        """From a scikit-learn `tree_` of one output."""
        if tree.n_outputs != 1:
            raise PimpError("only single-output trees can be stored")
        return cls(
            tree.children_left.astype(np.int64), tree.children_right.astype(np.int64),
            tree.feature.astype(np.int64), tree.threshold.astype(np.float64),
            tree.missing_go_to_left.astype(bool), tree.value[:, 0, 0].astype(np.float64),
            float32=True,
        )  # fmt: skip

    @classmethod
    def of_histogram(cls, nodes: np.ndarray) -> Tree:
        """From the node records of a histogram gradient-boosting predictor (numeric splits)."""
        if np.any(nodes["is_categorical"]):
            raise PimpError("trees with categorical splits cannot be stored")
        leaf = nodes["is_leaf"].astype(bool)

        def index(field: str, at_leaves: int) -> np.ndarray:
            return np.where(leaf, at_leaves, nodes[field].astype(np.int64))

        return cls(
            index("left", -1), index("right", -1), index("feature_idx", -2),
            nodes["num_threshold"].astype(np.float64), nodes["missing_go_to_left"].astype(bool),
            nodes["value"].astype(np.float64), float32=False,
        )  # fmt: skip

    def validate(self) -> None:
        """ValueError unless the arrays form a tree: one entry per node, every child numbered
        after its parent (as scikit-learn builds them), so that a descent always ends."""
        arrays = (self.left, self.right, self.feature, self.threshold, self.missing_left)
        n = len(self.value)
        if n == 0 or any(np.ndim(a) != 1 or len(a) != n for a in (self.value, *arrays)):
            raise ValueError("node arrays of different lengths")
        inner = np.flatnonzero(self.left != -1)
        for child in (self.left[inner], self.right[inner]):
            if np.any(child <= inner) or np.any(child >= n):
                raise ValueError("a child that is not after its parent")
        if np.any(self.feature[inner] < 0):
            raise ValueError("an inner node without a feature")

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.value[self.leaves(self.inputs(x))]

    def inputs(self, x: np.ndarray) -> np.ndarray:
        """Rows as this tree compares them with its thresholds (float64)."""
        if self.float32:
            return np.asarray(x, dtype=np.float32).astype(np.float64)
        return np.asarray(x, dtype=np.float64)

    def leaves(self, inputs: np.ndarray) -> np.ndarray:
        """The leaf each row of `inputs` falls in (at most one step per node)."""
        rows = np.arange(len(inputs))
        node = np.zeros(len(inputs), dtype=np.int64)
        for _ in range(len(self.left)):
            inner = self.left[node] != -1
            if not inner.any():
                break
            at = node[inner]
            values = inputs[rows[inner], self.feature[at]]
            below = values <= self.threshold[at]
            go_left = np.where(np.isnan(values), self.missing_left[at], below)
            node[inner] = np.where(go_left, self.left[at], self.right[at])
        return node


class Forest:
    """A fitted random forest: the mean of its trees (summed in order, as scikit-learn does)."""

    def __init__(self, estimators_: list[Tree]) -> None:
        self.estimators_ = estimators_

    @classmethod
    def of(cls, forest: Any) -> Forest:
        return cls([Tree.of(member.tree_) for member in forest.estimators_])

    def predict(self, x: np.ndarray) -> np.ndarray:
        inputs = self.estimators_[0].inputs(x)
        total = np.zeros(len(inputs))
        for tree in self.estimators_:
            total += tree.value[tree.leaves(inputs)]
        return total / len(self.estimators_)


class Boosted:
    """Fitted gradient boosting on squared error: the initial mean plus the learning rate times
    each stage's tree, added stage by stage as scikit-learn does (histogram boosting has the
    learning rate in its leaves: 1 here)."""

    def __init__(self, baseline: float, learning_rate: float, stages: list[Tree]) -> None:
        self.baseline, self.learning_rate, self.stages = baseline, learning_rate, stages

    @classmethod
    def of(cls, model: Any) -> Boosted:
        from sklearn.dummy import DummyRegressor

        if model.loss != "squared_error" or not isinstance(model.init_, DummyRegressor):
            raise PimpError("only gradient boosting on squared error from the mean can be stored")
        if model.estimators_.shape[1] != 1:
            raise PimpError("only single-output gradient boosting can be stored")
        baseline = float(np.asarray(model.init_.constant_, dtype=np.float64).ravel()[0])
        stages = [Tree.of(row[0].tree_) for row in model.estimators_]
        return cls(baseline, float(model.learning_rate), stages)

    @classmethod
    def of_histogram(cls, model: Any) -> Boosted:
        if model.loss != "squared_error" or model.n_trees_per_iteration_ != 1:
            raise PimpError("only single-output histogram boosting on squared error can be stored")
        baseline = float(np.asarray(model._baseline_prediction, dtype=np.float64).ravel()[0])
        stages = [Tree.of_histogram(predictors[0].nodes) for predictors in model._predictors]
        return cls(baseline, 1.0, stages)

    def predict(self, x: np.ndarray) -> np.ndarray:
        inputs = self.stages[0].inputs(x) if self.stages else np.asarray(x, dtype=np.float64)
        out = np.full(len(inputs), self.baseline)
        for tree in self.stages:
            out += self.learning_rate * tree.value[tree.leaves(inputs)]
        return out


class Linear:
    """A fitted linear model: `x @ coef_ + intercept_`."""

    def __init__(self, coef_: np.ndarray, intercept_: float) -> None:
        self.coef_, self.intercept_ = coef_, intercept_

    @classmethod
    def of(cls, model: Any) -> Linear:
        coef = np.asarray(model.coef_, dtype=np.float64)
        if coef.ndim != 1:
            raise PimpError("only single-output linear models can be stored")
        return cls(coef, model.intercept_)

    def predict(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(x, dtype=float) @ self.coef_ + self.intercept_


def freeze(estimator: Any) -> Tree | Forest | Boosted | Linear | None:
    """The numpy stand-in of a fitted scikit-learn estimator; None for any other object."""
    if not type(estimator).__module__.startswith("sklearn."):
        return None
    from sklearn.ensemble import (
        GradientBoostingRegressor,
        HistGradientBoostingRegressor,
        RandomForestRegressor,
    )
    from sklearn.linear_model import (
        Lasso,
        LassoCV,
        OrthogonalMatchingPursuit,
        OrthogonalMatchingPursuitCV,
    )
    from sklearn.tree import DecisionTreeRegressor

    if isinstance(estimator, DecisionTreeRegressor):
        return Tree.of(estimator.tree_)
    if isinstance(estimator, RandomForestRegressor):
        return Forest.of(estimator)
    if isinstance(estimator, GradientBoostingRegressor):
        return Boosted.of(estimator)
    if isinstance(estimator, HistGradientBoostingRegressor):
        return Boosted.of_histogram(estimator)
    linear = (Lasso, LassoCV, OrthogonalMatchingPursuit, OrthogonalMatchingPursuitCV)
    if isinstance(estimator, linear):
        return Linear.of(estimator)
    return None


FROZEN_TYPES = (Tree, Forest, Boosted, Linear)
