"""A YASA-style greedy t-wise sample: interactions packed into growing partial configurations.

Each uncovered valid interaction goes into the first partial configuration it fits (no literal
conflict with what the configuration already implies, and still satisfiable), otherwise it opens
a new one. Every partial configuration keeps a full model that satisfies it, so most fits are
decided without calling the solver: only when the kept model lacks the new literals does a solver
call (with the configuration's literals as assumptions) decide, and its model is kept instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from pimp_tui.sampling.interactions import Analysis
from pimp_tui.sampling.oracle import Oracle

Progress = Callable[[str], None]


class _Packer:
    def __init__(self, analysis: Analysis, oracle: Oracle, max_tries: int) -> None:
        self.analysis = analysis
        self.oracle = oracle
        self.max_tries = max_tries
        self.lits = np.asarray(analysis.free, dtype=np.int64)
        self.vars = np.abs(self.lits) - 1
        self.signs = np.sign(self.lits).astype(np.int8)
        n = len(self.lits)
        self.cov = np.zeros((n,) * analysis.t, dtype=bool)
        nv = oracle.num_vars
        self.assigned = np.zeros((0, nv), dtype=np.int8)
        self.solution = np.zeros((0, nv), dtype=np.int8)
        self.decided: list[list[int]] = []
        self.members: list[np.ndarray] = []
        self.index = np.arange(1, nv + 1, dtype=np.int64)

    def place(self, interaction: Sequence[int]) -> None:
        idx = np.asarray(interaction, dtype=np.int64)
        v, s = self.vars[idx], self.signs[idx]
        if len(self.decided):
            conflict = (self.assigned[:, v] == -s[None, :]).any(axis=1)
            fits = (self.solution[:, v] == s[None, :]).all(axis=1) & ~conflict
            free_fit = np.flatnonzero(fits)
            if len(free_fit):
                c = int(free_fit[0])
                self._accept(c, idx, None)
                return
            tries = 0
            # Configurations whose model already holds part of the interaction first: the
            # solver then rarely has to move far from it.
            open_ = np.flatnonzero(~conflict)
            agree = (self.solution[open_][:, v] == s[None, :]).sum(axis=1)
            for c in open_[np.argsort(-agree, kind="stable")].tolist():
                if tries >= self.max_tries:
                    break
                tries += 1
                new = [int(x) for x in self.lits[idx] if self.assigned[c, abs(x) - 1] == 0]
                phases = np.where(self.solution[c] >= 0, self.index, -self.index)
                self.oracle.solver.set_phases(phases.tolist())
                model = self.oracle.solve(self.decided[c] + new)
                if model is not None:
                    self._accept(c, idx, model)
                    return
        self._open(idx)

    def _open(self, idx: np.ndarray) -> None:
        nv = self.oracle.num_vars
        lits = [int(x) for x in self.lits[idx]]
        model = self.oracle.solve(lits)
        if model is None:  # cannot happen for a valid interaction; keep the sample honest
            raise RuntimeError(f"interaction {lits} is not satisfiable")
        self.assigned = np.vstack([self.assigned, np.zeros((1, nv), dtype=np.int8)])
        self.solution = np.vstack([self.solution, np.zeros((1, nv), dtype=np.int8)])
        self.decided.append([])
        self.members.append(np.zeros(len(self.lits), dtype=bool))
        self._accept(len(self.decided) - 1, idx, model)

    def _accept(self, c: int, idx: np.ndarray, model: list[int] | None) -> None:
        for x in self.lits[idx].tolist():
            if self.assigned[c, abs(x) - 1] == 0:
                self.decided[c].append(int(x))
        if model is not None:
            self.solution[c] = np.sign(np.asarray(model, dtype=np.int64)).astype(np.int8)
        implied = np.asarray(self.oracle.propagate(self.decided[c]) or [], dtype=np.int64)
        row = self.assigned[c]
        row[np.abs(implied) - 1] = np.sign(implied)
        holds = row[self.vars] == self.signs
        new = np.flatnonzero(holds & ~self.members[c])
        self.members[c] = holds
        self._cover(new, np.flatnonzero(holds))

    def _cover(self, new: np.ndarray, every: np.ndarray) -> None:
        if not len(new):
            return
        t = self.analysis.t
        if t == 1:
            self.cov[new] = True
        elif t == 2:
            self.cov[np.ix_(new, every)] = True
            self.cov[np.ix_(every, new)] = True
        else:
            self.cov[np.ix_(new, every, every)] = True
            self.cov[np.ix_(every, new, every)] = True
            self.cov[np.ix_(every, every, new)] = True

    def models(self) -> list[list[int]]:
        out = []
        for row in self.solution:
            out.append([int(v + 1) if s > 0 else -int(v + 1) for v, s in enumerate(row)])
        return out


def greedy_sample(
    analysis: Analysis,
    oracle: Oracle,
    max_tries: int = 1000,
    progress: Progress | None = None,
    seeds: np.ndarray | None = None,
    shuffle: np.random.Generator | None = None,
) -> list[list[int]]:
    """Models covering every valid interaction of `analysis` (over its free literals).

    `seeds` (pairs of indices into the free literals, no two of which fit one configuration)
    each open a configuration first: the sample needs one per seed anyway, and building around
    them packs the rest into as many configurations as the seeds prove necessary.

    Interactions are visited literal by literal (all pairs of the first literal, then of the
    second...), which builds configurations around alternatives; for t = 2 `shuffle` visits
    the pairs in a random order instead, which often packs models of many independent options
    more tightly (BusyBox 1.28: 32-37 configurations instead of 74-145).
    """
    packer = _Packer(analysis, oracle, max_tries)
    for pair in [] if seeds is None else seeds:
        packer._open(np.asarray(pair, dtype=np.int64))
    valid, cov, t = analysis.valid, packer.cov, analysis.t
    n = len(analysis.free)
    if t == 2 and shuffle is not None:
        pairs = np.argwhere(np.triu(valid, 1))
        shuffle.shuffle(pairs)
        for done, (a, b) in enumerate(pairs.tolist()):
            if not cov[a, b]:
                packer.place((a, b))
            if progress is not None and done % 200_000 == 199_999:
                progress(
                    f"greedy: {done + 1}/{len(pairs)} pairs, {len(packer.decided)} configurations"
                )
        return packer.models()
    for a in range(n):
        if t == 1:
            if not cov[a]:
                packer.place((a,))
            continue
        if t == 2:
            for b in (np.flatnonzero(valid[a, a + 1 :] & ~cov[a, a + 1 :]) + a + 1).tolist():
                if not cov[a, b]:
                    packer.place((a, b))
        else:
            for b in range(a + 1, n):
                if not analysis.pair_valid[a, b]:
                    continue
                row = valid[a, b, b + 1 :] & ~cov[a, b, b + 1 :]
                for c in (np.flatnonzero(row) + b + 1).tolist():
                    if not cov[a, b, c]:
                        packer.place((a, b, c))
        if progress is not None and a % 200 == 199:
            progress(f"greedy: {a + 1}/{n} literals, {len(packer.decided)} configurations")
    return packer.models()
