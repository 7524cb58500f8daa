"""Fitted predictors to and from the store: the learner as data (`portable`), the encoder as
its JSON description; `store.predictors` keeps both as they are given."""

from __future__ import annotations

import shlex
from typing import Any

import sqlite_utils

from pimp_tui.errors import UnreadableData
from pimp_tui.predict import portable
from pimp_tui.predict.encoding import Encoder
from pimp_tui.store import predictors


def save_predictor(
    db: sqlite_utils.Database,
    *,
    name: str,
    target: str,
    learner: str,
    seed: int,
    source: str,
    encoder: Encoder,
    fitted: Any,
    n_train: int,
    model_id: int | None = None,
) -> int:
    """Store (replacing one of the same name) and return its id."""
    return predictors.save_predictor(
        db, name=name, target=target, learner=learner, seed=seed, source=source,
        encoder={"features": encoder.features, "kinds": encoder.kinds, "levels": encoder.levels,
                 "defaults": encoder.defaults},
        fitted=portable.dumps(fitted), n_train=n_train, model_id=model_id,
    )  # fmt: skip


def load_predictor(db: sqlite_utils.Database, name: str) -> tuple[dict, Any, Encoder]:
    """(metadata, fitted learner, encoder) by name or id."""
    row, blob, spec = predictors.predictor_row(db, name)
    try:
        encoder = Encoder(
            spec["features"], spec["kinds"], spec["levels"], dict(spec.get("defaults") or {})
        )
        width = len(encoder.columns)
    except (ValueError, TypeError, KeyError, AttributeError):
        raise UnreadableData(f"predictor {row['name']!r}: damaged encoder description") from None
    try:
        fitted = portable.loads(blob, width)
    except UnreadableData as exc:
        raise UnreadableData(f"predictor {row['name']!r}: {exc}; {_retrain(row)}") from None
    return row, fitted, encoder


def _retrain(row: dict) -> str:
    """The command that trains this predictor again from the same data."""
    source, target, learner, name = (str(row[k]) for k in ("source", "target", "learner", "name"))
    kind, _, campaign = source.split(";")[0].partition(":")
    words = ["pimp", "predict", "train", "--target", target]
    if kind not in ("campaign", "campaigns"):
        words += ["--csv", source]
    elif campaign:
        words += ["--campaign", campaign]
    words += ["--learner", learner, "--name", name]
    return "train it again: " + shlex.join(words)
