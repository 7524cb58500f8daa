from __future__ import annotations

from collections import Counter

import pytest
from scipy.stats import chisquare

from pimp_tui.errors import PimpError
from pimp_tui.sampling import sample
from pimp_tui.sampling.uniform import UniformSampler
from pimp_tui.variability.cnf import encode
from pimp_tui.variability.reasoning import Reasoner
from tests.sampling.helpers import every_configuration, key


def test_uniform_draws_pass_a_chi_square_test(shop):
    import random

    space = [key(c) for c in every_configuration(shop)]
    assert len(space) == 64
    sampler = UniformSampler(encode(shop))
    rng = random.Random(3)
    draws = Counter(key(sampler.draw(rng)) for _ in range(64 * 25))
    sampler.close()
    assert set(draws) <= set(space)
    observed = [draws.get(k, 0) for k in space]
    assert chisquare(observed).pvalue > 0.01


def test_uniform_without_replacement_gives_distinct_valid_configurations(shop):
    configs = sample(shop, "uniform", size=40, seed=2)
    assert len({key(c) for c in configs}) == 40
    reasoner = Reasoner(shop)
    assert all(reasoner.is_valid(c) for c in configs)


def test_uniform_with_replacement_may_repeat_and_refuses_nothing(shop):
    configs = sample(shop, "uniform", size=100, seed=2, replacement=True)
    assert len(configs) == 100
    assert len({key(c) for c in configs}) < 100
    with pytest.raises(PimpError, match="only 64"):
        sample(shop, "uniform", size=65, seed=2)


@pytest.mark.parametrize("algorithm", ["distance", "diversified-distance"])
def test_distance_samplers_give_distinct_valid_configurations(shell, algorithm):
    configs = sample(shell, algorithm, size=30, seed=5)
    reasoner = Reasoner(shell)
    assert len(configs) == 30
    assert all(reasoner.is_valid(c) for c in configs)
    assert len({key(c) for c in configs}) == 30
    assert configs == sample(shell, algorithm, size=30, seed=5)
    distances = {sum(1 for name, v in c.items() if v and name != "Root") for c in configs}
    assert len(distances) > 5


def test_diversified_distance_balances_feature_frequencies(shell):
    def spread(configs):
        names = [n for n in shell.feature_names() if n != "Root"]
        counts = [sum(bool(c[n]) for c in configs) for n in names]
        return max(counts) - min(counts)

    plain = sample(shell, "distance", size=40, seed=11)
    balanced = sample(shell, "diversified-distance", size=40, seed=11)
    assert spread(balanced) <= spread(plain)


def test_distance_stops_when_the_space_is_exhausted(shop):
    assert len(sample(shop, "distance", size=500, seed=0)) == 64


def test_all_enumerates_and_refuses_above_the_limit(shop):
    configs = sample(shop, "all")
    assert len({key(c) for c in configs}) == 64
    with pytest.raises(PimpError, match="--limit"):
        sample(shop, "all", limit=10)


def test_csv_sampler_reports_broken_constraints(shop):
    good = sample(shop, "all")[:3]
    bad = dict(good[0], Voucher=True, Card=False, Cash=False, Search=False)
    assert sample(shop, "csv", configs=good) == good
    with pytest.raises(PimpError, match="Voucher => Search"):
        sample(shop, "csv", configs=[*good, bad])
