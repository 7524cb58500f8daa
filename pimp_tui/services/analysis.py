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
            return Analysis(False, 0, explanation=list(reasoner.conflict()))
        return Analysis(
            True,
            reasoner.count(),
            core=list(reasoner.core_features()),
            dead=list(reasoner.dead_features()),
        )
    except PimpError as exc:
        return Analysis(False, problem=str(exc))
