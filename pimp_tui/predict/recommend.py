"""The best valid configuration under constraints on predicted (or measured) targets.

Where the valid space (with the user's fixed settings) is small it is enumerated and every
configuration is scored; otherwise randomised SAT completions seed a local search that changes
one setting at a time, repairing with the solver. Whatever is returned has been confirmed valid
by the reasoner, and honours the fixed settings.
"""

from __future__ import annotations

import operator
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pimp_tui.errors import PimpError
from pimp_tui.predict.progress import Tracker

Config = dict[str, Any]
Scorer = Callable[[Sequence[Mapping[str, Any]]], np.ndarray]
OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le, ">=": operator.ge, "<": operator.lt, ">": operator.gt,
}  # fmt: skip
EXHAUSTIVE_LIMIT = 5_000


@dataclass
class Constraint:
    target: str
    op: str
    limit: float

    @classmethod
    def parse(cls, text: str) -> Constraint:
        """'accuracy>=0.7' -> Constraint('accuracy', '>=', 0.7)."""
        for op in ("<=", ">=", "<", ">"):
            if op in text:
                name, _, value = text.partition(op)
                try:
                    return cls(name.strip(), op, float(value))
                except ValueError:
                    break
        raise PimpError(f"constraint {text!r}: expected TARGET<=X, TARGET>=X, < or >")

    def violation(self, value: float) -> float:
        """0 when it holds, else how far off it is."""
        return 0.0 if OPERATORS[self.op](value, self.limit) else abs(value - self.limit) + 1e-12


@dataclass
class Recommendation:
    config: Config
    predicted: dict[str, float]
    method: str
    evaluated: int
    alternatives: list[tuple[Config, dict[str, float]]] = field(default_factory=list)


def recommend(
    model: Any,
    scorers: Mapping[str, Scorer],
    objective: str,
    constraints: Sequence[Constraint] = (),
    fixed: Mapping[str, Any] | None = None,
    maximise: bool = False,
    seed: int = 0,
    budget: int = 2_000,
    exhaustive_limit: int = EXHAUSTIVE_LIMIT,
    tracker: Tracker | None = None,
) -> Recommendation | None:
    """Best valid configuration for `objective` among those meeting every constraint, or None
    when none does. `scorers` map a target name to a function scoring configurations."""
    from pimp_tui.variability.reasoning import Reasoner

    for name in [objective, *(c.target for c in constraints)]:
        if name not in scorers:
            raise PimpError(f"no predictor for {name!r} (have: {', '.join(scorers)})")
    fixed = dict(fixed or {})
    reasoner = Reasoner(model)
    if not reasoner.can_complete(fixed):
        raise PimpError("the fixed settings cannot be part of any valid configuration")
    search = _Search(reasoner, scorers, objective, constraints, maximise, tracker or Tracker())
    if reasoner.count(fixed) <= exhaustive_limit:
        from pimp_tui.sampling.exhaustive import all_configurations

        configs = [
            c for c in all_configurations(reasoner.encoding, limit=exhaustive_limit)
            if all(c.get(k) == v for k, v in fixed.items())
        ]  # fmt: skip
        search.tracker.plan(len(configs))
        search.score(configs)
        method = "exhaustive"
    else:
        search.tracker.plan(budget)
        search.local(model, fixed, seed, budget)
        method = "SAT sampling + local search"
    ranked = search.ranked()
    for i, (config, values, penalty) in enumerate(ranked):
        if penalty > 0:
            return None  # the best remaining one breaks a constraint: none meets them all
        if reasoner.is_valid(config) and all(config.get(k) == v for k, v in fixed.items()):
            rest = [(c, v) for c, v, p in ranked[i + 1 : i + 4] if p == 0]
            return Recommendation(config, values, method, search.evaluated, rest)
    return None


class _Search:
    def __init__(self, reasoner, scorers, objective, constraints, maximise, tracker) -> None:
        self.reasoner, self.scorers, self.tracker = reasoner, scorers, tracker
        self.objective, self.constraints, self.maximise = objective, constraints, maximise
        self.seen: dict[tuple, tuple[Config, dict[str, float], float]] = {}
        self.evaluated = 0

    def _key(self, config: Mapping[str, Any]) -> tuple:
        return tuple(sorted((k, repr(v)) for k, v in config.items()))

    def score(self, configs: Sequence[Config]) -> list[tuple[float, float]]:
        """(penalty, objective to minimise) of each configuration, caching repeats."""
        fresh = [c for c in configs if self._key(c) not in self.seen]
        if fresh:
            names = {self.objective, *(c.target for c in self.constraints)}
            values = {name: np.asarray(self.scorers[name](fresh), dtype=float) for name in names}
            for i, config in enumerate(fresh):
                row = {name: float(values[name][i]) for name in names}
                penalty = sum(c.violation(row[c.target]) for c in self.constraints)
                if not np.isfinite(row[self.objective]):
                    penalty += 1e12
                self.seen[self._key(config)] = (dict(config), row, penalty)
            self.evaluated += len(fresh)
            self.tracker.step(len(fresh))
        out = []
        for config in configs:
            _, row, penalty = self.seen[self._key(config)]
            out.append((penalty, self._signed(row[self.objective])))
        return out

    def _signed(self, value: float) -> float:
        return -value if self.maximise else value

    def ranked(self) -> list[tuple[Config, dict[str, float], float]]:
        entries = list(self.seen.values())
        return sorted(entries, key=lambda e: (e[2], self._signed(e[1][self.objective])))

    def local(self, model, fixed: Mapping[str, Any], seed: int, budget: int) -> None:
        rng = random.Random(seed)
        starts = [self.reasoner.complete(fixed, seed=seed * 7919 + s) for s in range(64)]
        starts = [c for c in starts if c is not None]
        if not starts:
            return
        self.score(starts)
        choices = {f.name: _choices(f) for f in model.features() if f.name not in fixed}
        names = [n for n, values in choices.items() if len(values) > 1]
        current = [c for c, _, _ in self.ranked()[:4]]
        while self.evaluated < budget and current and names:
            improved = []
            for config in current:
                best = self.score([config])[0]
                neighbours = []
                for name in rng.sample(names, min(len(names), 24)):
                    value = rng.choice([v for v in choices[name] if v != config.get(name)])
                    neighbour = self._repair(config, fixed, name, value, rng)
                    if neighbour is not None:
                        neighbours.append(neighbour)
                if not neighbours:
                    continue
                scored = self.score(neighbours)
                i = min(range(len(scored)), key=scored.__getitem__)
                if scored[i] < best:
                    improved.append(neighbours[i])
            if not improved:
                break
            current = improved

    def _repair(self, config, fixed, name, value, rng) -> Config | None:
        """`config` with `name` set to `value`, the rest kept where the solver allows."""
        partial = dict(config)
        partial[name] = value
        if self.reasoner.is_valid(partial):
            return partial
        for keep in (0.8, 0.5, 0.0):
            kept = {k: v for k, v in config.items() if k not in fixed and rng.random() < keep}
            trial = {**kept, **fixed, name: value}
            if self.reasoner.can_complete(trial):
                return self.reasoner.complete(trial, seed=rng.randrange(1 << 30))
        return None


def _choices(feature) -> list[Any]:
    from pimp_tui.variability.model import FeatureType

    if feature.type is FeatureType.BOOLEAN:
        return [True, False]
    return [None, *(feature.domain() or ())]
