"""Fitted predictors and their scores in the store. The learner is kept pickled (the store is
the user's own file), with its encoder as JSON so a query can encode configurations again."""

from __future__ import annotations

import json
import pickle
from typing import Any

import sqlite_utils

from pimp_tui.errors import PimpError
from pimp_tui.predict.encoding import Encoder


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
    row = {
        "name": name, "target": target, "learner": learner, "seed": seed, "source": source,
        "model_id": model_id, "n_train": n_train,
        "encoder": json.dumps(
            {"features": encoder.features, "kinds": encoder.kinds, "levels": encoder.levels}
        ),
        "fitted": pickle.dumps(fitted),
    }  # fmt: skip
    with db.conn:
        db.conn.execute("DELETE FROM predictors WHERE name = ?", [name])
        cursor = db.conn.execute(
            f"INSERT INTO predictors ({', '.join(row)}) VALUES ({', '.join('?' for _ in row)})",
            list(row.values()),
        )
    return int(cursor.lastrowid)


def load_predictor(db: sqlite_utils.Database, name: str) -> tuple[dict, Any, Encoder]:
    """(metadata, fitted learner, encoder) by name or id."""
    rows = list(db.query("SELECT * FROM predictors WHERE name = ? OR id = ?", [name, name]))
    if not rows:
        known = ", ".join(r["name"] for r in list_predictors(db)) or "none yet"
        raise PimpError(f"no predictor {name!r} in the store (have: {known})")
    row = rows[0]
    fitted = pickle.loads(row.pop("fitted"))
    spec = json.loads(row.pop("encoder"))
    return row, fitted, Encoder(spec["features"], spec["kinds"], spec["levels"])


def list_predictors(db: sqlite_utils.Database) -> list[dict]:
    return list(
        db.query(
            "SELECT id, name, target, learner, seed, source, model_id, n_train, created_at "
            "FROM predictors ORDER BY id"
        )
    )


def save_score(db: sqlite_utils.Database, predictor_id: int, kind: str, metrics: dict) -> int:
    with db.conn:
        cursor = db.conn.execute(
            "INSERT INTO predictor_scores (predictor_id, kind, metrics) VALUES (?, ?, ?)",
            [predictor_id, kind, json.dumps(metrics)],
        )
    return int(cursor.lastrowid)


def scores_of(db: sqlite_utils.Database, predictor_id: int) -> list[dict]:
    sql = "SELECT kind, metrics, created_at FROM predictor_scores WHERE predictor_id = ?"
    rows = db.query(sql + " ORDER BY id", [predictor_id])
    return [{**r, "metrics": json.loads(r["metrics"])} for r in rows]
