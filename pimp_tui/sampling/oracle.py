"""One incremental SAT solver over a CNF, answering the questions the samplers ask.

Samplers ask thousands of small questions ("is this partial configuration completable?",
"what does this literal imply?") of the same formula, so one solver is kept and queried with
assumptions. Glucose is deterministic for a given sequence of calls, which keeps every sampler
deterministic for a seed.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence

from pysat.solvers import Solver


class Oracle:
    """A SAT solver over `clauses` with `num_vars` variables, queried under assumptions."""

    def __init__(self, clauses: Iterable[Sequence[int]], num_vars: int) -> None:
        self.num_vars = num_vars
        self.solver = Solver(name="glucose4", bootstrap_with=[list(c) for c in clauses])
        self.calls = 0

    def close(self) -> None:
        self.solver.delete()

    def solve(
        self, assumptions: Sequence[int] = (), phases: Sequence[int] | None = None
    ) -> list[int] | None:
        """A model (one literal per variable 1..num_vars) or None when unsatisfiable."""
        self.calls += 1
        if phases is not None:
            self.solver.set_phases(list(phases))
        if not self.solver.solve(assumptions=list(assumptions)):
            return None
        model = self.solver.get_model() or []
        full = list(model[: self.num_vars])
        # Variables that occur in no clause are absent from the model: give them a value.
        if len(full) < self.num_vars:
            known = {abs(x) for x in full}
            full += [-v for v in range(1, self.num_vars + 1) if v not in known]
            full.sort(key=abs)
        return full

    def random_solution(
        self, rng: random.Random, assumptions: Sequence[int] = (), prefer: Sequence[int] = ()
    ) -> list[int] | None:
        """A model reached with random phase preferences (`prefer` literals are tried first)."""
        phases = [v if rng.random() < 0.5 else -v for v in range(1, self.num_vars + 1)]
        for lit in prefer:
            phases[abs(lit) - 1] = lit
        return self.solve(assumptions, phases)

    def propagate(self, assumptions: Sequence[int]) -> list[int] | None:
        """Literals implied by unit propagation from `assumptions`, or None on a conflict."""
        ok, implied = self.solver.propagate(assumptions=list(assumptions))
        return list(implied) if ok else None
