"""Fitted predictors and their scores in the store. The learner is kept as data (arrays and a
JSON description, `predict.portable`), never as a pickle: a store may come from someone else,
and loading a pickle runs code. Its encoder is JSON so a query can encode configurations again.
Both arrive here already serialised (`predict.saved` turns objects into data and back)."""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

from pimp_tui.errors import PimpError, UnreadableData


def save_predictor(
    db: sqlite_utils.Database,
    *,
    name: str,
    target: str,
    learner: str,
    seed: int,
    source: str,
    encoder: dict[str, Any],
    fitted: bytes,
    n_train: int,
    model_id: int | None = None,
) -> int:
    """Store (replacing one of the same name) and return its id. `encoder` is the encoder's
    JSON description, `fitted` the learner as data (`predict.portable`)."""
    row = {
        "name": name, "target": target, "learner": learner, "seed": seed, "source": source,
        "model_id": model_id, "n_train": n_train, "encoder": json.dumps(encoder),
        "fitted": fitted,
    }  # fmt: skip
    with db.conn:
        db.conn.execute("DELETE FROM predictors WHERE name = ?", [name])
        cursor = db.conn.execute(
            f"INSERT INTO predictors ({', '.join(row)}) VALUES ({', '.join('?' for _ in row)})",
            list(row.values()),
        )
    return int(cursor.lastrowid)  # type: ignore[arg-type]


def predictor_row(db: sqlite_utils.Database, name: str) -> tuple[dict, bytes, dict[str, Any]]:
    """(metadata, fitted learner as data, encoder description) by name or id."""
    rows = list(db.query("SELECT * FROM predictors WHERE name = ? OR id = ?", [name, name]))
    if not rows:
        known = ", ".join(r["name"] for r in list_predictors(db)) or "none yet"
        raise PimpError(f"no predictor {name!r} in the store (have: {known})")
    row = rows[0]
    blob = row.pop("fitted")
    try:
        spec = json.loads(row.pop("encoder"))
    except (ValueError, TypeError):
        spec = None
    if not isinstance(spec, dict):
        raise UnreadableData(f"predictor {row['name']!r}: damaged encoder description")
    return row, blob, spec


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
    return int(cursor.lastrowid)  # type: ignore[arg-type]


def scores_of(db: sqlite_utils.Database, predictor_id: int) -> list[dict]:
    sql = "SELECT kind, metrics, created_at FROM predictor_scores WHERE predictor_id = ?"
    rows = db.query(sql + " ORDER BY id", [predictor_id])
    return [{**r, "metrics": json.loads(r["metrics"])} for r in rows]
