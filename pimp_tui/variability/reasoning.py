"""Questions about a feature model answered over its CNF encoding: is it satisfiable, why is a
configuration invalid, how can a partial one be completed, which features are core or dead, and
how many configurations are valid."""

from __future__ import annotations

import random
import threading
from collections.abc import Mapping

from pysat.solvers import Solver

from pimp_tui.errors import PimpError
from pimp_tui.variability import semantics
from pimp_tui.variability.cnf import Encoding, encode
from pimp_tui.variability.counting import count_models
from pimp_tui.variability.model import Configuration, FeatureModel, FeatureType, GroupKind, Value

SOLVER = "g4"
"""Glucose 4: incremental, honours assumptions and preferred phases."""

RANDOM_MODELS = 4
"""Random models drawn before testing core/dead candidates one by one."""


class Reasoner:
    """SAT reasoning over one model (raises UnsupportedConstruct when it cannot be encoded)."""

    def __init__(self, model: FeatureModel) -> None:
        self.model = model
        self.encoding: Encoding = encode(model)
        self.evaluator = semantics.Evaluator(model)
        self._solver = Solver(name=SOLVER, bootstrap_with=self.encoding.clauses)
        self._lock = threading.Lock()
        self._satisfiable: bool | None = None
        self._core_dead: tuple[list[str], list[str]] | None = None
        self._count: int | None = None

    # --- satisfiability and completion ----------------------------------------------------

    def is_satisfiable(self) -> bool:
        if self._satisfiable is None:
            with self._lock:
                self._satisfiable = bool(self._solver.solve())
        return self._satisfiable

    def can_complete(self, partial: Mapping[str, Value | None]) -> bool:
        """Whether some valid configuration agrees with `partial`."""
        assumptions = self.encoding.assumptions(partial)
        with self._lock:
            return bool(self._solver.solve(assumptions=assumptions))

    def complete(
        self, partial: Mapping[str, Value | None], seed: int | None = None
    ) -> Configuration | None:
        """A valid configuration agreeing with `partial`, or None. With a seed the free
        features get random preferred values, so different seeds give different completions
        and the same seed the same one."""
        assumptions = self.encoding.assumptions(partial)
        if seed is None:
            with self._lock:
                if not self._solver.solve(assumptions=assumptions):
                    return None
                return self.encoding.decode(self._solver.get_model())
        with Solver(name=SOLVER, bootstrap_with=self.encoding.clauses) as solver:
            solver.set_phases(self._random_phases(random.Random(seed)))
            if not solver.solve(assumptions=assumptions):
                return None
            return self.encoding.decode(solver.get_model())

    def _random_phases(self, rng: random.Random) -> list[int]:
        return [v if rng.random() < 0.5 else -v for v in self.encoding.config_vars()]

    # --- explanations ---------------------------------------------------------------------

    def violations(self, config: Mapping[str, Value | None]) -> list[str]:
        """The tree relations and constraints (as written) a full configuration breaks."""
        features = list(self.model.features())
        missing = [f.name for f in features if f.name not in config]
        if missing:
            shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
            raise PimpError(f"the configuration lacks {len(missing)} feature(s): {shown}")
        selected = {f.name: semantics.is_selected(f, config[f.name]) for f in features}
        out: list[str] = []
        root = self.model.root
        if not selected[root.name]:
            out.append(semantics.root_relation(root))
        for feature in features:
            value = config[feature.name]
            if feature.type is FeatureType.BOOLEAN:
                if not isinstance(value, bool):
                    out.append(f"{feature.name} is Boolean: true or false, not {value!r}")
            elif value is not None and (
                isinstance(value, bool) or value not in self.encoding.value_var[feature.name]
            ):
                out.append(semantics.domain_relation(feature))
            for child in feature.children():
                if selected[child.name] and not selected[feature.name]:
                    out.append(semantics.child_relation(child, feature))
            if not selected[feature.name]:
                continue
            for group in feature.groups:
                if group.kind is GroupKind.MANDATORY:
                    out.extend(
                        semantics.mandatory_relation(child, feature)
                        for child in group.children
                        if not selected[child.name]
                    )
                    continue
                lo, hi = group.bounds()
                n = sum(selected[child.name] for child in group.children)
                if not lo <= n <= hi:
                    out.append(semantics.group_relation(group, feature))
        for constraint in self.model.constraints:
            if not self.evaluator.truth(constraint.expr, config):
                out.append(constraint.text or semantics.render(constraint.expr))
        return out

    def is_valid(self, config: Mapping[str, Value | None]) -> bool:
        return not self.violations(config)

    def conflict(self, partial: Mapping[str, Value | None] | None = None) -> list[str]:
        """Why no valid configuration exists (agreeing with `partial`, if given): relations
        and constraints that together admit none, none of them redundant (a minimal core by
        deletion). Empty when one exists."""
        fixed = self.encoding.assumptions(partial or {})
        selectors: dict[str, int] = {}
        top = self.encoding.num_vars
        with Solver(name=SOLVER) as solver:
            for clause, origin in zip(
                self.encoding.clauses, self.encoding.clause_origin, strict=True
            ):
                if origin not in selectors:
                    top += 1
                    selectors[origin] = top
                solver.add_clause([*clause, -selectors[origin]])
            if solver.solve(assumptions=[*fixed, *selectors.values()]):
                return []
            core = set(solver.get_core() or selectors.values())
            kept = [var for var in selectors.values() if var in core]
            for var in list(kept):
                trial = [v for v in kept if v != var]
                if not solver.solve(assumptions=[*fixed, *trial]):
                    kept = trial
        return [origin for origin, var in selectors.items() if var in kept]

    # --- core and dead features -----------------------------------------------------------

    def core_features(self) -> list[str]:
        """Features selected in every valid configuration (none when the model is void)."""
        return self._core_and_dead()[0]

    def dead_features(self) -> list[str]:
        """Features selected in no valid configuration (none when the model is void)."""
        return self._core_and_dead()[1]

    def _core_and_dead(self) -> tuple[list[str], list[str]]:
        if self._core_dead is not None:
            return self._core_dead
        if not self.is_satisfiable():
            self._core_dead = ([], [])
            return self._core_dead
        feature_var = self.encoding.feature_var
        # Candidates keep the value they had in every model seen; each new model prunes them.
        candidates: dict[int, bool] = {}
        rng = random.Random(0)
        with self._lock:
            for i in range(RANDOM_MODELS):
                if i:
                    self._solver.set_phases(self._random_phases(rng))
                self._solver.solve()
                model = self._solver.get_model()
                values = {abs(lit): lit > 0 for lit in model}
                if i == 0:
                    candidates = {v: values[v] for v in feature_var.values()}
                else:
                    candidates = {v: b for v, b in candidates.items() if values[v] == b}
            confirmed: dict[int, bool] = {}
            while candidates:
                var, value = candidates.popitem()
                if not self._solver.solve(assumptions=[-var if value else var]):
                    confirmed[var] = value
                    continue
                values = {abs(lit): lit > 0 for lit in self._solver.get_model()}
                candidates = {v: b for v, b in candidates.items() if values[v] == b}
        core = [name for name, var in feature_var.items() if confirmed.get(var) is True]
        dead = [name for name, var in feature_var.items() if confirmed.get(var) is False]
        self._core_dead = (core, dead)
        return self._core_dead

    # --- counting -------------------------------------------------------------------------

    def count(self, partial: Mapping[str, Value | None] | None = None) -> int:
        """The exact number of valid configurations (agreeing with `partial` if given)."""
        if partial:
            enc = self.encoding
            return count_models(enc.clauses, enc.num_vars, enc.assumptions(partial))
        if self._count is None:
            self._count = count_models(self.encoding.clauses, self.encoding.num_vars)
        return self._count
