"""Learners: one interface, explicit seeds, intervals around every prediction."""

from __future__ import annotations

import numpy as np
import pytest

from pimp_tui.errors import PimpError
from pimp_tui.predict.learners import LEARNERS, make_learner


def _data(n: int = 40, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 2, (n, 6)).astype(float)
    y = np.exp(1.0 + x @ [0.8, 0.4, 0.2, 0.0, 0.0, 0.1] + 0.3 * x[:, 0] * x[:, 1])
    return x, y


@pytest.mark.parametrize("name", sorted(LEARNERS))
def test_every_learner_fits_predicts_and_brackets_its_predictions(name: str) -> None:
    x, y = _data()
    model = make_learner(name, seed=3).fit(x[:30], y[:30])
    pred = model.predict(x[30:])
    low, high = model.predict_interval(x[30:])
    assert pred.shape == (10,)
    assert np.all(low <= pred + 1e-9) and np.all(pred <= high + 1e-9)
    assert np.all(model.uncertainty(x[30:]) >= 0)


@pytest.mark.parametrize("name", ["auto", "rf", "gbm"])
def test_same_seed_same_predictions(name: str) -> None:
    x, y = _data()
    a = make_learner(name, seed=1).fit(x[:30], y[:30]).predict(x[30:])
    b = make_learner(name, seed=1).fit(x[:30], y[:30]).predict(x[30:])
    assert np.array_equal(a, b)


def test_auto_learns_a_multiplicative_system_within_a_few_percent() -> None:
    x, y = _data(80)
    model = make_learner("auto").fit(x[:50], y[:50])
    error = np.mean(np.abs(model.predict(x[50:]) - y[50:]) / y[50:])
    assert error < 0.05
    assert model.log_
    assert abs(sum(model.blend_.values()) - 1.0) < 1e-9


def test_a_handful_of_rows_never_silences_a_member_of_the_blend() -> None:
    x, y = _data(80)
    few = make_learner("auto").fit(x[:8], y[:8]).blend_
    many = make_learner("auto").fit(x, y).blend_
    # Eight rows cannot tell the members apart reliably: each keeps at least its share of the
    # ten equal prior rows, (10 / 18) / 3.
    assert min(few.values()) >= 10 / 18 / 3 - 1e-9
    assert max(many.values()) > max(few.values())  # more rows, more decisive weights


@pytest.mark.parametrize("name", sorted(LEARNERS))
def test_every_learner_fits_two_rows(name: str) -> None:
    """The smallest point of a learning curve: its folds hold one row each."""
    x, y = _data()
    pred = make_learner(name).fit(x[:2], y[:2]).predict(x[2:5])
    assert pred.shape == (3,) and np.all(np.isfinite(pred))


@pytest.mark.parametrize("where", ["x", "y"])
def test_a_missing_or_infinite_training_value_is_refused_with_a_message(where: str) -> None:
    """The members skip their own input checks (hundreds of trees would repeat them): the
    learner checks once."""
    x, y = _data()
    x, y = x.copy(), y.copy()
    if where == "x":
        x[3, 0] = np.nan
    else:
        y[4] = np.inf
    with pytest.raises(PimpError, match="missing or infinite"):
        make_learner("auto").fit(x, y)


def test_targets_with_zero_or_negatives_are_fitted_without_the_log() -> None:
    x, y = _data()
    model = make_learner("auto").fit(x, np.log(y) - 2.0)
    assert not model.log_
    assert np.isfinite(model.predict(x)).all()


def test_linear_interactions_selects_the_interaction_term() -> None:
    rng = np.random.default_rng(0)
    x = rng.integers(0, 2, (60, 5)).astype(float)
    y = 10 + 3 * x[:, 0] + 5 * x[:, 1] * x[:, 2]
    model = make_learner("linear-interactions").fit(x, y)
    terms = [t for t, _ in model.terms_]
    assert (1, 2) in terms[:3]


def test_unknown_learner_is_a_user_error() -> None:
    with pytest.raises(PimpError, match="unknown learner"):
        make_learner("deep-magic")


def test_the_cli_offers_exactly_the_learners_that_exist():
    from pimp_tui.predict import LEARNER_NAMES
    from pimp_tui.predict.learners import LEARNERS

    assert list(LEARNER_NAMES) == list(LEARNERS)


def test_wide_tables_pair_only_the_strongest_options() -> None:
    from pimp_tui.predict.learners import PAIRED_OPTIONS, _candidate_terms

    rng = np.random.default_rng(2)
    x = rng.integers(0, 2, (3000, 60)).astype(float)
    t = 3 * x[:, 5] + 2 * x[:, 40] + 1.5 * x[:, 5] * x[:, 40] + rng.normal(0, 0.1, 3000)
    terms = _candidate_terms(x, t)
    pairs = [term for term in terms if len(term) == 2]
    assert [(i,) for i in range(60)] == terms[:60]  # every main effect stays a candidate
    assert (5, 40) in pairs
    assert len(pairs) == PAIRED_OPTIONS * (PAIRED_OPTIONS - 1) // 2
    small = _candidate_terms(x[:50], t[:50])
    assert len(small) == 60 + 60 * 59 // 2  # a small table keeps every pair
