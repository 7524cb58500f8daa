from __future__ import annotations

import math
import random

import pytest

from pimp_tui.sampling import sample
from pimp_tui.sampling.bound import lower_bound
from pimp_tui.sampling.coverage import coverage
from pimp_tui.sampling.interactions import CoverProblem, analyse
from pimp_tui.sampling.oracle import Oracle
from pimp_tui.sampling.twise import twise_sample
from pimp_tui.variability.io import parse_uvl
from pimp_tui.variability.reasoning import Reasoner
from tests.sampling.helpers import every_configuration, interactions, key


@pytest.mark.parametrize("t", [1, 2, 3])
def test_twise_covers_every_valid_interaction_with_valid_configurations(shop, t):
    configs = sample(shop, "twise", t=t, seed=1, iterations=8)
    reasoner = Reasoner(shop)
    assert all(reasoner.is_valid(c) for c in configs)
    assert set(configs[0]) == set(shop.feature_names())
    wanted = interactions(shop, every_configuration(shop), t)
    assert interactions(shop, configs, t) == wanted


@pytest.mark.parametrize("k", [3, 4, 10])
def test_twise_reaches_the_optimum_on_independent_options(k):
    """k free options need the least N with comb(N - 1, ceil(N / 2)) >= k (Kleitman-Spencer)."""
    model = parse_uvl(
        "features\n    R\n        optional\n" + "".join(f"            o{i}\n" for i in range(k))
    )
    optimum = next(n for n in range(2, 20) if math.comb(n - 1, math.ceil(n / 2)) >= k)
    configs = sample(model, "twise", t=2, seed=0, time_budget=0.5)
    assert coverage(model, configs, 2).missing == []
    assert len(configs) == optimum


def test_twise_is_deterministic_for_a_seed(shop):
    first = sample(shop, "twise", t=2, seed=7, iterations=6)
    again = sample(shop, "twise", t=2, seed=7, iterations=6)
    assert [key(c) for c in first] == [key(c) for c in again]


def test_twise_rejects_t_out_of_range(shop):
    from pimp_tui.errors import PimpError

    with pytest.raises(PimpError):
        sample(shop, "twise", t=4)


def _random_cnf(rng: random.Random, n: int, m: int) -> list[list[int]]:
    clauses = []
    for _ in range(m):
        size = rng.choice([2, 2, 3])
        variables = rng.sample(range(1, n + 1), size)
        clauses.append([v if rng.random() < 0.5 else -v for v in variables])
    return clauses


def _models(clauses: list[list[int]], n: int) -> list[list[int]]:
    out = []
    for bits in range(2**n):
        model = [v if bits >> (v - 1) & 1 else -v for v in range(1, n + 1)]
        values = set(model)
        if all(any(x in values for x in c) for c in clauses):
            out.append(model)
    return out


@pytest.mark.parametrize("seed", range(6))
def test_valid_pairs_match_enumeration_on_random_cnf(seed):
    rng = random.Random(seed)
    n = 9
    clauses = _random_cnf(rng, n, 14)
    models = _models(clauses, n)
    assert models
    literals = [x for v in range(1, n + 1) for x in (v, -v)]
    problem = CoverProblem(clauses, n, literals)
    oracle = Oracle(clauses, n)
    analysis = analyse(problem, 2, oracle, random.Random(0))
    oracle.close()
    truth = {
        frozenset((a, b))
        for m in models
        for a in m
        for b in m
        if a != b and a in analysis.free and b in analysis.free
    }
    found = {
        frozenset((analysis.free[i], analysis.free[j]))
        for i in range(len(analysis.free))
        for j in range(i + 1, len(analysis.free))
        if analysis.valid[i, j]
    }
    assert found == truth
    result = twise_sample(problem, 2, seed, iterations=20)
    sampled = {frozenset((a, b)) for m in result.models for a in m for b in m if a != b}
    assert truth <= sampled
    assert all(m in models for m in result.models)


@pytest.mark.parametrize("seed", range(4))
def test_lower_bound_pairs_are_valid_and_never_share_a_configuration(seed):
    rng = random.Random(seed)
    n = 9
    clauses = _random_cnf(rng, n, 12)
    models = [set(m) for m in _models(clauses, n)]
    assert models
    literals = [x for v in range(1, n + 1) for x in (v, -v)]
    oracle = Oracle(clauses, n)
    analysis = analyse(CoverProblem(clauses, n, literals), 2, oracle, random.Random(0))
    oracle.close()
    bound, seeds = lower_bound(analysis, random.Random(seed))
    pairs = [{analysis.free[i], analysis.free[j]} for i, j in seeds.tolist()]
    assert bound == max(1, len(pairs))
    assert all(any(p <= m for m in models) for p in pairs)
    assert all(sum(p <= m for p in pairs) <= 1 for m in models)
    result = twise_sample(CoverProblem(clauses, n, literals), 2, seed, iterations=20)
    assert result.lower_bound <= len(result.models)


def test_lower_bound_of_two_alternatives_is_their_product(tmp_path):
    from pimp_tui.variability.io import parse_uvl

    model = parse_uvl(
        "features\n    R\n        mandatory\n            A\n                alternative\n"
        + "".join(f"                    a{i}\n" for i in range(5))
        + "            B\n                alternative\n"
        + "".join(f"                    b{i}\n" for i in range(3))
        + "        optional\n            x\n            y\n",
        "two.uvl",
    )
    configs = sample(model, "twise", t=2, seed=0)
    assert len(configs) == 15
    assert coverage(model, configs, 2).ratio == 1.0


def test_twise_size_caps_the_sample_keeping_most_coverage(shop):
    full = sample(shop, "twise", t=2, seed=2, iterations=8)
    assert sample(shop, "twise", t=2, seed=2, iterations=8, size=len(full) + 3) == full
    reasoner = Reasoner(shop)
    previous = 0
    for size in range(1, len(full)):
        capped = sample(shop, "twise", t=2, seed=2, iterations=8, size=size)
        assert len(capped) == size and all(reasoner.is_valid(c) for c in capped)
        result = coverage(shop, capped, 2)
        assert previous < result.covered < result.valid
        previous = result.covered


def test_3wise_beyond_its_table_limit_says_what_to_do(shop):
    from pimp_tui.errors import PimpError
    from pimp_tui.sampling.literals import cover_problem

    encoding = Reasoner(shop).encoding
    problem = cover_problem(encoding)
    oracle = Oracle(problem.clauses, problem.num_vars)
    with pytest.raises(PimpError, match=r"up to about 4 free literals.*--t 2"):
        analyse(problem, 3, oracle, random.Random(0), max_tensor=64)
    oracle.close()


def test_twise_with_a_time_budget_ends_with_full_coverage(shell):
    """However little of the budget the machine leaves to the search, the sample covers every
    valid pair and the search never makes its greedy start larger."""
    configs = sample(shell, "twise", t=2, seed=0, time_budget=0.5)
    result = coverage(shell, configs, 2)
    assert result.covered == result.valid
    rng = random.Random(3)
    clauses, n = _random_cnf(rng, 12, 14), 12
    literals = [x for v in range(1, n + 1) for x in (v, -v)]
    budgeted = twise_sample(CoverProblem(clauses, n, literals), 2, 0, time_budget=0.5)
    assert budgeted.lower_bound <= len(budgeted.models) <= budgeted.greedy_size
