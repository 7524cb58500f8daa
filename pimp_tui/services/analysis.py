"""What the editor's status line says about a model: satisfiable or not (and why), the exact
number of valid configurations, core and dead features."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pimp_tui.errors import PimpError
from pimp_tui.variability.model import FeatureModel, Value


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


# --------------------------------------------------------------------------- model files


@dataclass
class ModelCheck:
    """A model file checked: its size, whether any configuration is valid (else the
    constraints and tree relations that clash), and whether the given values complete to a
    valid configuration (None without given values)."""

    model: FeatureModel
    features: int
    constraints: int
    satisfiable: bool
    conflict: list[str] = field(default_factory=list)
    completable: bool | None = None
    given_conflict: list[str] = field(default_factory=list)


def _reasoner(path: str) -> tuple[FeatureModel, Any]:
    from pimp_tui.errors import UnsupportedConstruct
    from pimp_tui.variability.io import load_model
    from pimp_tui.variability.reasoning import Reasoner

    model = load_model(path)
    try:
        return model, Reasoner(model)
    except UnsupportedConstruct as exc:
        raise UnsupportedConstruct(f"{path}: not supported by the reasoner: {exc}") from None


Given = Mapping[str, Value | None] | Sequence[str] | None
"""Feature values: a mapping, or configuration text items (variability/assignments.py), typed
by the model's features."""


def _given(model: FeatureModel, given: Given) -> dict[str, Value | None]:
    if given is None or isinstance(given, Mapping):
        return dict(given or {})
    from pimp_tui.variability.assignments import parse_assignments

    return parse_assignments(given, model)


def check_file(path: str, given: Given = None) -> ModelCheck:
    model, reasoner = _reasoner(path)
    given = _given(model, given)
    result = ModelCheck(
        model, sum(1 for _ in model.features()), len(model.constraints), reasoner.is_satisfiable()
    )
    if not result.satisfiable:
        result.conflict = list(reasoner.conflict())
    elif given:
        result.completable = bool(reasoner.can_complete(dict(given)))
        if not result.completable:
            result.given_conflict = list(reasoner.conflict(dict(given)))
    return result


def count_text(count: int, grouped: bool = False) -> str:
    """A count in decimal digits (grouped by thousands when asked), however long: Python
    refuses to turn an int of more than 4,300 digits into text, and a model of 15,000 free
    options has that many valid configurations. Decimal converts without that limit."""
    from decimal import Decimal

    return format(Decimal(count), "," if grouped else "")


def count_file(path: str, given: Given = None) -> int:
    """The exact number of valid configurations (with the given values)."""
    model, reasoner = _reasoner(path)
    return int(reasoner.count(_given(model, given)))


@dataclass
class ModelSummary:
    """What `pimp model show` prints under the tree."""

    model: FeatureModel
    features: int
    abstract: int
    typed: int
    constraints: int
    satisfiable: bool
    count: int = 0
    core: list[str] = field(default_factory=list)
    dead: list[str] = field(default_factory=list)


def summarise_file(path: str) -> ModelSummary:
    model, reasoner = _reasoner(path)
    features = list(model.features())
    summary = ModelSummary(
        model, len(features), sum(f.abstract for f in features),
        sum(f.type.value != "Boolean" for f in features), len(model.constraints),
        reasoner.is_satisfiable(),
    )  # fmt: skip
    if summary.satisfiable:
        summary.count = int(reasoner.count())
        summary.core = list(reasoner.core_features())
        summary.dead = list(reasoner.dead_features())
    return summary


def convert_file(source: str, target: str) -> None:
    """Read a model file and write it in the format of `target`'s extension (.uvl or .xml)."""
    from pimp_tui.services.workspace import open_model_file, save_model_file

    save_model_file(open_model_file(source), target)
