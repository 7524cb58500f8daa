"""Uniform random sampling over valid configurations, exact by construction.

Each configuration variable is decided in turn with probability (configurations with it set) /
(configurations agreeing with the decisions so far), both counted exactly; with Python's exact
integers the product of these choices is exactly 1 / (number of valid configurations).
Variables unit propagation already fixes are skipped, and counts are cached per decision prefix.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from pysat.solvers import Solver

from pimp_tui.errors import PimpError
from pimp_tui.variability.cnf import Encoding
from pimp_tui.variability.counting import count_models
from pimp_tui.variability.model import Configuration

Progress = Callable[[str], None]


class UniformSampler:
    def __init__(self, encoding: Encoding) -> None:
        self.encoding = encoding
        self.variables = encoding.config_vars()
        self.solver = Solver(name="g4", bootstrap_with=encoding.clauses)
        self.cache: dict[tuple[int, ...], int] = {}

    def close(self) -> None:
        self.solver.delete()

    def count(self, assumptions: tuple[int, ...] = ()) -> int:
        key = tuple(sorted(assumptions))
        if key not in self.cache:
            enc = self.encoding
            self.cache[key] = count_models(enc.clauses, enc.num_vars, key)
        return self.cache[key]

    def draw(self, rng: random.Random) -> Configuration:
        """One configuration, each valid one with the same probability."""
        decided: list[int] = []
        total = self.count()
        if total == 0:
            raise PimpError("the feature model has no valid configuration")
        for var in self.variables:
            ok, implied = self.solver.propagate(assumptions=decided)
            fixed = set(implied)
            if var in fixed or -var in fixed:
                continue
            with_var = self.count(tuple(decided + [var]))
            if rng.randrange(total) < with_var:
                decided.append(var)
                total = with_var
            else:
                decided.append(-var)
                total -= with_var
        if not self.solver.solve(assumptions=decided):  # cannot happen: counts were exact
            raise RuntimeError("uniform sampling reached an unsatisfiable prefix")
        return self.encoding.decode(self.solver.get_model() or [])


def uniform_sample(
    encoding: Encoding,
    size: int,
    seed: int = 0,
    replacement: bool = False,
    progress: Progress | None = None,
) -> list[Configuration]:
    """`size` uniform draws; without replacement, distinct configurations (at most all)."""
    rng = random.Random(seed)
    sampler = UniformSampler(encoding)
    try:
        total = sampler.count()
        if not replacement and size > total:
            raise PimpError(
                f"the model has only {total} valid configurations: cannot draw {size} distinct ones"
            )
        out: list[Configuration] = []
        seen: set[tuple] = set()
        while len(out) < size:
            config = sampler.draw(rng)
            key = tuple(config.items())
            if not replacement and key in seen:
                continue
            seen.add(key)
            out.append(config)
            if progress is not None and len(out) % 50 == 0:
                progress(f"uniform: {len(out)}/{size} configurations")
        return out
    finally:
        sampler.close()
