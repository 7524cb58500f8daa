"""t-wise coverage of a sample, checked independently of the sampler that made it.

It reads configurations as plain dictionaries, derives the literals from the feature model
(selected / deselected for every feature, one literal per domain value of typed features),
counts the combinations the valid configurations contain, and asks a SAT solver whether each
combination left over occurs in some valid configuration at all (then it is missing) or in none
(then it does not count). Nothing here trusts the sampler's own bookkeeping.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from pysat.solvers import Solver

from pimp_tui.errors import PimpError
from pimp_tui.variability.model import FeatureModel, FeatureType, Value
from pimp_tui.variability.reasoning import Reasoner

MAX_TENSOR = 10**8
"""Largest literals**t table the checker builds (3-wise over about 460 literals)."""


@dataclass
class Coverage:
    t: int
    valid: int
    """Valid t-wise interactions: combinations of literals that some valid configuration has."""
    covered: int
    missing: list[tuple[str, ...]] = field(default_factory=list)
    invalid_configurations: list[int] = field(default_factory=list)
    """Positions of sample configurations that are not valid (they cover nothing)."""

    @property
    def ratio(self) -> float:
        return 1.0 if self.valid == 0 else self.covered / self.valid

    def summary(self) -> str:
        text = f"{self.t}-wise coverage: {self.covered}/{self.valid} ({100 * self.ratio:.2f}%)"
        if self.invalid_configurations:
            text += f", {len(self.invalid_configurations)} invalid configuration(s) ignored"
        return text

    def as_dict(self) -> dict:
        return {"t": self.t, "valid": self.valid, "covered": self.covered}


@dataclass(frozen=True)
class _Literal:
    name: str
    feature: str
    value: Value | None
    """True/False: selected/deselected; anything else: the typed feature has this value."""


def model_literals(model: FeatureModel) -> list[_Literal]:
    out: list[_Literal] = []
    for f in model.features():
        out.append(_Literal(f.name, f.name, True))
        out.append(_Literal(f"!{f.name}", f.name, False))
        if f.type is not FeatureType.BOOLEAN:
            for v in f.domain() or ():
                out.append(_Literal(f"{f.name}={v}", f.name, v))
    return out


def _holds(lit: _Literal, value: Value | None) -> bool:
    selected = value is not None and value is not False
    if lit.value is True:
        return selected
    if lit.value is False:
        return not selected
    return selected and not isinstance(value, bool) and value == lit.value


def coverage(
    model: FeatureModel,
    configs: Sequence[Mapping[str, Value | None]],
    t: int,
    reasoner: Reasoner | None = None,
) -> Coverage:
    """Share of valid t-wise interactions the valid configurations of `configs` cover."""
    if t < 1:
        raise PimpError("t must be at least 1")
    reasoner = reasoner or Reasoner(model)
    lits = model_literals(model)
    n = len(lits)
    if n**t > MAX_TENSOR:
        raise PimpError(
            f"{t}-wise coverage over {n} literals is too large to check; use a smaller t"
        )
    good = []  # type: ignore[var-annotated]
    invalid = []  # type: ignore[var-annotated]
    for i, config in enumerate(configs):
        (invalid if reasoner.violations(config) else good).append(i)
    rows = np.zeros((len(good), n), dtype=bool)  # type: ignore[type-var]
    for r, i in enumerate(good):
        config = configs[i]
        rows[r] = [_holds(lit, config.get(lit.feature)) for lit in lits]
    seen = _together(rows, t)
    upper = _increasing(n, t)
    covered = int((seen & upper).sum())
    known = np.zeros_like(seen)
    decider = _Decider(reasoner, lits)
    missing: list[tuple[str, ...]] = []
    try:
        for combo in map(tuple, np.argwhere(~seen & upper).tolist()):
            if not known[combo]:
                witness = decider.witness(combo)
                if witness is None:
                    continue
                known |= _together(witness[None, :], t)
            missing.append(tuple(lits[i].name for i in combo))
    finally:
        decider.close()
    valid = covered + len(missing)
    return Coverage(t, valid, covered, missing, invalid)


def _increasing(n: int, t: int) -> np.ndarray:
    """Mask of index tuples i < j (< k): each combination once."""
    idx = np.indices((n,) * t)
    mask = np.ones((n,) * t, dtype=bool)
    for a in range(t - 1):
        mask &= idx[a] < idx[a + 1]
    return mask


def _together(rows: np.ndarray, t: int) -> np.ndarray:
    f = rows.astype(np.float32)
    n = rows.shape[1]
    if t == 1:
        return rows.any(axis=0)  # type: ignore[return-value]
    if t == 2:
        return (f.T @ f) > 0.5
    out = np.zeros((n,) * t, dtype=bool)
    for a in range(n):
        sub = rows[rows[:, a]]
        if len(sub):
            out[a] = _together(sub, t - 1)
    return out


class _Decider:
    """Whether a combination of literals occurs in some valid configuration (SAT), with every
    model found remembered as a witness for later combinations."""

    def __init__(self, reasoner: Reasoner, lits: list[_Literal]) -> None:
        enc = reasoner.encoding
        self.lits = lits
        self.cnf = [self._cnf_literal(enc, lit) for lit in lits]
        self.solver = Solver(name="g4", bootstrap_with=enc.clauses)
        self.impossible: dict[int, set[int]] = {}

    @staticmethod
    def _cnf_literal(enc, lit: _Literal) -> int:
        var = enc.feature_var[lit.feature]
        if lit.value is True:
            return var
        if lit.value is False:
            return -var
        return enc.value_var[lit.feature][lit.value]

    def close(self) -> None:
        self.solver.delete()

    def witness(self, combo: tuple[int, ...]) -> np.ndarray | None:
        """A valid configuration containing the combination (as literal truths), or None."""
        for i in combo:
            if i not in self.impossible:
                ok, implied = self.solver.propagate(assumptions=[self.cnf[i]])
                self.impossible[i] = {-x for x in implied} if ok else set(self.cnf)
        if any(self.cnf[j] in self.impossible[i] for i in combo for j in combo if i != j):
            return None
        if not self.solver.solve(assumptions=[self.cnf[i] for i in combo]):
            return None
        true = set(self.solver.get_model() or [])
        return np.array([x in true for x in self.cnf], dtype=bool)
