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
from pimp_tui.predict.progress import ProgressCallback
from pimp_tui.services import open_db

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
class Dataset:
    """One row per measured configuration (repetitions averaged)."""

    features: list[str]
    configs: list[dict[str, Any]]
    targets: dict[str, list[float | None]]
    model_id: int | None = None


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
    """The predictor layer's learners, the random forest first (fast, and the paper's)."""
    from pimp_tui.predict import LEARNER_NAMES

    return sorted(LEARNER_NAMES, key=lambda name: (name != "rf", name))


# --- data ------------------------------------------------------------------------------------


def load_dataset(db_path: str | Path, campaign_id: int | None = None) -> Dataset:
    """Finished runs of every campaign (or of one), averaged per (configuration, model, task)."""
    from pimp_tui.store.campaigns import METRIC_COLUMNS, RUN_KEYS, runs_rows

    db = open_db(db_path)
    try:
        rows = [r for r in runs_rows(db, campaign_id) if r["status"] == "done"]
        model_id = None
        if rows:
            latest = max(rows, key=lambda r: r["campaign_id"])
            found = next(
                db.query(
                    "SELECT s.model_id FROM campaigns c JOIN samples s ON s.id = c.sample_id"
                    " WHERE c.id = ?",
                    [latest["campaign_id"]],
                ),
                None,
            )
            model_id = found["model_id"] if found else None
    finally:
        db.close()
    skip = set(RUN_KEYS) | set(METRIC_COLUMNS)
    features: list[str] = []
    for row in rows:
        features.extend(k for k in row if k not in skip and k not in features)
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault((row["configuration_id"], row["llm"], row["task"]), []).append(row)
    configs, targets = [], {t: [] for t in TARGETS}
    for group in groups.values():
        configs.append({f: group[0].get(f) for f in features})
        for target in TARGETS:
            values = [r[target] for r in group if isinstance(r.get(target), (int, float))]
            targets[target].append(sum(values) / len(values) if values else None)
    return Dataset(features, configs, targets, model_id)


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
    "learning curve": 2.4,
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
) -> TrainReport:
    """Cross-validated scores (R², MAE, MAPE where it applies, interval coverage), a learning
    curve, importances and the strongest interactions of `learner` on `target`, then the
    learner fitted on every measured configuration (of one campaign where `campaign_id` is
    given). Reports to `progress`; stops with `Cancelled` once `cancelled()` says so."""
    import numpy as np

    from pimp_tui.predict.data import target_bounds
    from pimp_tui.predict.encoding import Encoder
    from pimp_tui.predict.evaluation import cross_validate, distrust, learning_curve
    from pimp_tui.predict.explain import interaction_strength, permutation_importance
    from pimp_tui.predict.learners import make_learner
    from pimp_tui.predict.progress import Tracker

    tracker = Tracker(TRAIN_STAGES, progress, cancelled)
    tracker.stage("reading the measured runs")
    data = load_dataset(db_path, campaign_id)
    pairs = [
        (c, y) for c, y in zip(data.configs, data.targets[target], strict=True) if y is not None
    ]
    if len(pairs) < MIN_CONFIGURATIONS:
        raise PimpError(
            f"{target}: {len(pairs)} measured configuration(s); at least {MIN_CONFIGURATIONS} "
            "are needed to cross-validate"
        )
    configs = [c for c, _ in pairs]
    model = _stored_model(db_path, data.model_id)
    encoder = Encoder.from_model(model) if model is not None else Encoder.from_configs(configs)
    x = encoder.encode(configs)
    y = np.asarray([v for _, v in pairs], dtype=float)
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
        interactions, estimator, encoder, data.model_id, varying_features(configs),
        [float(v) for v in y], distrust(float(cv["r2"]), len(y), len(columns)),
    )  # fmt: skip


def readable(column: str) -> str:
    """`Decoding.alternative=Greedy` (the encoder's one-hot column) reads as `Greedy`."""
    return column.split("=", 1)[1] if ".alternative=" in column else column


CV_FOLDS = 5
CURVE_REPEATS = 2
CURVE_FRACTIONS = (0.2, 0.4, 0.6)
"""Random splits per size and sizes of the learning curve below the cross-validation's
(k-1)/k: it shows a trend, and it is the dearest part of training (one fit per split)."""
IMPORTANCE_REPEATS = 2
TOP_FOR_INTERACTIONS = 6


def _stored_model(db_path: str | Path, model_id: int | None) -> Any:
    if model_id is None:
        return None
    from pimp_tui.store.samples import load_model_by_id

    db = open_db(db_path)
    try:
        return load_model_by_id(db, model_id)
    finally:
        db.close()


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


_ASSIGN = re.compile(r"^(!?)([A-Za-z_][\w.]*)(?:\s*=\s*(\S+))?$")
_COMPARE = re.compile(r"^([A-Za-z_]\w*)\s*(<=|>=|<|>)\s*(-?[\d.eE+-]+)$")


def parse_partial(text: str) -> dict[str, Any]:
    """`do_sample temperature=0.7 !StaticCache` -> {do_sample: True, temperature: 0.7, ...}."""
    partial: dict[str, Any] = {}
    for token in text.replace(",", " ").split():
        match = _ASSIGN.match(token)
        if not match:
            raise PimpError(f"cannot read {token!r}: write name, !name or name=value")
        negate, name, value = match.groups()
        if value is None:
            partial[name] = not negate
        else:
            partial[name] = _number(value)
    return partial


def _number(text: str) -> Any:
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text.strip("'\"")


def _complete(model: Any, partial: dict[str, Any], seed: int = 0) -> dict[str, Any]:
    from pimp_tui.variability.reasoning import Reasoner

    names = set(model.feature_names())
    unknown = sorted(set(partial) - names)
    if unknown:
        raise PimpError("unknown feature(s): " + ", ".join(unknown))
    reasoner = Reasoner(model)
    config = reasoner.complete(partial, seed=seed)
    if config is None:
        raise PimpError("no valid configuration has these values")
    return config


def _model_for(reports: dict[str, TrainReport], db_path: str | Path) -> Any:
    model = _stored_model(db_path, next(iter(reports.values())).model_id)
    if model is None:
        raise PimpError("the measured runs' feature model is not in the store")
    return model


def predict_partial(reports: dict[str, TrainReport], text: str, db_path: str | Path) -> Answer:
    partial = parse_partial(text)
    config = _complete(_model_for(reports, db_path), partial)
    rows = []
    for target, report in reports.items():
        mean, std = report.predict(config)
        rows.append((target, mean, std, report.learner))
    fixed = " ".join(
        k if v is True else f"!{k}" if v is False else f"{k}={v}" for k, v in partial.items()
    )
    varying = next(iter(reports.values())).varying
    completed = f"{fixed or '(nothing fixed)'} → completed: {summary(config, 8, varying)}"
    return Answer(rows, completed, warnings=warnings_of(reports))


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
    scorers = {t: _scorer(r) for t, r in reports.items()}
    tracker = Tracker({"searching valid configurations": 1.0}, progress, cancelled)
    tracker.stage("searching valid configurations")
    found = recommend(
        _model_for(reports, db_path), scorers, objective, limits,
        fixed=parse_partial(" ".join(feature_tokens)), budget=budget, tracker=tracker,
    )  # fmt: skip
    warnings = warnings_of(reports)
    if found is None:
        message = "no valid configuration is predicted to meet the constraints"
        return Answer([], "", message, warnings)
    rows = []
    for target, report in reports.items():
        mean, spread = report.predict(found.config)
        rows.append((target, mean, spread, report.within(mean - spread, mean + spread)))
    message = f"least predicted {objective} ({found.method}, {found.evaluated} evaluated)"
    varying = next(iter(reports.values())).varying
    return Answer(rows, summary(found.config, 10, varying), message, warnings)


def _scorer(report: TrainReport) -> Any:
    import numpy as np

    return lambda configs: np.asarray(report.predict_many(list(configs))[0])


def _key(value: Any) -> str:
    return repr(value)
