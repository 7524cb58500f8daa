"""The stored predictors use case: train one on the measured dataset (or a CSV), score it,
ask it what a configuration will cost, recommend a configuration under constraints, and name
the next configurations worth measuring. `pimp predict` calls these; the Predict pane trains
through `services.predict`, on the same dataset, encoder and learner, so both give the same
scores and predictions.

Configuration text follows the one grammar (`variability.assignments`); a query is completed
to a valid configuration by the reasoner, and the values the feature model cannot produce (a
lengths grid's lengths, an overridden max_new_tokens) are those the predictor learnt from.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pimp_tui.errors import PimpError
from pimp_tui.predict import LEARNER_NAMES
from pimp_tui.predict.progress import ProgressCallback
from pimp_tui.services import open_db
from pimp_tui.services.datasets import DatasetRequest

__all__ = ["LEARNER_NAMES"]  # the CLI's choices, without importing the learners
DEFAULT_LEARNER = "auto"
"""The learner both front ends start with."""
MIN_ROWS = 4
ONE_SIGMA = 0.6827


@dataclass(frozen=True)
class TrainRequest:
    db: str | Path
    target: str
    learner: str = DEFAULT_LEARNER
    seed: int = 0
    name: str | None = None
    folds: int = 5
    csv: str | None = None
    """Learn from this CSV (options as columns) instead of the store's runs."""
    data: DatasetRequest = field(default_factory=DatasetRequest)


@dataclass
class TrainResult:
    name: str
    id: int
    n: int
    metrics: dict[str, Any]
    distrust: str | None
    notes: list[str] = field(default_factory=list)
    """Said before the result: how a CSV was read, which runs were left out."""


@dataclass
class Training:
    """Rows a predictor learns from, encoded."""

    x: Any
    y: Any
    configs: list[dict[str, Any]] | None
    encoder: Any
    model_id: int | None
    source: str
    notes: list[str]


def training_rows(
    db_path: str | Path, target: str, data: DatasetRequest, encoder: Any = None
) -> Training:
    """The measured dataset's rows that have `target`, encoded (with `encoder`, else one made
    for them: the feature model's layout plus the varying columns it lacks)."""
    import numpy as np

    from pimp_tui.predict.encoding import Encoder, check_target
    from pimp_tui.services.datasets import load_dataset, numeric_targets

    if target not in numeric_targets():
        raise PimpError(f"unknown target {target!r}: one of {', '.join(numeric_targets())}")
    dataset = load_dataset(db_path, data)
    configs, y = dataset.rows(target)
    source = data.source()
    if not configs:
        scope = f"campaign {data.campaign}" if data.campaign is not None else "the store"
        raise PimpError(f"{target}: no measured configuration in {scope} (no finished run "
                        "has a value)")  # fmt: skip
    if encoder is None:
        encoder = Encoder.for_data(model_of(db_path, dataset.model_id), configs)
    values = np.asarray(y, dtype=float)
    check_target(values, f"{target} in {source}")
    notes = [dataset.note] if dataset.note else []
    return Training(encoder.encode(configs), values, configs, encoder, dataset.model_id, source,
                    notes)  # fmt: skip


def model_of(db_path: str | Path, model_id: int | None) -> Any:
    """The stored feature model (None without one)."""
    if model_id is None:
        return None
    from pimp_tui.store.samples import load_model_by_id

    db = open_db(db_path)
    try:
        return load_model_by_id(db, model_id)
    finally:
        db.close()


def _tracker(stages: dict[str, float], progress: ProgressCallback | None) -> Any:
    from pimp_tui.predict.progress import Tracker

    return Tracker(stages, progress)


def train(request: TrainRequest, progress: ProgressCallback | None = None) -> TrainResult:
    """Cross-validate the learner, fit it on every row, store it (replacing one of its name)
    with its cross-validation score."""
    from pimp_tui.predict.data import target_bounds
    from pimp_tui.predict.encoding import read_csv
    from pimp_tui.predict.evaluation import cross_validate, distrust
    from pimp_tui.predict.learners import make_learner
    from pimp_tui.predict.saved import save_predictor
    from pimp_tui.store.predictors import save_score

    if request.csv:
        table = read_csv(request.csv, request.target)
        rows = Training(table.x, table.y, None, table.encoder, None, request.csv,
                        [f"{request.csv}: {table.describe()}"])  # fmt: skip
    else:
        rows = training_rows(request.db, request.target, request.data)
    if len(rows.y) < MIN_ROWS:
        raise PimpError(f"{len(rows.y)} measured configuration(s): at least {MIN_ROWS} are needed")
    bounds = target_bounds(request.target)
    tracker = _tracker({"cross-validating": 4.0, "fitting on every row": 1.0}, progress)
    tracker.stage("cross-validating")
    cv = cross_validate(rows.x, rows.y, request.learner, request.folds, request.seed, bounds,
                        tracker)  # fmt: skip
    tracker.stage("fitting on every row")
    fitted = make_learner(request.learner, request.seed, bounds).fit(rows.x, rows.y)
    name = request.name or request.target
    metrics = {k: v for k, v in cv.items() if k != "oof"}
    db = open_db(request.db)
    try:
        pid = save_predictor(
            db, name=name, target=request.target, learner=request.learner, seed=request.seed,
            source=rows.source, encoder=rows.encoder, fitted=fitted, n_train=len(rows.y),
            model_id=rows.model_id,
        )  # fmt: skip
        save_score(db, pid, "cv", metrics)
    finally:
        db.close()
    reason = distrust(cv["r2"], len(rows.y), len(rows.encoder.columns))
    return TrainResult(name, pid, len(rows.y), metrics, reason, rows.notes)


@dataclass
class Loaded:
    """A stored predictor: its metadata, fitted learner, encoder, and why not to trust it."""

    meta: dict[str, Any]
    fitted: Any
    encoder: Any
    distrust: str | None


def load(db_path: str | Path, name: str) -> Loaded:
    from pimp_tui.predict.evaluation import distrust
    from pimp_tui.predict.saved import load_predictor
    from pimp_tui.store.predictors import scores_of

    db = open_db(db_path)
    try:
        meta, fitted, encoder = load_predictor(db, name)
        cv = [s["metrics"] for s in scores_of(db, meta["id"]) if s["kind"] == "cv"]
    finally:
        db.close()
    r2 = cv[-1].get("r2") if cv else None
    reason = (
        "not trustworthy: never cross-validated"
        if r2 is None
        else distrust(float(r2), int(meta["n_train"]), len(encoder.columns))
    )
    return Loaded(meta, fitted, encoder, reason)


def retraining(db_path: str | Path, loaded: Loaded) -> Training:
    """A stored predictor's training rows again (from its dataset or CSV)."""
    from pimp_tui.predict.encoding import read_csv

    meta = loaded.meta
    if meta["source"].startswith("campaign"):
        data = DatasetRequest.from_source(meta["source"])
        return training_rows(db_path, meta["target"], data, loaded.encoder)
    table = read_csv(meta["source"], meta["target"])
    return Training(table.x, table.y, None, loaded.encoder, None, meta["source"], [])


def split(model: Any, encoder: Any, partial: Mapping[str, Any]) -> dict[str, Any]:
    """The given values the reasoner can take: the feature model's, inside their domains."""
    features = {f.name: f for f in model.features()}
    return {
        k: v for k, v in partial.items()
        if k in features and _outside(features[k], v) is None
    }  # fmt: skip


def outside_domain(model: Any, given: Mapping[str, Any]) -> list[str]:
    """A warning for each given value the feature model's domain does not hold: a query may
    ask it, but unless the measured runs used it (an overridden output length, say) the
    prediction there extrapolates."""
    features = {f.name: f for f in model.features()}
    said = []
    for name, value in given.items():
        domain = _outside(features[name], value) if name in features else None
        if domain is None or isinstance(value, bool):
            continue
        shown = ", ".join(str(v) for v in domain[:6]) + (", …" if len(domain) > 6 else "")
        said.append(f"{name}={value} is outside the feature model's domain ({shown}): unless "
                    "the measured runs used it, the prediction extrapolates")  # fmt: skip
    return said


def _outside(feature: Any, value: Any) -> tuple | None:
    """The feature's domain when `value` (not None) lies outside it, else None."""
    domain = feature.domain()
    if value is None or not domain or value in domain:
        return None
    return tuple(domain)


def finish(config: Mapping[str, Any], encoder: Any, given: Mapping[str, Any]) -> dict[str, Any]:
    """A reasoned configuration with the values it cannot hold: those given, else those the
    predictor learnt from (`encoder.defaults`)."""
    out = {**config, **(getattr(encoder, "defaults", {}) or {})}
    out.update(given)
    return out


def complete(model: Any, encoder: Any, partial: Mapping[str, Any], seed: int = 0) -> dict[str, Any]:
    """A valid configuration with the given values: the reasoner completes the feature
    model's part; what it cannot produce is what the predictor learnt from, unless given."""
    from pimp_tui.variability.reasoning import Reasoner

    config = Reasoner(model).complete(split(model, encoder, partial), seed=seed)
    if config is None:
        raise PimpError("no valid configuration has these values")
    return finish(config, encoder, partial)


def parse(text: str | Iterable[str], model: Any, encoder: Any) -> dict[str, Any]:
    """Configuration text, typed by the model's features; the predictor's other columns are
    names too."""
    from pimp_tui.variability.assignments import parse_assignments

    also = [*encoder.features, *(getattr(encoder, "defaults", {}) or {})]
    return parse_assignments(text, model, also)


@dataclass(frozen=True)
class QueryRequest:
    db: str | Path
    predictor: str
    settings: tuple[str, ...] = ()
    seed: int = 0


@dataclass
class QueryResult:
    name: str
    target: str
    prediction: float
    interval95: tuple[float, float]
    configuration: dict[str, Any]
    distrust: str | None
    unset: list[str] = field(default_factory=list)
    """Options of a CSV predictor left unset (taken as 0)."""
    outside: list[str] = field(default_factory=list)
    """Given values outside the feature model's domain (`outside_domain`)."""


def query(request: QueryRequest) -> QueryResult:
    """What the predictor says of a configuration, completed to a valid one."""
    loaded = load(request.db, request.predictor)
    meta, encoder = loaded.meta, loaded.encoder
    unset: list[str] = []
    outside: list[str] = []
    if meta["model_id"] is not None:
        model = model_of(request.db, meta["model_id"])
        given = parse(request.settings, model, encoder)
        outside = outside_domain(model, given)
        config = complete(model, encoder, given, request.seed)
    else:
        from pimp_tui.variability.assignments import parse_assignments

        config = parse_assignments(request.settings)
        encoder.check(config)
        unset = [f for f in encoder.features if f not in config]
    x = encoder.encode([config])
    low, high = loaded.fitted.predict_interval(x)
    return QueryResult(meta["name"], meta["target"], float(loaded.fitted.predict(x)[0]),
                       (float(low[0]), float(high[0])), config, loaded.distrust, unset,
                       outside)  # fmt: skip


def stored_model(db_path: str | Path, loaded: Loaded) -> Any:
    if loaded.meta["model_id"] is None:
        raise PimpError(
            f"predictor {loaded.meta['name']!r} has no feature model (trained on a CSV)"
        )
    return model_of(db_path, loaded.meta["model_id"])


@dataclass(frozen=True)
class RecommendRequest:
    db: str | Path
    minimise: str | None = None
    maximise: str | None = None
    constraints: tuple[str, ...] = ()
    fix: tuple[str, ...] = ()
    seed: int = 0


@dataclass
class RecommendResult:
    warnings: list[str]
    method: str
    evaluated: int
    predicted: dict[str, float]
    interval68: dict[str, list[float]]
    measured_within: dict[str, int]
    configuration: dict[str, Any]


def recommend(
    request: RecommendRequest,
    progress: ProgressCallback | None = None,
    warn: Callable[[str, str], object] | None = None,
) -> RecommendResult:
    """The valid configuration predicted best for the objective under the constraints;
    `warn(predictor, why)` hears first of every predictor not to trust."""
    from pimp_tui.predict.recommend import Constraint
    from pimp_tui.predict.recommend import recommend as search

    if bool(request.minimise) == bool(request.maximise):
        raise PimpError("give exactly one of --minimise PREDICTOR / --maximise PREDICTOR")
    objective = str(request.minimise or request.maximise)
    constraints = [Constraint.parse(c) for c in request.constraints]
    loaded = {n: load(request.db, n) for n in sorted({objective, *(c.target for c in constraints)})}
    first = loaded[objective]
    model = stored_model(request.db, first)
    fixed = parse(request.fix, model, first.encoder)
    scorers = {n: scorer(p.fitted, p.encoder, fixed) for n, p in loaded.items()}
    warnings = [f"{n}: {p.distrust}" for n, p in loaded.items() if p.distrust]
    for n, p in loaded.items():
        if p.distrust and warn is not None:
            warn(n, p.distrust)
    tracker = _tracker({"searching valid configurations": 1.0}, progress)
    tracker.stage("searching valid configurations")
    found = search(
        model, scorers, objective, constraints, split(model, first.encoder, fixed),
        maximise=bool(request.maximise), seed=request.seed, tracker=tracker,
    )  # fmt: skip
    if found is None:
        raise PimpError("no valid configuration is predicted to meet every constraint")
    config = finish(found.config, first.encoder, fixed)
    intervals, within, predicted = {}, {}, {}
    for name, p in loaded.items():
        x = p.encoder.encode([config])
        low, high = p.fitted.predict_interval(x, level=ONE_SIGMA)
        intervals[name] = [float(low[0]), float(high[0])]
        predicted[name] = float(p.fitted.predict(x)[0])
        measured = retraining(request.db, p).y
        within[name] = int(sum(low[0] <= v <= high[0] for v in measured))
    return RecommendResult(warnings, found.method, found.evaluated, predicted, intervals, within,
                           config)  # fmt: skip


def scorer(fitted: Any, encoder: Any, given: Mapping[str, Any]) -> Any:
    """Predictions for reasoned configurations, each finished as a query finishes it."""
    return lambda configs: fitted.predict(encoder.encode([finish(c, encoder, given)
                                                          for c in configs]))  # fmt: skip


@dataclass(frozen=True)
class NextRequest:
    db: str | Path
    predictor: str
    k: int = 5
    strategy: str = "ei"
    maximise: bool = False
    candidates: int = 500
    seed: int = 0


def next_configurations(request: NextRequest) -> list[tuple[float, float, dict[str, Any]]]:
    """(prediction, uncertainty, configuration) of the configurations worth measuring next."""
    from pimp_tui.predict.active import next_batch
    from pimp_tui.variability.reasoning import Reasoner

    loaded = load(request.db, request.predictor)
    model = stored_model(request.db, loaded)
    reasoner = Reasoner(model)
    rows = retraining(request.db, loaded)
    seen = {json.dumps(c, sort_keys=True) for c in rows.configs or []}
    candidates, keys = [], set()
    for s in range(request.candidates):
        config = reasoner.complete({}, seed=request.seed * 100_003 + s)
        if config is None:
            continue
        config = finish(config, loaded.encoder, {})
        key = json.dumps(config, sort_keys=True)
        if key not in seen and key not in keys:
            keys.add(key)
            candidates.append(config)
    if not candidates:
        raise PimpError("every valid configuration drawn has been measured already")
    best = float(max(rows.y) if request.maximise else min(rows.y))
    fitted, encoder = loaded.fitted, loaded.encoder
    chosen = next_batch(fitted, encoder.encode(candidates), best, request.k, request.strategy,
                        request.maximise)  # fmt: skip
    x = encoder.encode([candidates[i] for i in chosen])
    means, spreads = fitted.predict(x), fitted.uncertainty(x)
    return [(float(m), float(s), candidates[i])
            for i, m, s in zip(chosen, means, spreads, strict=True)]  # fmt: skip
