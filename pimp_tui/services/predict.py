"""The predictor explorer's services: training data from the measured runs, cross-validated
learners, learning curves, importances, pairwise interactions, the measured Pareto front, and
what-if queries (completed to valid configurations by the reasoner)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
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
class Encoder:
    """Configuration -> numeric row: Boolean features 1/0, numbers their value (0 when
    deselected), strings an index among the values seen."""

    columns: list[str]
    levels: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def fit(cls, features: list[str], configs: list[dict[str, Any]]) -> Encoder:
        columns, levels = [], {}
        for name in features:
            values = {_key(c.get(name)) for c in configs}
            if len(values) < 2:
                continue  # constant in the data: nothing to learn from
            columns.append(name)
            strings = sorted({c.get(name) for c in configs if isinstance(c.get(name), str)})
            if strings:
                levels[name] = strings
        return cls(columns, levels)

    def row(self, config: dict[str, Any]) -> list[float]:
        out = []
        for name in self.columns:
            value = config.get(name)
            if name in self.levels:
                out.append(float(self.levels[name].index(value)) if value in self.levels[name]
                           else -1.0)  # fmt: skip
            elif value is None or value is False:
                out.append(0.0)
            elif value is True:
                out.append(1.0)
            else:
                out.append(float(value))
        return out


@dataclass
class TrainReport:
    target: str
    learner: str
    n: int
    folds: int
    r2: float
    r2_std: float
    mape: float
    curve: list[tuple[int, float]]
    curve_metric: str
    importance: list[tuple[str, float]]
    interactions: list[tuple[str, str, float]]
    estimator: Any
    encoder: Encoder
    model_id: int | None
    configs: list[dict[str, Any]]

    @property
    def headline(self) -> str:
        return f"R² {self.r2:.3f} ± {self.r2_std:.3f} · MAPE {100 * self.mape:.1f}%"

    def predict(self, config: dict[str, Any]) -> tuple[float, float | None]:
        means, stds = self.predict_many([config])
        return means[0], None if stds is None else stds[0]

    def predict_many(self, configs: list[dict[str, Any]]) -> tuple[list[float], list[float] | None]:
        """Means and, for tree ensembles, the spread of the members' predictions (one
        standard deviation): the uncertainty shown with every prediction."""
        import numpy as np

        x = np.asarray([self.encoder.row(c) for c in configs])
        means = [float(v) for v in self.estimator.predict(x)]
        members = getattr(self.estimator, "estimators_", None)
        if members is None:
            return means, None
        flat = list(np.ravel(members))
        if not flat or not all(hasattr(m, "predict") for m in flat):
            return means, None
        if type(self.estimator).__name__.startswith("GradientBoosting"):
            return means, None  # stages add up; their spread is not an uncertainty
        spread = np.std(np.stack([m.predict(x) for m in flat]), axis=0)
        return means, [float(v) for v in spread]


def learner_names() -> list[str]:
    return list(_LEARNERS)


def _make_learner(name: str, seed: int) -> Any:
    from sklearn.ensemble import (
        ExtraTreesRegressor,
        GradientBoostingRegressor,
        RandomForestRegressor,
    )
    from sklearn.linear_model import RidgeCV
    from sklearn.neighbors import KNeighborsRegressor

    builders = {
        "random-forest": lambda: RandomForestRegressor(n_estimators=100, random_state=seed),
        "extra-trees": lambda: ExtraTreesRegressor(n_estimators=100, random_state=seed),
        "gradient-boosting": lambda: GradientBoostingRegressor(random_state=seed),
        "ridge": lambda: RidgeCV(),
        "knn": lambda: KNeighborsRegressor(n_neighbors=3),
    }
    return builders[name]()


_LEARNERS = ("random-forest", "extra-trees", "gradient-boosting", "ridge", "knn")


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


def train_report(db_path: str | Path, target: str, learner: str, seed: int = 0) -> TrainReport:
    import numpy as np
    from sklearn.model_selection import KFold, cross_validate, learning_curve

    if learner not in _LEARNERS:
        raise PimpError(f"unknown learner {learner!r}: one of {', '.join(_LEARNERS)}")
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
    encoder = Encoder.fit(data.features, configs)
    if not encoder.columns:
        raise PimpError("every measured configuration has the same feature values")
    x = np.asarray([encoder.row(c) for c in configs])
    y = np.asarray([v for _, v in pairs], dtype=float)
    folds = min(5, len(y))
    cv = KFold(n_splits=folds, shuffle=True, random_state=seed)
    scores = cross_validate(
        _make_learner(learner, seed), x, y, cv=cv,
        scoring=("r2", "neg_mean_absolute_percentage_error"),
    )  # fmt: skip
    r2 = scores["test_r2"]
    mape = -scores["test_neg_mean_absolute_percentage_error"]
    # The curve is coarser than the scores (3 folds, 4 sizes): it shows a trend, and it is the
    # most expensive part of training.
    sizes, _, test = learning_curve(
        _make_learner(learner, seed), x, y, scoring="r2",
        cv=KFold(n_splits=min(3, len(y)), shuffle=True, random_state=seed),
        train_sizes=np.linspace(0.4, 1.0, 4), shuffle=True, random_state=seed,
    )  # fmt: skip
    curve = [(int(n), float(np.nanmean(s))) for n, s in zip(sizes, test, strict=True)]
    estimator = _make_learner(learner, seed).fit(x, y)
    importance = _importance(estimator, x, y, encoder.columns, seed)
    top = [name for name, _ in importance[:6]]
    interactions = _interactions(estimator, x, encoder.columns, top)
    return TrainReport(
        target, learner, len(y), folds, _finite(np.nanmean(r2)), _finite(np.nanstd(r2)),
        _finite(np.nanmean(mape)), curve, "R²", importance, interactions, estimator, encoder,
        data.model_id, configs,
    )  # fmt: skip


def _finite(value: float) -> float:
    return float(value) if math.isfinite(value) else float("nan")


def _importance(estimator: Any, x: Any, y: Any, columns: list[str], seed: int) -> list:
    values = getattr(estimator, "feature_importances_", None)
    if values is None:
        from sklearn.inspection import permutation_importance

        values = permutation_importance(estimator, x, y, n_repeats=5, random_state=seed)[
            "importances_mean"
        ]
    ranked = sorted(zip(columns, (float(v) for v in values), strict=True), key=lambda p: -p[1])
    return ranked


def _interactions(estimator: Any, x: Any, columns: list[str], top: list[str]) -> list:
    """Strength of each pair among the most important features: the spread of the two-way
    partial dependence left once both one-way effects are removed (Friedman's H, unnormalised),
    over a background of at most 64 measured rows."""
    import numpy as np

    background = x[:64]
    m = len(background)
    base = float(estimator.predict(background).mean())

    def partial_dependence(cols: tuple[int, ...], grid: list[tuple[float, ...]]) -> Any:
        """Mean prediction over the background with `cols` set to each grid point (one
        predict call for the whole grid)."""
        data = np.repeat(background[None, :, :], len(grid), axis=0)
        for k, col in enumerate(cols):
            data[:, :, col] = np.asarray([g[k] for g in grid])[:, None]
        return estimator.predict(data.reshape(-1, x.shape[1])).reshape(len(grid), m).mean(1)

    out = []
    for i, a in enumerate(top):
        for b in top[i + 1 :]:
            ia, ib = columns.index(a), columns.index(b)
            grid_a, grid_b = np.unique(x[:, ia])[:8], np.unique(x[:, ib])[:8]
            one_a = partial_dependence((ia,), [(v,) for v in grid_a])
            one_b = partial_dependence((ib,), [(v,) for v in grid_b])
            both = partial_dependence((ia, ib), [(va, vb) for va in grid_a for vb in grid_b])
            residual = both.reshape(len(grid_a), len(grid_b)) - one_a[:, None] - one_b[None, :]
            out.append((a, b, float(np.std(residual + base))))
    return sorted(out, key=lambda t: -t[2])


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
    front = pareto_front([(e, a) for e, a, _ in pts])
    varying = varying_features(data.configs)
    labels = []
    for e, a in front:
        config = next(c for ee, aa, c in pts if (ee, aa) == (e, a))
        labels.append(f"{e:.3g} J/{a:.2f}: {summary(config, 4, varying)}")
    return ParetoData([(e, a) for e, a, _ in pts], front, labels)


def pareto_front(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Minimise x, maximise y."""
    front, best = [], -math.inf
    for x, y in sorted(set(points), key=lambda p: (p[0], -p[1])):
        if y > best:
            front.append((x, y))
            best = y
    return front


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


def _model_for(reports: dict[str, TrainReport], db_path: str | Path | None) -> Any:
    from pimp_tui.store.samples import load_model_by_id

    report = next(iter(reports.values()))
    if report.model_id is None or db_path is None:
        raise PimpError("the measured runs' feature model is not in the store")
    db = open_db(db_path)
    try:
        return load_model_by_id(db, report.model_id)
    finally:
        db.close()


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
    varying = set(next(iter(reports.values())).encoder.columns)
    return Answer(rows, f"{fixed or '(nothing fixed)'} → completed: {summary(config, 8, varying)}")


def recommend_under(
    reports: dict[str, TrainReport], text: str, db_path: str | Path, candidates: int = 200
) -> Answer:
    """The valid configuration with the least predicted energy (or the first trained target)
    among random valid completions that meet `metric op number` constraints; feature tokens
    fix features as in a query."""
    metric_limits, feature_tokens = [], []
    for token in re.split(r"[,;]|\s+and\s+", text):
        token = token.strip()
        if not token:
            continue
        match = _COMPARE.match(token.replace(" ", ""))
        if match and match.group(1) in TARGETS:
            metric_limits.append((match.group(1), match.group(2), float(match.group(3))))
        else:
            feature_tokens.append(token)
    missing = sorted({m for m, _, _ in metric_limits} - set(reports))
    if missing:
        raise PimpError("train a predictor for " + ", ".join(missing) + " first")
    objective = "energy_j" if "energy_j" in reports else next(iter(reports))
    partial = parse_partial(" ".join(feature_tokens))
    model = _model_for(reports, db_path)
    from pimp_tui.variability.reasoning import Reasoner

    reasoner = Reasoner(model)
    seen: set[tuple] = set()
    pool: list[dict[str, Any]] = []
    for seed in range(candidates):
        config = reasoner.complete(partial, seed=seed)
        if config is None:
            raise PimpError("no valid configuration has these feature values")
        key = tuple(sorted((k, _key(v)) for k, v in config.items()))
        if key not in seen:
            seen.add(key)
            pool.append(config)
    predicted = {t: r.predict_many(pool) for t, r in reports.items()}
    best = None
    for i in range(len(pool)):
        means = {t: predicted[t][0][i] for t in reports}
        if all(_holds(means[m], op, v) for m, op, v in metric_limits):
            if best is None or means[objective] < predicted[objective][0][best]:
                best = i
    if best is None:
        return Answer([], "", f"none of {len(pool)} valid configurations meets the constraints")
    rows = [
        (t, predicted[t][0][best], None if predicted[t][1] is None else predicted[t][1][best])
        for t in reports
    ]
    message = f"least predicted {objective} among {len(pool)} valid configurations"
    varying = set(next(iter(reports.values())).encoder.columns)
    return Answer(rows, summary(pool[best], 10, varying), message)


def _holds(value: float, op: str, limit: float) -> bool:
    return {"<": value < limit, "<=": value <= limit, ">": value > limit, ">=": value >= limit}[op]


def _key(value: Any) -> str:
    return repr(value)
