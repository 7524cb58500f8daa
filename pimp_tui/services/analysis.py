"""What the editor's status line says about a model: satisfiable or not (and why), the exact
number of valid configurations, core and dead features."""

from __future__ import annotations

from dataclasses import dataclass, field

from pimp_tui.errors import PimpError
from pimp_tui.variability.model import FeatureModel


@dataclass
class Analysis:
    satisfiable: bool
    count: int | None = None
    core: list[str] = field(default_factory=list)
    dead: list[str] = field(default_factory=list)
    explanation: list[str] = field(default_factory=list)
    """For an inconsistent model: the constraints and tree relations that clash."""
    problem: str | None = None
    """Set when the model could not be analysed (for example an unsupported construct)."""


def analyse_model(model: FeatureModel) -> Analysis:
    from pimp_tui.variability.reasoning import Reasoner

    try:
        reasoner = Reasoner(model)
        if not reasoner.is_satisfiable():
            encoding = reasoner.encoding
            conflict = minimal_conflict(encoding.clauses, encoding.clause_origin)
            return Analysis(False, 0, explanation=conflict)
        return Analysis(
            True,
            reasoner.count(),
            core=list(reasoner.core_features()),
            dead=list(reasoner.dead_features()),
        )
    except PimpError as exc:
        return Analysis(False, problem=str(exc))


def minimal_conflict(clauses: list[list[int]], origins: list[str]) -> list[str]:
    """Deletion-based minimal unsatisfiable subset over clause origins (one selector each)."""
    from pysat.solvers import Solver

    names = sorted(set(origins), key=origins.index)
    top = max((abs(lit) for clause in clauses for lit in clause), default=0)
    selector = {name: top + 1 + i for i, name in enumerate(names)}
    with Solver(name="g3") as solver:
        for clause, origin in zip(clauses, origins, strict=True):
            solver.add_clause([*clause, -selector[origin]])
        active = [selector[n] for n in names]
        if solver.solve(assumptions=active):
            return []
        core = set(solver.get_core() or active)
        kept = [s for s in active if s in core]
        i = 0
        while i < len(kept):
            trial = kept[:i] + kept[i + 1 :]
            if not solver.solve(assumptions=trial):
                kept = trial
            else:
                i += 1
    by_selector = {v: k for k, v in selector.items()}
    return [by_selector[s] for s in kept]
