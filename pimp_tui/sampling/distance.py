"""Distance-based sampling (Kaltenecker et al., ICSE 2019).

The distance of a configuration is the number of optional features it selects (features that
are neither core nor dead). A distance is drawn uniformly among the feasible ones, then a
configuration with exactly that many selected is found with a cardinality constraint and random
phases; configurations already drawn are blocked, and a distance with nothing new left is
dropped. The diversified variant steers the solver towards the optional features selected least
often so far, which balances feature frequencies across the sample.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from pysat.card import ITotalizer
from pysat.solvers import Solver

from pimp_tui.errors import PimpError
from pimp_tui.sampling.interactions import backbone
from pimp_tui.sampling.oracle import Oracle
from pimp_tui.variability.cnf import Encoding
from pimp_tui.variability.model import Configuration

Progress = Callable[[str], None]


def distance_sample(
    encoding: Encoding,
    size: int,
    seed: int = 0,
    diversified: bool = False,
    progress: Progress | None = None,
) -> list[Configuration]:
    rng = random.Random(seed)
    oracle = Oracle(encoding.clauses, encoding.num_vars)
    try:
        variables = list(encoding.feature_var.values())
        _, _, free = backbone(oracle, variables)
    finally:
        oracle.close()
    optional = [lit for lit in free if lit > 0]
    config_vars = encoding.config_vars()
    counts = {v: 0 for v in optional}
    m = len(optional)
    # Totalizers bound from above only: "at least d selected" is "at most m - d deselected".
    selected = ITotalizer(
        lits=optional or [encoding.num_vars + 1], ubound=m, top_id=encoding.num_vars
    )
    deselected = ITotalizer(
        lits=[-v for v in optional] or [-(encoding.num_vars + 1)], ubound=m, top_id=selected.top_id
    )
    bounds = (selected, deselected, m)
    solver = Solver(
        name="g4", bootstrap_with=encoding.clauses + selected.cnf.clauses + deselected.cnf.clauses
    )
    try:
        distances = [d for d in range(m + 1) if _exactly(solver, bounds, d, None)]
        if not distances:
            raise PimpError("the feature model has no valid configuration")
        out: list[Configuration] = []
        while len(out) < size and distances:
            d = rng.choice(distances)
            phases = _phases(encoding.num_vars, optional, counts, d, diversified, rng)
            model = _exactly(solver, bounds, d, phases)
            if model is None:
                distances.remove(d)
                continue
            true = set(model)
            for v in optional:
                counts[v] += v in true
            solver.add_clause([-x if x in true else x for x in config_vars])
            out.append(encoding.decode(x for x in model if abs(x) <= encoding.num_vars))
            if progress is not None and len(out) % 50 == 0:
                progress(f"distance: {len(out)}/{size} configurations")
        return out
    finally:
        solver.delete()
        selected.delete()
        deselected.delete()


def _exactly(
    solver: Solver, bounds: tuple[ITotalizer, ITotalizer, int], d: int, phases: list[int] | None
) -> list[int] | None:
    selected, deselected, m = bounds
    assumptions = []
    if d < len(selected.rhs):
        assumptions.append(-selected.rhs[d])
    if m - d < len(deselected.rhs):
        assumptions.append(-deselected.rhs[m - d])
    if phases is not None:
        solver.set_phases(phases)
    if not solver.solve(assumptions=assumptions):
        return None
    return solver.get_model() or []


def _phases(
    num_vars: int,
    optional: list[int],
    counts: dict[int, int],
    d: int,
    diversified: bool,
    rng: random.Random,
) -> list[int]:
    phases = [v if rng.random() < 0.5 else -v for v in range(1, num_vars + 1)]
    if diversified:
        ranked = sorted(optional, key=lambda v: (counts[v], rng.random()))
        for i, v in enumerate(ranked):
            phases[v - 1] = v if i < d else -v
    return phases
