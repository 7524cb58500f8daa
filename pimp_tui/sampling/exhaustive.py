"""Every valid configuration, refused above a limit the user can raise (counted first)."""

from __future__ import annotations

from pysat.solvers import Solver

from pimp_tui.errors import PimpError
from pimp_tui.variability.cnf import Encoding
from pimp_tui.variability.counting import count_models
from pimp_tui.variability.model import Configuration

DEFAULT_LIMIT = 10_000


def all_configurations(encoding: Encoding, limit: int | None = None) -> list[Configuration]:
    limit = DEFAULT_LIMIT if limit is None else limit
    total = count_models(encoding.clauses, encoding.num_vars)
    if total > limit:
        raise PimpError(
            f"the model has {total:,} valid configurations, more than the limit of {limit:,}; "
            "raise it with --limit to enumerate them all"
        )
    config_vars = encoding.config_vars()
    out: list[Configuration] = []
    with Solver(name="g4", bootstrap_with=encoding.clauses) as solver:
        while solver.solve():
            true = set(solver.get_model() or [])
            out.append(encoding.decode(true))
            solver.add_clause([-x if x in true else x for x in config_vars])
    return out
