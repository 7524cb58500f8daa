"""The predictor explorer's services: training data from the measured runs, cross-validated
learners, learning curves, importances, pairwise interactions, the measured Pareto front, and
what-if queries (completed to valid configurations by the reasoner)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pimp_tui.errors import PimpError
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
RUN_KEYS = (
    "campaign_id", "run_id", "configuration_id", "repetition", "position", "status", "error",
    "started_at", "finished_at", "llm", "task", "prompts",
)  # fmt: skip


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
    mape: float
    """Out-of-fold MAPE, percent."""
    curve: list[tuple[int, float]]
    curve_metric: str
    importance: list[tuple[str, float]]
    interactions: list[tuple[str, str, float]]
    estimator: Any
    encoder: Any
    model_id: int | None
    varying: set[str]
    """Features whose value differs among the training configurations."""

    @property
    def headline(self) -> str:
        return f"R² {self.r2:.3f} · MAPE {self.mape:.1f}%"

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


ONE_SIGMA = 0.6827


def learner_names() -> list[str]:
    """The predictor layer's learners, the random forest first (fast, and the paper's)."""
    from pimp_tui.predict import LEARNER_NAMES

    return sorted(LEARNER_NAMES, key=lambda name: (name != "rf", name))


# --- data ------------------------------------------------------------------------------------


def load_dataset(db_path: str | Path) -> Dataset:
    """Finished runs of every campaign, averaged per (configuration, model, task)."""
    from pimp_tui.store.campaigns import METRIC_COLUMNS, runs_rows

    db = open_db(db_path)
    try:
        rows = [r for r in runs_rows(db) if r["status"] == "done"]
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


def train_report(
    db_path: str | Path,
    target: str,
    learner: str,
    seed: int = 0,
    progress: Callable[[str], None] = lambda stage: None,
) -> TrainReport:
    """Cross-validated scores, a learning curve, importances and the strongest interactions of
    `learner` on `target`, then the learner fitted on every measured configuration."""
    import numpy as np

    from pimp_tui.predict.encoding import Encoder
    from pimp_tui.predict.evaluation import cross_validate, learning_curve
    from pimp_tui.predict.explain import interaction_strength, permutation_importance
    from pimp_tui.predict.learners import make_learner

    data = load_dataset(db_path)
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
    progress(f"cross-validating {learner} on {len(y)} configurations…")
    cv = cross_validate(x, y, learner=learner, folds=5, seed=seed)
    progress("learning curve…")
    sizes = sorted({max(2, round(f * len(y))) for f in CURVE_FRACTIONS} - {len(y)})
    curve = [
        (p.size, p.mape_mean)
        for p in learning_curve(
            x, y, sizes=sizes, learner=learner, repeats=CURVE_REPEATS, seed=seed
        )
    ]
    progress("fitting on every configuration, importances and interactions…")
    estimator = make_learner(learner, seed).fit(x, y)
    columns = encoder.columns
    ranked = permutation_importance(estimator, x, y, columns, repeats=IMPORTANCE_REPEATS, seed=seed)
    importance = [(readable(i.feature), i.mean) for i in ranked]
    top = [columns.index(i.feature) for i in ranked[:TOP_FOR_INTERACTIONS] if i.mean > 0]
    interactions = [
        (readable(i.first), readable(i.second), i.h2)
        for i in interaction_strength(estimator, x, columns, features=top, seed=seed)
    ] if len(top) > 1 else []  # fmt: skip
    return TrainReport(
        target, learner, len(y), int(cv["folds"]), float(cv["r2"]), float(cv["mape"]), curve,
        "MAPE %", importance, interactions, estimator, encoder, data.model_id,
        varying_features(configs),
    )  # fmt: skip


def readable(column: str) -> str:
    """`Decoding.alternative=Greedy` (the encoder's one-hot column) reads as `Greedy`."""
    return column.split("=", 1)[1] if ".alternative=" in column else column


CURVE_REPEATS = 2
CURVE_FRACTIONS = (0.2, 0.4, 0.6, 0.8)
"""Random splits per size and sizes of the learning curve: it shows a trend, and it is the
dearest part of training (one fit per split)."""
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


def measured_pareto(db_path: str | Path) -> ParetoData:
    """Measured configurations as (energy, accuracy); the front: no other one uses less
    energy and is at least as accurate."""
    data = load_dataset(db_path)
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
    return Answer(rows, f"{fixed or '(nothing fixed)'} → completed: {summary(config, 8, varying)}")


RECOMMEND_BUDGET = 400
"""Configurations the local search may score (each scored by every trained predictor)."""


def recommend_under(
    reports: dict[str, TrainReport], text: str, db_path: str | Path, budget: int = RECOMMEND_BUDGET
) -> Answer:
    """The valid configuration with the least predicted energy (or the first trained target)
    meeting `metric op number` constraints; other tokens fix feature values as in a query."""
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
    found = recommend(
        _model_for(reports, db_path), scorers, objective, limits,
        fixed=parse_partial(" ".join(feature_tokens)), budget=budget,
    )  # fmt: skip
    if found is None:
        return Answer([], "", "no valid configuration is predicted to meet the constraints")
    rows = []
    for target, report in reports.items():
        mean, spread = report.predict(found.config)
        rows.append((target, mean, spread))
    message = f"least predicted {objective} ({found.method}, {found.evaluated} evaluated)"
    varying = next(iter(reports.values())).varying
    return Answer(rows, summary(found.config, 10, varying), message)


def _scorer(report: TrainReport) -> Any:
    import numpy as np

    return lambda configs: np.asarray(report.predict_many(list(configs))[0])


def _key(value: Any) -> str:
    return repr(value)
