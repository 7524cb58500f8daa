"""The t-wise lower bound against the true optimum, found by brute force on small random models."""

from __future__ import annotations

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from pimp_tui.sampling import draw
from tests.sampling.helpers import every_configuration, interactions
from tests.variability.random_models import small_models

MAX_CONFIGURATIONS = 40
"""Models with at most this many valid configurations (the exact cover search stays fast)."""


def minimum_cover(sets: list[frozenset], universe: frozenset) -> int:
    """Fewest of `sets` whose union is `universe`: iterative deepening, each time branching on
    the element fewest sets hold."""

    def covers(missing: frozenset, k: int) -> bool:
        if not missing:
            return True
        if k == 0:
            return False
        holders = {x: [s for s in sets if x in s] for x in missing}
        rarest = min(holders.values(), key=len)
        return any(covers(missing - s, k - 1) for s in rarest)

    k = 0
    while not covers(universe, k):
        k += 1
    return k


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(small_models(max_features=6), st.sampled_from([2, 3]))
def test_bound_never_exceeds_the_optimum(model, t):
    configs = every_configuration(model)
    assume(0 < len(configs) <= MAX_CONFIGURATIONS)
    universe = frozenset(interactions(model, configs, t))
    # A sample holds one configuration at least, even where no t literals combine.
    optimum = max(
        1, minimum_cover([frozenset(interactions(model, [c], t)) for c in configs], universe)
    )
    drawn = draw(model, "twise", t=t, seed=0, iterations=20)
    assert drawn.lower_bound is not None
    assert 1 <= drawn.lower_bound <= optimum <= len(drawn.configs)
    assert interactions(model, drawn.configs, t) == universe


def test_random_samplers_carry_no_bound(shop):
    assert draw(shop, "uniform", size=3).lower_bound is None
