"""What a campaign report shows, as plain data: filled by `services.report`, laid out by
`report.html`. Numbers stay numbers here; the layout formats them."""

from __future__ import annotations

from dataclasses import dataclass, field

SECTIONS = (
    ("settings", "Campaign settings"),
    ("sensor", "Sensor and caveats"),
    ("runs", "Runs"),
    ("traces", "Power traces"),
    ("effects", "Per-feature effects"),
    ("scores", "Predictor scores"),
    ("importance", "Importances"),
    ("interactions", "Interactions"),
    ("pareto", "Pareto front"),
    ("recommendation", "Recommendation"),
)
"""(anchor id, heading) of every section, in order; each is present in every report, with a
sentence saying why when it has nothing to show."""


@dataclass
class Trace:
    label: str
    points: list[tuple[float, float]]
    """(seconds since the run's window opened, watts)."""


@dataclass
class Effect:
    """Mean of each target over the runs where `feature` has `value`."""

    feature: str
    value: str
    runs: int
    means: dict[str, float | None]


@dataclass
class Predictor:
    target: str
    unit: str
    learner: str
    configurations: int
    folds: int
    r2: float
    mae: float
    mape: float | None
    coverage68: float
    coverage95: float
    curve: list[tuple[int, float]]
    curve_metric: str
    importance: list[tuple[str, float]]
    interactions: list[tuple[str, str, float]]
    distrust: str | None = None


@dataclass
class Recommended:
    constraints: str
    message: str
    config: str
    rows: list[tuple[str, float, float, int]]
    """(target, prediction, half its 68% interval, measured configurations within it)."""
    warnings: list[str] = field(default_factory=list)


@dataclass
class CampaignReport:
    title: str
    generated: str
    settings: list[tuple[str, str]]
    sensor: list[tuple[str, str]]
    caveats: list[str]
    run_columns: list[str]
    runs: list[list[str]]
    traces: list[Trace]
    trace_note: str
    effect_targets: list[tuple[str, str]]
    """(target, label with unit) of the effect columns."""
    effects: list[Effect]
    predictors: list[Predictor]
    predictor_note: str
    pareto_points: list[tuple[float, float]]
    pareto_front: list[tuple[float, float]]
    pareto_labels: list[str]
    recommendation: Recommended | None
    recommendation_note: str
    chosen: tuple[float, float, float, float] | None = None
    """The recommended configuration's predicted (energy, accuracy) and half their 68%
    intervals, drawn on the Pareto plot; None without both predictors."""
