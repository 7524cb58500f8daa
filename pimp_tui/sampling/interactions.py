"""Which t-wise interactions of a CNF's configuration literals are valid (occur in some model).

Deciding every pair by SAT would cost a solver call per pair (millions on a 1,500-feature model),
so most are decided cheaply: literals fixed in every model (the backbone) are set aside, unit
propagation marks the pairs one literal rules out, solutions found along the way witness the
pairs they contain, and only what is still undecided costs a targeted solver call, whose model
again witnesses many more.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from pimp_tui.errors import PimpError
from pimp_tui.sampling.oracle import Oracle


@dataclass
class CoverProblem:
    """A CNF and the literals whose t-wise combinations a sample must cover."""

    clauses: list[list[int]]
    num_vars: int
    literals: list[int]


@dataclass
class Analysis:
    """The valid interactions of a problem, over its free literals (neither core nor dead)."""

    t: int
    core: list[int]
    dead: list[int]
    free: list[int]
    valid: np.ndarray
    """Boolean tensor of shape (L,)*t over indices into `free`, symmetric; True = valid."""
    pair_valid: np.ndarray
    """L x L: True where the two free literals occur together in some model."""
    witnesses: list[list[int]] = field(default_factory=list)

    def count(self) -> int:
        """Number of valid t-wise interactions among free literals (unordered, distinct)."""
        return int(self.valid.sum()) // _factorial(self.t)

    def rows(self, models: Sequence[Sequence[int]]) -> np.ndarray:
        """Models as a boolean matrix over the free literals (row r, column i: literal i holds)."""
        return literal_rows(models, self.free)


def _factorial(t: int) -> int:
    return 1 if t <= 1 else t * _factorial(t - 1)


def literal_rows(models: Sequence[Sequence[int]], literals: Sequence[int]) -> np.ndarray:
    lits = np.asarray(literals, dtype=np.int64)
    if not len(models):
        return np.zeros((0, len(lits)), dtype=bool)
    values = np.asarray([list(m) for m in models], dtype=np.int64)
    return values[:, np.abs(lits) - 1] == lits[None, :]


def covered(rows: np.ndarray, t: int) -> np.ndarray:
    """Boolean tensor (L,)*t: the t-tuples of literals that some row contains together."""
    f = rows.astype(np.float32)
    if t == 1:
        return rows.any(axis=0)  # type: ignore[return-value]
    if t == 2:
        return (f.T @ f) > 0.5
    n = rows.shape[1]
    out = np.zeros((n, n, n), dtype=bool)
    for a in range(n):
        sub = f[rows[:, a]]
        if len(sub):
            out[a] = (sub.T @ sub) > 0.5
    return out


def backbone(oracle: Oracle, literals: Sequence[int]) -> tuple[list[int], list[int], list[int]]:
    """Split `literals` into core (in every model), dead (in none) and free ones."""
    model = oracle.solve()
    if model is None:
        raise PimpError("the feature model has no valid configuration")
    candidates = {abs(lit): model[abs(lit) - 1] for lit in literals}
    fixed: set[int] = set()
    for var in sorted(candidates):
        if var not in candidates:
            continue
        value = candidates[var]
        other = oracle.solve([-value])
        if other is None:
            fixed.add(value)
            continue
        for v in list(candidates):
            if other[v - 1] != candidates[v]:
                del candidates[v]
    core = [lit for lit in literals if lit in fixed]
    dead = [lit for lit in literals if -lit in fixed]
    free = [lit for lit in literals if lit not in fixed and -lit not in fixed]
    return core, dead, free


def analyse(
    problem: CoverProblem,
    t: int,
    oracle: Oracle,
    rng: random.Random,
    max_tensor: int = 10**8,
    anchors: Sequence[int] = (),
) -> Analysis:
    """Compute the valid t-wise interactions among the problem's free literals (`anchors`, core
    literals, count as free ones)."""
    core, dead, free = backbone(oracle, problem.literals)
    core = [lit for lit in core if lit not in anchors]
    free += [lit for lit in anchors if lit not in free]
    n = len(free)
    if n**t > max_tensor:
        most = int(round(max_tensor ** (1 / t)))
        raise PimpError(
            f"{t}-wise sampling keeps a table of every {t}-tuple of free literals "
            f"({n} here, {n**t / 1e9:.1f} GB per table); it handles up to about {most} free "
            f"literals (features selected or not, plus typed values). Use --t {t - 1}, or "
            "fix some features in the model"
        )
    index = {lit: i for i, lit in enumerate(free)}
    witnesses: list[list[int]] = []

    # Pairs unit propagation rules out (a literal and its negation included).
    invalid = np.zeros((n, n), dtype=bool)
    for i, lit in enumerate(free):
        implied = oracle.propagate([lit]) or []
        for m in implied:
            j = index.get(-m)
            if j is not None:
                invalid[i, j] = True
    pair_possible = ~(invalid | invalid.T)
    np.fill_diagonal(pair_possible, False)

    for _ in range(min(64, 4 + n)):
        model = oracle.random_solution(rng)
        if model is not None:
            witnesses.append(model)

    pair_valid = _decide_pairs(oracle, free, pair_possible, witnesses, rng) if t >= 2 else None
    if t == 1:
        valid = np.ones(n, dtype=bool)
        pair_valid = np.ones((n, n), dtype=bool)
        np.fill_diagonal(pair_valid, False)
    elif t == 2:
        valid = pair_valid  # type: ignore[assignment]
    else:
        valid = _decide_triples(oracle, free, pair_valid, witnesses, rng)  # type: ignore[arg-type]
    return Analysis(t, core, dead, free, valid, pair_valid, witnesses)  # type: ignore[arg-type]


def _decide_pairs(
    oracle: Oracle,
    free: list[int],
    possible: np.ndarray,
    witnesses: list[list[int]],
    rng: random.Random,
) -> np.ndarray:
    n = len(free)
    lits = np.asarray(free, dtype=np.int64)
    known = covered(literal_rows(witnesses, free), 2) if witnesses else np.zeros((n, n), bool)
    valid = possible.copy()
    pending: list[list[int]] = []
    for a in range(n):
        if pending:
            known |= covered(literal_rows(pending, free), 2)
            pending.clear()
        todo = np.flatnonzero(valid[a, a + 1 :] & ~known[a, a + 1 :]) + a + 1
        while len(todo):
            model = oracle.random_solution(rng, [int(lits[a])], lits[todo].tolist())
            hits = _hits(model, lits, todo)
            if not hits.any():
                b = int(todo[0])
                model = oracle.solve([int(lits[a]), int(lits[b])])
                if model is None:
                    valid[a, b] = valid[b, a] = False
                    todo = todo[1:]
                    continue
                hits = _hits(model, lits, todo)
            witnesses.append(model)  # type: ignore[arg-type]
            pending.append(model)  # type: ignore[arg-type]
            known[a, todo[hits]] = True
            todo = todo[~hits]
    return valid


def _hits(model: list[int] | None, lits: np.ndarray, todo: np.ndarray) -> np.ndarray:
    if model is None:
        return np.zeros(len(todo), dtype=bool)
    values = np.asarray(model, dtype=np.int64)
    chosen = lits[todo]
    return values[np.abs(chosen) - 1] == chosen


def _decide_triples(
    oracle: Oracle,
    free: list[int],
    pair_valid: np.ndarray,
    witnesses: list[list[int]],
    rng: random.Random,
) -> np.ndarray:
    n = len(free)
    lits = np.asarray(free, dtype=np.int64)
    possible = pair_valid[:, :, None] & pair_valid[:, None, :] & pair_valid[None, :, :]
    known = covered(literal_rows(witnesses, free), 3)
    valid = possible.copy()
    pending: list[list[int]] = []
    for a in range(n):
        if pending:
            known |= covered(literal_rows(pending, free), 3)
            pending.clear()
        for b in range(a + 1, n):
            if not pair_valid[a, b]:
                continue
            todo = np.flatnonzero(possible[a, b, b + 1 :] & ~known[a, b, b + 1 :]) + b + 1
            base = [int(lits[a]), int(lits[b])]
            while len(todo):
                model = oracle.random_solution(rng, base, lits[todo].tolist())
                hits = _hits(model, lits, todo)
                if not hits.any():
                    c = int(todo[0])
                    model = oracle.solve(base + [int(lits[c])])
                    if model is None:
                        for x, y, z in _perms(a, b, c):
                            valid[x, y, z] = False
                        todo = todo[1:]
                        continue
                    hits = _hits(model, lits, todo)
                witnesses.append(model)  # type: ignore[arg-type]
                pending.append(model)  # type: ignore[arg-type]
                known[a, b, todo[hits]] = True
                todo = todo[~hits]
    return valid


def _perms(a: int, b: int, c: int) -> list[tuple[int, int, int]]:
    return [(a, b, c), (a, c, b), (b, a, c), (b, c, a), (c, a, b), (c, b, a)]
