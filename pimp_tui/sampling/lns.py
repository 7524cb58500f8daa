"""Shrinking a covering sample by large neighbourhood search (destroy and repair, as SampLNS).

Each step removes d configurations and asks a SAT solver for d - 1 new ones that together cover
every interaction the kept configurations miss: d - 1 copies of the formula, and for each missing
interaction a clause "some copy contains it". A success shrinks the sample by one. Solver effort
is bounded by counted propagations (per step and in total), not by time, so a run is
deterministic for a seed; an optional wall-clock budget ends the search early (then the result
depends on the machine's speed). The search ends early when it reaches the lower bound
(`pimp_tui.sampling.bound`).

The bound's mutually exclusive pairs break the symmetry between copies: those the kept
configurations miss each need a copy of their own, so the i-th goes into copy i (and more of
them than copies proves the repair impossible at once). With that, destroying every
configuration is often decided quickly on models of a few hundred literals: when no sample one
smaller exists, the sample is proven minimal and the bound rises to its size.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

import numpy as np
from pysat.solvers import Solver

from pimp_tui.sampling.interactions import Analysis, covered

Progress = Callable[[str], None]

WHOLE_AFTER = 20
"""Failed steps in a row after which every configuration is destroyed at once."""
WHOLE_SIZE = 1_000_000
"""Interactions x copies the whole-sample repair builds at most (one variable each)."""
WHOLE_BUDGET = 20_000_000
"""Propagations the whole-sample repair may spend."""


class Shrinker:
    """Destroy-and-repair search over a covering sample (models as lists of literals)."""

    def __init__(
        self,
        analysis: Analysis,
        clauses: list[list[int]],
        num_vars: int,
        rng: random.Random,
        step_budget: int = 2_000_000,
        total_budget: int = 120_000_000,
        patience: int = 100,
        seeds: np.ndarray | None = None,
    ) -> None:
        self.analysis = analysis
        self.seeds = np.zeros((0, 2), dtype=np.int64) if seeds is None else seeds
        """Mutually exclusive pairs proving the lower bound: a sample of that size holds each in
        exactly one configuration, so configurations holding none, or one another holds too,
        are the surplus to work on."""
        self.clauses = clauses
        self.num_vars = num_vars
        self.rng = rng
        self.step_budget = step_budget
        self.total_budget = total_budget
        self.spent = 0
        self.patience = patience
        self.free = np.asarray(analysis.free, dtype=np.int64)
        self.bound = max(1, len(self.seeds))
        """The lower bound: the seeds', or a sample's size once no smaller one exists."""
        self.tried_whole: set[int] = set()
        """Sample sizes whose whole-sample repair was tried (proven or out of budget)."""

    def drop_redundant(self, models: list[list[int]]) -> list[list[int]]:
        """Remove configurations whose interactions the others all cover, weakest first."""
        models = list(models)
        while len(models) > 1:
            rows = self.analysis.rows(models)
            unique = self._uniquely_covered(rows)
            if unique is None:
                break
            spare = [i for i in range(len(models)) if unique[i] == 0]
            if not spare:
                break
            models.pop(min(spare, key=lambda i: rows[i].sum()))
        return models

    def trim(self, models: list[list[int]], size: int) -> list[list[int]]:
        """At most `size` of `models`, dropping each time the one whose loss uncovers fewest
        interactions."""
        models = self.drop_redundant(models)
        while len(models) > max(size, 0):
            unique = self._uniquely_covered(self.analysis.rows(models))
            assert unique is not None
            models.pop(int(np.argmin(unique)))
        return models

    def _uniquely_covered(self, rows: np.ndarray) -> np.ndarray | None:
        """Per configuration, how many valid interactions no other configuration covers."""
        t = self.analysis.t
        if t == 3:
            f = rows.astype(np.float32)
            out = np.zeros(len(rows), dtype=np.float64)
            for a in range(rows.shape[1]):
                sub = f[rows[:, a]]
                if not len(sub):
                    continue
                once = ((sub.T @ sub) == 1) & self.analysis.valid[a]
                if not once.any():
                    continue
                through_a = np.einsum("ij,ij->i", f @ once.astype(np.float32), f)
                out += f[:, a] * through_a
            return out.astype(np.int64)
        f = rows.astype(np.float32)
        if t == 1:
            once = (f.sum(axis=0) == 1) & self.analysis.valid
            return (f @ once.astype(np.float32)).astype(np.int64)
        once = ((f.T @ f) == 1) & self.analysis.valid
        weights = once.astype(np.float32)
        return np.einsum("ij,ij->i", f @ weights, f).astype(np.int64)

    def run(
        self,
        models: list[list[int]],
        iterations: int,
        bound: int,
        deadline: float | None,
        progress: Progress | None = None,
    ) -> list[list[int]]:
        models = self.drop_redundant(models)
        self.bound = max(self.bound, bound)
        d = min(3, len(models))
        stale = 0
        for step in range(iterations):
            if len(models) <= self.bound or len(models) < 2 or stale >= self.patience:
                break
            if self.spent >= self.total_budget:
                break
            if deadline is not None and time.monotonic() > deadline:
                break
            d = min(d, len(models))
            destroyed = self._choose(models, d)
            kept = [m for i, m in enumerate(models) if i not in destroyed]
            repaired, status = self._repair(kept, [models[i] for i in destroyed], d - 1)
            if repaired is not None:
                stale = 0
                models = self.drop_redundant(kept + repaired)
                if progress is not None:
                    progress(
                        f"local search: {len(models)} configurations (step {step + 1}, "
                        f"{self.spent / 1e6:.0f}M propagations)"
                    )
                continue
            stale += 1
            if stale >= WHOLE_AFTER and len(models) not in self.tried_whole:
                smaller = self.whole(models, progress)
                if smaller is not None:
                    models, stale = self.drop_redundant(smaller), 0
                continue
            # Unsatisfiable: a bigger neighbourhood is needed; out of budget: a smaller one.
            if status is False:
                d = min(d + 1, len(models))
            else:
                d = max(2, d - 1)
        # Where the search stopped short of the bound, whole-sample repairs try to close the gap.
        while len(models) > self.bound and len(models) not in self.tried_whole:
            if deadline is not None and time.monotonic() > deadline:
                break
            smaller = self.whole(models, progress)
            if smaller is None:
                break
            models = self.drop_redundant(smaller)
        return models

    def whole(
        self, models: list[list[int]], progress: Progress | None = None
    ) -> list[list[int]] | None:
        """A sample one smaller built from nothing, or None; when none exists (proven), the
        bound rises to the size of `models`. Tried once per size, on problems whose formula
        stays small enough to build."""
        self.tried_whole.add(len(models))
        copies = len(models) - 1
        if self.analysis.count() * copies > WHOLE_SIZE:
            return None
        step_budget, self.step_budget = self.step_budget, WHOLE_BUDGET
        try:
            repaired, status = self._repair([], models, copies)
        finally:
            self.step_budget = step_budget
        if status is False:
            self.bound = max(self.bound, len(models))
            if progress is not None:
                progress(f"lower bound: {self.bound} configurations (no {copies} cover all)")
        elif repaired is not None and progress is not None:
            progress(f"whole-sample repair: {copies} configurations")
        return repaired

    def _choose(self, models: list[list[int]], d: int) -> list[int]:
        """d configurations: a first one, then others near it or at random.

        The first is often a surplus one (see `seeds`) or one covering few interactions no
        other covers: its work is the easiest to hand to the others. Near means sharing its
        rarest literal (the same CPU, say: where alternatives dictate the sample only those
        can take over its pairs), else fewest differing literals."""
        k = len(models)
        rows = self.analysis.rows(models)
        first = self.rng.randrange(k)
        pick = self.rng.random()
        surplus = self._surplus(rows)
        if len(surplus) and pick < 0.5:
            first = int(surplus[self.rng.randrange(len(surplus))])
        elif self.analysis.t < 3 and pick < 0.75:
            unique = self._uniquely_covered(rows)
            assert unique is not None
            weakest = np.argsort(unique, kind="stable")[: max(2, k // 10)]
            first = int(weakest[self.rng.randrange(len(weakest))])
        pick = self.rng.random()
        if pick < 1 / 3:
            others = [i for i in range(k) if i != first]
            return [first] + self.rng.sample(others, d - 1)
        distance = (rows != rows[first]).sum(axis=1).astype(np.float64)
        if pick < 2 / 3:
            counts = rows.sum(axis=0)
            held = np.flatnonzero(rows[first] & (counts > 1))
            if len(held):
                rare = held[counts[held] == counts[held].min()]
                literal = int(rare[self.rng.randrange(len(rare))])
                distance -= rows.shape[1] * rows[:, literal]
        near = sorted(range(k), key=lambda i: (distance[i], self.rng.random()))
        return [first] + [i for i in near if i != first][: d - 1]

    def _surplus(self, rows: np.ndarray) -> np.ndarray:
        """Configurations holding no seed pair, or one that another configuration holds too."""
        if not len(self.seeds):
            return np.zeros(0, dtype=np.int64)
        holds = rows[:, self.seeds[:, 0]] & rows[:, self.seeds[:, 1]]
        shared = holds[:, holds.sum(axis=0) > 1].any(axis=1)
        return np.flatnonzero(shared | ~holds.any(axis=1))

    def _repair(
        self, kept: list[list[int]], destroyed: list[list[int]], copies: int
    ) -> tuple[list[list[int]] | None, bool | None]:
        """`copies` models covering what `kept` misses; (None, False) if proven impossible."""
        t = self.analysis.t
        missing = self.analysis.valid & ~covered(self.analysis.rows(kept), t)
        if t == 1:
            todo = np.argwhere(missing)
        elif t == 2:
            todo = np.argwhere(np.triu(missing, 1))
        else:
            idx = np.argwhere(missing)
            todo = idx[(idx[:, 0] < idx[:, 1]) & (idx[:, 1] < idx[:, 2])]
        if not len(todo):
            return [], True
        if copies == 0:
            return None, False
        # Bound pairs the kept configurations miss, each into a copy of its own.
        rows = self.analysis.rows(kept)
        pinned = (
            self.seeds[~(rows[:, self.seeds[:, 0]] & rows[:, self.seeds[:, 1]]).any(axis=0)]
            if len(kept)
            else self.seeds
        )
        if len(pinned) > copies:
            return None, False
        n = self.num_vars
        solver = Solver(name="glucose4")
        try:
            for j in range(copies):
                shift = j * n
                solver.append_formula(
                    [[x + shift if x > 0 else x - shift for x in c] for c in self.clauses]
                )
            top = copies * n
            for row in todo.tolist():
                lits = self.free[row].tolist()
                choice = []
                for j in range(copies):
                    top += 1
                    choice.append(top)
                    shift = j * n
                    for x in lits:
                        solver.add_clause([-top, x + shift if x > 0 else x - shift])
                solver.add_clause(choice)
            for j, pair in enumerate(self.free[pinned].tolist()):
                for x in pair:
                    solver.add_clause([x + j * n if x > 0 else x - j * n])
            phases = []
            for j, model in enumerate(destroyed[:copies]):
                shift = j * n
                phases += [x + shift if x > 0 else x - shift for x in model]
            solver.set_phases(phases)
            solver.prop_budget(self.step_budget)
            status = solver.solve_limited()
            self.spent += int(solver.accum_stats().get("propagations", 0))
            if not status:
                return None, status
            model = solver.get_model() or []
            values = {abs(x): x > 0 for x in model}
            out = []
            for j in range(copies):
                shift = j * n
                out.append([v if values.get(v + shift, False) else -v for v in range(1, n + 1)])
            return out, True
        finally:
            solver.delete()
