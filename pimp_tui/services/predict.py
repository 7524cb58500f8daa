"""The predictor explorer's services: training data from the measured runs, cross-validated
learners, learning curves, importances, pairwise interactions, the measured Pareto front, and
what-if queries (completed to valid configurations by the reasoner)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pimp_tui.errors import PimpError
from pimp_tui.predict.progress import Cancelled, ProgressCallback
from pimp_tui.services.datasets import DatasetRequest
from pimp_tui.services.predictors import (
    complete,
    finish,
    model_of,
    outside_domain,
    parse,
    split,
    training_rows,
)
from pimp_tui.variability.assignments import describe

__all__ = ["Cancelled"]  # what a cancelled training or search raises, for the pane

TARGETS = {
    "energy_j": "energy J",
    "energy_net_j": "net energy J",
    "energy_per_token_j": "J/token",
    "latency_s": "latency s",
    "ttft_s": "TTFT s",
    "tokens_per_s": "tokens/s",
    "accuracy": "accuracy",
    "peak_memory_bytes": "peak memory",
}
MIN_CONFIGURATIONS = 4


@dataclass
class TrainReport:
    target: str
    learner: str
    n: int
    folds: int
    r2: float
    mae: float
    """Out-of-fold mean absolute error, in the target's unit."""
    mape: float | None
    """Out-of-fold MAPE, percent; None where the target is not strictly positive or a proportion."""
    coverage68: float
    """Share of configurations whose measured value lies in the out-of-fold 68% interval."""
    coverage95: float
    curve: list[tuple[int, float]]
    curve_metric: str
    importance: list[tuple[str, float]]
    interactions: list[tuple[str, str, float]]
    estimator: Any
    encoder: Any
    model_id: int | None
    varying: set[str]
    """Features whose value differs among the training configurations."""
    measured: list[float]
    """The measured value of each training configuration."""
    distrust: str | None = None
    """Why the predictor must not be trusted; None when nothing says so."""
    notes: list[str] = field(default_factory=list)
    """What the choice of runs left out."""

    @property
    def headline(self) -> str:
        unit = f" {UNITS[self.target]}" if UNITS.get(self.target) else ""
        parts = [f"R² {self.r2:.3f}", f"MAE {self.mae:.3g}{unit}"]
        if self.mape is not None:
            parts.append(f"MAPE {self.mape:.1f}%")
        return " · ".join(parts)

    @property
    def calibration(self) -> str:
        return (
            f"measured inside the 68% interval: {self.coverage68:.0%}, "
            f"inside the 95% interval: {self.coverage95:.0%}"
        )

    def predict(self, config: dict[str, Any]) -> tuple[float, float | None]:
        means, spreads = self.predict_many([config])
        return means[0], spreads[0]

    def predict_many(self, configs: list[dict[str, Any]]) -> tuple[list[float], list[float]]:
        """Predictions with their uncertainty: half the width of the learner's central 68%
        interval (one standard deviation for a symmetric one)."""
        x = self.encoder.encode(configs)
        means = self.estimator.predict(x)
        low, high = self.estimator.predict_interval(x, level=ONE_SIGMA)
        return [float(v) for v in means], [float(v) for v in (high - low) / 2]

    def within(self, low: float, high: float) -> int:
        """Measured configurations whose value lies in [low, high]."""
        return sum(low <= v <= high for v in self.measured)


UNITS = {
    "energy_j": "J", "energy_net_j": "J", "energy_per_token_j": "J/token", "latency_s": "s",
    "ttft_s": "s", "tokens_per_s": "tokens/s", "accuracy": "", "peak_memory_bytes": "B",
}  # fmt: skip
ONE_SIGMA = 0.6827


def learner_names() -> list[str]:
    """The predictor layer's learners, the default one first."""
    from pimp_tui.services.predictors import DEFAULT_LEARNER, LEARNER_NAMES

    return sorted(LEARNER_NAMES, key=lambda name: (name != DEFAULT_LEARNER, name))


def prepare_learning() -> None:
    """Starts the processes that fit side by side, so the first training finds them ready
    (a few seconds of library loading, spent while the user is still choosing)."""
    from pimp_tui.predict.fits import start_workers

    start_workers()


# --- data ------------------------------------------------------------------------------------


def load_dataset(db_path: str | Path, campaign_id: int | None = None) -> Any:
    """The measured dataset (`services.datasets`) of every campaign, or of one."""
    from pimp_tui.services.datasets import DatasetRequest
    from pimp_tui.services.datasets import load_dataset as dataset

    return dataset(db_path, DatasetRequest(campaign_id))


def target_choices(db_path: str | Path) -> list[tuple[str, str]]:
    """Targets with enough measured configurations to learn from, labelled with their count."""
    data = load_dataset(db_path)
    out = []
    for target, label in TARGETS.items():
        n = sum(v is not None for v in data.targets[target])
        if n >= MIN_CONFIGURATIONS and len({v for v in data.targets[target] if v is not None}) > 1:
            out.append((target, f"{label} ({n})"))
    return out


# --- training --------------------------------------------------------------------------------


TRAIN_STAGES = {
    "cross-validating": 4.0,
    "learning curve": 1.5,
    "fitting on every configuration": 1.0,
    "importance and interactions": 0.6,
}
"""Stages of training and their rough shares of its time (fits, weighed by their rows)."""


def train_report(
    db_path: str | Path,
    target: str,
    learner: str,
    seed: int = 0,
    progress: ProgressCallback | None = None,
    cancelled: Callable[[], bool] | None = None,
    campaign_id: int | None = None,
    data: Any = None,
) -> TrainReport:
    """Cross-validated scores (R², MAE, MAPE where it applies, interval coverage), a learning
    curve, importances and the strongest interactions of `learner` on `target`, then the
    learner fitted on every measured configuration (of one campaign where `campaign_id` is
    given, or of the `data` a DatasetRequest asks for: the rows `pimp predict train` learns
    from). Reports to `progress`; stops with `Cancelled` once `cancelled()` says so."""
    from pimp_tui.predict.data import target_bounds
    from pimp_tui.predict.evaluation import cross_validate, distrust, learning_curve
    from pimp_tui.predict.explain import interaction_strength, permutation_importance
    from pimp_tui.predict.learners import make_learner
    from pimp_tui.predict.progress import Tracker

    tracker = Tracker(TRAIN_STAGES, progress, cancelled)
    tracker.stage("reading the measured runs")
    request = data or DatasetRequest(campaign_id)
    rows = training_rows(db_path, target, request)
    if len(rows.y) < MIN_CONFIGURATIONS:
        raise PimpError(
            f"{target}: {len(rows.y)} measured configuration(s); at least {MIN_CONFIGURATIONS} "
            "are needed to cross-validate"
        )
    configs, encoder, x, y = rows.configs or [], rows.encoder, rows.x, rows.y
    bounds = target_bounds(target)
    tracker.stage("cross-validating")
    cv = cross_validate(x, y, learner, CV_FOLDS, seed, bounds, tracker)
    tracker.stage("learning curve")
    # The last point is the cross-validation itself: each fold trains on (k-1)/k of the rows.
    sizes = sorted({max(2, round(f * len(y))) for f in CURVE_FRACTIONS} - {len(y)})
    points = learning_curve(x, y, sizes, learner, CURVE_REPEATS, seed, bounds, tracker)
    curve = [(p.size, p.error_mean) for p in points]
    curve.append((len(y) - len(y) // int(cv["folds"]), float(cv["error_fold_mean"])))
    tracker.stage("fitting on every configuration")
    estimator = make_learner(learner, seed, bounds).fit(x, y)
    tracker.stage("importance and interactions")
    columns = encoder.columns
    ranked = permutation_importance(
        estimator, x, y, columns, IMPORTANCE_REPEATS, seed, bounds, tracker
    )
    importance = [(readable(i.feature), i.mean) for i in ranked]
    top = [columns.index(i.feature) for i in ranked[:TOP_FOR_INTERACTIONS] if i.mean > 0]
    interactions = [
        (readable(i.first), readable(i.second), i.h2)
        for i in interaction_strength(estimator, x, columns, top, seed=seed, tracker=tracker)
    ] if len(top) > 1 else []  # fmt: skip
    return TrainReport(
        target, learner, len(y), int(cv["folds"]), float(cv["r2"]), float(cv["mae"]), cv["mape"],
        float(cv["coverage68"]), float(cv["coverage95"]), curve, points[0].metric, importance,
        interactions, estimator, encoder, rows.model_id, varying_features(configs),
        [float(v) for v in y], distrust(float(cv["r2"]), len(y), len(columns)), rows.notes,
    )  # fmt: skip


def readable(column: str) -> str:
    """`Decoding.alternative=Greedy` (the encoder's one-hot column) reads as `Greedy`."""
    return column.split("=", 1)[1] if ".alternative=" in column else column


CV_FOLDS = 5
CURVE_REPEATS = 2
CURVE_FRACTIONS = (0.25, 0.5)
"""Random splits per size and sizes of the learning curve below the cross-validation's
(k-1)/k: it shows a trend, and it is the dearest part of training (one fit per split)."""
IMPORTANCE_REPEATS = 2
TOP_FOR_INTERACTIONS = 6


# --- Pareto ----------------------------------------------------------------------------------


@dataclass
class ParetoData:
    points: list[tuple[float, float]]
    front: list[tuple[float, float]]
    front_labels: list[str]
    x_label: str = "energy J"
    y_label: str = "accuracy"


def measured_pareto(db_path: str | Path, campaign_id: int | None = None) -> ParetoData:
    """Measured configurations as (energy, accuracy); the front: no other one uses less
    energy and is at least as accurate."""
    data = load_dataset(db_path, campaign_id)
    pts = [
        (e, a, c)
        for e, a, c in zip(
            data.targets["energy_j"], data.targets["accuracy"], data.configs, strict=True
        )  # fmt: skip
        if e is not None and a is not None
    ]
    from pimp_tui.predict.pareto import pareto_front

    indices = pareto_front([(e, a) for e, a, _ in pts], maximise=[False, True]) if pts else []
    varying = varying_features(data.configs)
    front = [(pts[i][0], pts[i][1]) for i in indices]
    labels = [f"{e:.3g} J/{a:.2f}: {summary(pts[i][2], 4, varying)}" for (e, a), i in
              zip(front, indices, strict=True)]  # fmt: skip
    return ParetoData([(e, a) for e, a, _ in pts], front, labels)


def varying_features(configs: list[dict[str, Any]]) -> set[str]:
    names = {k for c in configs for k in c}
    return {n for n in names if len({_key(c.get(n)) for c in configs}) > 1}


def summary(config: dict[str, Any], limit: int = 6, only: set[str] | None = None) -> str:
    """Selected features and values, leaving out those outside `only` (e.g. core ones)."""
    parts = [
        k if v is True else f"{k}={v}"
        for k, v in config.items()
        if v not in (False, None) and (only is None or k in only)
    ]
    return " ".join(parts[:limit]) + (" …" if len(parts) > limit else "")


# --- queries ---------------------------------------------------------------------------------


@dataclass
class Answer:
    rows: list[tuple]
    config_text: str
    message: str = ""
    warnings: list[str] = field(default_factory=list)
    """Said before the answer: which predictors behind it are not trustworthy, and why."""


def warnings_of(reports: dict[str, TrainReport]) -> list[str]:
    return [f"{target}: {r.distrust}" for target, r in reports.items() if r.distrust]


_COMPARE = re.compile(r"^([A-Za-z_]\w*)\s*(<=|>=|<|>)\s*(-?[\d.eE+-]+)$")


def _model_for(reports: dict[str, TrainReport], db_path: str | Path) -> Any:
    model = model_of(db_path, next(iter(reports.values())).model_id)
    if model is None:
        raise PimpError("the measured runs' feature model is not in the store")
    return model


def predict_partial(reports: dict[str, TrainReport], text: str, db_path: str | Path) -> Answer:
    model = _model_for(reports, db_path)
    encoder = next(iter(reports.values())).encoder
    partial = parse(text, model, encoder)
    config = complete(model, encoder, partial)
    rows = []
    for target, report in reports.items():
        mean, std = report.predict(config)
        rows.append((target, mean, std, report.learner))
    fixed = describe(partial)
    completed = f"{fixed or '(nothing fixed)'} → completed: {summary(config, 8, _shown(reports))}"
    return Answer(rows, completed,
                  warnings=[*outside_domain(model, partial), *warnings_of(reports)])  # fmt: skip


RECOMMEND_BUDGET = 400
"""Configurations the local search may score (each scored by every trained predictor)."""


def recommend_under(
    reports: dict[str, TrainReport],
    text: str,
    db_path: str | Path,
    budget: int = RECOMMEND_BUDGET,
    progress: ProgressCallback | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> Answer:
    """The valid configuration with the least predicted energy (or the first trained target)
    meeting `metric op number` constraints; other tokens fix feature values as in a query.
    Each row: target, prediction, half its 68% interval, and how many measured configurations
    lie within that interval of it."""
    from pimp_tui.predict.progress import Tracker
    from pimp_tui.predict.recommend import Constraint, recommend

    limits, feature_tokens = [], []
    for token in re.split(r"[,;]|\s+and\s+", text):
        token = token.strip()
        if not token:
            continue
        if _COMPARE.match(token.replace(" ", "")):
            limits.append(Constraint.parse(token.replace(" ", "")))
        else:
            feature_tokens.append(token)
    missing = sorted({c.target for c in limits} - set(reports))
    if missing:
        raise PimpError("train a predictor for " + ", ".join(missing) + " first")
    objective = "energy_j" if "energy_j" in reports else next(iter(reports))
    model = _model_for(reports, db_path)
    encoder = next(iter(reports.values())).encoder
    fixed = parse(feature_tokens, model, encoder)
    scorers = {t: _scorer(r, fixed) for t, r in reports.items()}
    tracker = Tracker({"searching valid configurations": 1.0}, progress, cancelled)
    tracker.stage("searching valid configurations")
    found = recommend(
        model, scorers, objective, limits, fixed=split(model, encoder, fixed), budget=budget,
        tracker=tracker,
    )  # fmt: skip
    warnings = warnings_of(reports)
    if found is None:
        message = "no valid configuration is predicted to meet the constraints"
        return Answer([], "", message, warnings)
    config = finish(found.config, encoder, fixed)
    rows = []
    for target, report in reports.items():
        means, spreads = report.predict_many([config])
        mean, spread = means[0], spreads[0]
        rows.append((target, mean, spread, report.within(mean - spread, mean + spread)))
    message = f"least predicted {objective} ({found.method}, {found.evaluated} evaluated)"
    return Answer(rows, summary(config, 10, _shown(reports)), message, warnings)


def _shown(reports: dict[str, TrainReport]) -> set[str]:
    """What a configuration's summary shows: the features that varied in training and the
    values a query fills in (an overridden max_new_tokens: what ran)."""
    first = next(iter(reports.values()))
    return first.varying | set(getattr(first.encoder, "defaults", {}) or {})


def _scorer(report: TrainReport, given: dict[str, Any]) -> Any:
    import numpy as np

    def score(configs: Any) -> Any:
        finished = [finish(c, report.encoder, given) for c in configs]
        return np.asarray(report.predict_many(finished)[0])

    return score


def _key(value: Any) -> str:
    return repr(value)
