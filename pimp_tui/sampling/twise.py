"""t-wise sampling over a CNF: valid interactions, a lower bound (mutually exclusive pairs,
which also seed the greedy), greedy packing from several orders, then destroy-and-repair
search for a smaller sample, ending early at the bound.

Works on plain CNF (`CoverProblem`); `pimp_tui.sampling.registry` maps feature models onto it.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from pimp_tui.sampling.bound import lower_bound
from pimp_tui.sampling.greedy import greedy_sample
from pimp_tui.sampling.interactions import Analysis, CoverProblem, analyse
from pimp_tui.sampling.lns import Shrinker
from pimp_tui.sampling.oracle import Oracle

Progress = Callable[[str], None]


@dataclass
class TwiseResult:
    models: list[list[int]]
    valid_interactions: int
    """Valid t-wise interactions among the free literals (core literals add no work)."""
    lower_bound: int
    greedy_size: int


def _relabel(analysis: Analysis, order: list[int]) -> Analysis:
    o = np.asarray(order, dtype=np.int64)
    grid = np.ix_(*([o] * analysis.t))
    return Analysis(
        analysis.t,
        analysis.core,
        analysis.dead,
        [analysis.free[i] for i in order],
        analysis.valid[grid],
        analysis.pair_valid[np.ix_(o, o)],
    )


def _extends(analysis: Analysis) -> bool:
    """Whether every free literal, and for t = 3 every valid pair of them, is part of a valid
    t-wise interaction among the free literals (so that covering those covers it)."""
    if analysis.t == 1:
        return True
    pairs = analysis.pair_valid
    if not pairs.any(axis=1).all():
        return False
    return analysis.t == 2 or bool(analysis.valid.any(axis=2)[pairs].all())  # type: ignore[index]


def default_restarts(n_free: int, t: int = 2) -> int:
    """Greedy orders to try: many on small models, where each costs milliseconds; few for
    3-wise, where an order costs seconds and the local search gains more."""
    if t == 3:
        return 4
    if n_free <= 200:
        return 16
    if n_free <= 600:
        return 8
    return 2


UNLIMITED = 10**12
GREEDY_WORK = 1_200_000
"""Configurations x free literals the greedy orders may build together (the numpy work of an
order grows with both); a count, not a clock, so that runs stay deterministic."""


def search_budget(n_free: int, configurations: int) -> int:
    """Propagations the local search may spend in all: steps cost more on larger models and
    larger samples, so the budget shrinks with them to keep a default run within about 45 s
    on a loaded 2-core machine."""
    scale = min(1.0, 600 / max(n_free, 1)) * min(1.0, 250 / max(configurations, 1))
    return int(80_000_000 * scale)


def twise_sample(
    problem: CoverProblem,
    t: int,
    seed: int = 0,
    *,
    iterations: int = 300,
    restarts: int | None = None,
    time_budget: float | None = None,
    progress: Progress | None = None,
    size: int | None = None,
) -> TwiseResult:
    """A small sample of models covering every valid t-wise combination of `problem.literals`.

    Deterministic for a seed. A `time_budget` (seconds) instead lets the local search run
    until it is spent (or the bound is reached): results then depend on the machine. With
    `size`, at most that many models: when full coverage needs more, the `size` models that
    keep the most interactions covered.
    """
    start = time.monotonic()
    deadline = None if time_budget is None else start + time_budget
    rng = random.Random(seed)
    oracle = Oracle(problem.clauses, problem.num_vars)
    # The matrix products here are small and many: BLAS threads only wait on one another
    # (ten times slower on a loaded 2-core machine).
    limits = threadpool_limits(limits=1, user_api="blas")
    try:
        analysis = analyse(problem, t, oracle, rng)
        if analysis.core and not _extends(analysis):
            # Some combination of fewer than t free literals is part of no valid t-wise one
            # among the free literals, only of one with core literals: a few core literals
            # then join the free ones, so that such combinations are covered too.
            anchors = analysis.core[: t - 1]
            analysis = analyse(problem, t, oracle, rng, anchors=anchors)
        if progress is not None:
            # No count here: the sampler works on the CNF's free literals, while the one count
            # a user reads (the result's coverage, `pimp sample coverage`) is over the model's
            # features and values; two numbers for one notion would contradict each other.
            progress(f"valid {t}-wise interactions found; covering them")
        if not analysis.free or not analysis.valid.any():
            model = oracle.solve()
            return TwiseResult([model] if model else [], 0, 1, 1)
        n = len(analysis.free)
        bound, seeds = lower_bound(analysis, rng)
        if progress is not None:
            progress(f"lower bound: {bound} configurations")
        best: list[list[int]] | None = None
        # Three ways to build, in turn: seeded with the bound's pairs, literal by literal (wins
        # where one alternative dominates); unseeded, literal by literal (wins where several
        # alternatives interlock); seeded, pairs in random order (often the best start on
        # many independent options).
        tries = max(2, restarts if restarts is not None else default_restarts(n, t))
        work = 0
        for attempt in range(tries):
            order = list(range(n))
            rng.shuffle(order)
            position = np.empty(n, dtype=np.int64)
            position[order] = np.arange(n)
            # On large models a solver call per candidate configuration costs more than the
            # few extra configurations a shorter search leaves for the local search to remove.
            max_tries = 50 if n <= 600 else 10
            variant = attempt % 3
            seeded = position[seeds] if variant != 1 else None
            shuffle = np.random.default_rng(rng.randrange(2**32)) if variant == 2 else None
            models = greedy_sample(
                _relabel(analysis, order), oracle, max_tries, progress, seeded, shuffle
            )
            if best is None or len(models) < len(best):
                best = models
                if progress is not None:
                    progress(f"greedy: {len(best)} configurations (order {attempt + 1})")
            if len(best) <= bound:
                break
            if deadline is not None and time.monotonic() > deadline:
                break
            work += len(models) * n
            if attempt and restarts is None and work * (attempt + 2) > GREEDY_WORK * (attempt + 1):
                break  # one more order would take the greedy past its share
        assert best is not None
        greedy_size = len(best)
        shrinker = Shrinker(
            analysis,
            problem.clauses,
            problem.num_vars,
            rng,
            seeds=seeds,
            # A time budget the user set replaces the counted ones: search until it runs out.
            **(
                {"total_budget": search_budget(n, len(best))}
                if deadline is None
                else {"total_budget": UNLIMITED, "patience": UNLIMITED}
            ),
        )
        models = shrinker.run(best, iterations, bound, deadline, progress)
        bound = shrinker.bound
        if size is not None and len(models) > size:
            if progress is not None:
                progress(f"full coverage needs {len(models)} configurations; keeping {size}")
            models = shrinker.trim(models, size)
        return TwiseResult(models, analysis.count(), bound, greedy_size)
    finally:
        oracle.close()
        limits.restore_original_limits()
