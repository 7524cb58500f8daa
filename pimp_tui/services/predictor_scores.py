"""Scoring a stored predictor again: cross-validation, a hold-out split and the learning curve
on its training rows, optionally importances and interactions; every score is stored with it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pimp_tui.predict.progress import ProgressCallback
from pimp_tui.services import open_db


@dataclass(frozen=True)
class ScoreRequest:
    db: str | Path
    predictor: str
    folds: int = 5
    repeats: int = 10
    """Learning-curve repetitions."""
    explain: bool = False


@dataclass
class ScoreResult:
    name: str
    distrust: str | None
    cv: dict[str, Any]
    holdout: dict[str, Any]
    curve: list[dict[str, Any]]
    importance: list[tuple[str, float]] = field(default_factory=list)
    interactions: list[tuple[str, str, float]] = field(default_factory=list)


def score(request: ScoreRequest, progress: ProgressCallback | None = None) -> ScoreResult:
    from pimp_tui.predict.data import target_bounds
    from pimp_tui.predict.evaluation import cross_validate, distrust, holdout, learning_curve
    from pimp_tui.predict.progress import Tracker
    from pimp_tui.services.predictors import load, retraining
    from pimp_tui.store.predictors import save_score

    loaded = load(request.db, request.predictor)
    meta, fitted, encoder = loaded.meta, loaded.fitted, loaded.encoder
    rows = retraining(request.db, loaded)
    x, y = rows.x, rows.y
    learner, seed, bounds = meta["learner"], meta["seed"], target_bounds(meta["target"])
    stages = {"cross-validating": 4.0, "hold-out": 1.0, "learning curve": 5.0,
              "importance and interactions": 1.0 if request.explain else 0.0}  # fmt: skip
    tracker = Tracker(stages, progress)
    tracker.stage("cross-validating")
    cv = cross_validate(x, y, learner, request.folds, seed, bounds, tracker)
    cv = {k: v for k, v in cv.items() if k != "oof"}
    tracker.stage("hold-out")
    hold = holdout(x, y, learner, seed=seed, bounds=bounds).as_dict()
    tracker.stage("learning curve")
    points = learning_curve(x, y, None, learner, request.repeats, seed, bounds, tracker)
    curve = [dict(p.__dict__) for p in points]
    db = open_db(request.db)
    try:
        for kind, metrics in (("cv", cv), ("holdout", hold), ("curve", {"points": curve})):
            save_score(db, meta["id"], kind, metrics)
    finally:
        db.close()
    result = ScoreResult(meta["name"], distrust(cv["r2"], len(y), len(encoder.columns)), cv,
                         hold, curve)  # fmt: skip
    if request.explain:
        from pimp_tui.predict.explain import interaction_strength, permutation_importance

        tracker.stage("importance and interactions")
        columns = encoder.columns
        importance = permutation_importance(
            fitted, x, y, columns, seed=seed, bounds=bounds, tracker=tracker
        )
        top = [columns.index(i.feature) for i in importance[:6]]
        pairs = interaction_strength(fitted, x, columns, top, seed=seed, tracker=tracker)
        result.importance = [(i.feature, i.mean) for i in importance]
        result.interactions = [(p.first, p.second, p.h2) for p in pairs[:10]]
    return result
