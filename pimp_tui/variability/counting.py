"""Exact model counting with Ganak (pyganak): exact integers in seconds on real product lines,
where enumeration or a pure-Python BDD would take minutes or never finish."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pyganak import Counter
from pysat.solvers import Solver


def count_models(
    clauses: Sequence[Sequence[int]], num_vars: int, assumptions: Iterable[int] = ()
) -> int:
    """The number of assignments of variables 1..num_vars satisfying `clauses` and the
    `assumptions` literals."""
    units = [[lit] for lit in assumptions]
    if any(len(clause) == 0 for clause in clauses):
        return 0
    # Ganak prints to stdout on an unsatisfiable formula; a SAT call answers that case quietly
    # and costs little next to counting.
    with Solver(name="g4", bootstrap_with=clauses) as solver:
        if not solver.solve(assumptions=[u[0] for u in units]):
            return 0
    counter = Counter()
    counter.new_vars(num_vars)
    counter.add_clauses(clauses)
    counter.add_clauses(units)
    return int(counter.count())
