"""Importance, interactions and partial dependence on a known function."""

from __future__ import annotations

import numpy as np

from pimp_tui.predict.explain import (
    interaction_strength,
    partial_dependence,
    permutation_importance,
)


class Known:
    """y = 10 + 4·a + 3·b·c (d does nothing)."""

    def predict(self, x):
        x = np.asarray(x)
        return 10 + 4 * x[:, 0] + 3 * x[:, 1] * x[:, 2]


def _x():
    return np.random.default_rng(0).integers(0, 2, (64, 4)).astype(float)


def test_importance_ranks_the_options_that_matter_and_ignores_the_inert_one() -> None:
    x = _x()
    y = Known().predict(x)
    ranked = permutation_importance(Known(), x, y, ["a", "b", "c", "d"], seed=1)
    assert ranked[0].feature == "a"
    assert {r.feature: r.mean for r in ranked}["d"] == 0
    again = permutation_importance(Known(), x, y, ["a", "b", "c", "d"], seed=1)
    assert ranked == again


def test_interaction_strength_finds_the_interacting_pair() -> None:
    pairs = interaction_strength(Known(), _x(), ["a", "b", "c", "d"])
    assert (pairs[0].first, pairs[0].second) == ("b", "c")
    assert pairs[0].h2 > 0.1
    strengths = {(p.first, p.second): p.h2 for p in pairs}
    assert strengths[("a", "b")] < 1e-9


def test_partial_dependence_of_an_additive_option_is_its_effect() -> None:
    grid, pd = partial_dependence(Known(), _x(), 0)
    assert grid.tolist() == [0.0, 1.0]
    assert abs((pd[1] - pd[0]) - 4.0) < 1e-9
