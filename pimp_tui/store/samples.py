"""Feature models and samples in the store: models kept as UVL text, samples as named, ordered
lists of configurations with the parameters that produced them, their coverage and, for t-wise
samples, the lower bound on any full-coverage sample's size."""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

from pimp_tui.errors import PimpError
from pimp_tui.variability.io import parse_uvl, write_uvl
from pimp_tui.variability.model import Configuration, FeatureModel


def save_model(db: sqlite_utils.Database, model: FeatureModel, name: str | None = None) -> int:
    """Store `model` under `name` (default: its root feature's name) and return its id.

    Saving the same name again with the same UVL returns the existing id; a different model
    under a name already taken is refused rather than silently replacing it.
    """
    name = name or model.root.name
    uvl = write_uvl(model)
    row = db.execute("SELECT id, uvl FROM feature_models WHERE name = ?", [name]).fetchone()
    if row is not None:
        if row[1] != uvl:
            raise PimpError(f"a different feature model is already stored as {name!r}")
        return int(row[0])
    with db.conn:
        cursor = db.conn.execute(
            "INSERT INTO feature_models (name, uvl, path) VALUES (?, ?, ?)",
            [name, uvl, model.source],
        )
    return int(cursor.lastrowid)  # type: ignore[arg-type]


def load_model_by_id(db: sqlite_utils.Database, model_id: int) -> FeatureModel:
    row = db.execute("SELECT name, uvl FROM feature_models WHERE id = ?", [model_id]).fetchone()
    if row is None:
        raise PimpError(f"no feature model with id {model_id} in the store")
    return parse_uvl(row[1], f"<store:{row[0]}>")


def save_sample(
    db: sqlite_utils.Database,
    model_id: int,
    name: str,
    algorithm: str,
    params: dict[str, Any],
    configs: list[Configuration],
    coverage: dict | None,
    lower_bound: int | None = None,
) -> int:
    """Store a sample and its configurations (in order) in one transaction; return its id."""
    taken = db.execute(
        "SELECT 1 FROM samples WHERE model_id = ? AND name = ?", [model_id, name]
    ).fetchone()
    if taken:
        raise PimpError(f"a sample named {name!r} already exists for this feature model")
    with db.conn:
        cursor = db.conn.execute(
            "INSERT INTO samples (model_id, name, algorithm, params, coverage, lower_bound) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [
                model_id,
                name,
                algorithm,
                json.dumps(params, sort_keys=True),
                None if coverage is None else json.dumps(coverage, sort_keys=True),
                lower_bound,
            ],
        )
        sample_id = int(cursor.lastrowid)  # type: ignore[arg-type]
        db.conn.executemany(
            "INSERT INTO configurations (sample_id, position, config) VALUES (?, ?, ?)",
            [(sample_id, i, json.dumps(c)) for i, c in enumerate(configs)],
        )
    return sample_id


def load_sample(db: sqlite_utils.Database, sample_id: int) -> tuple[dict, list[Configuration]]:
    """(meta, configurations): meta holds id, model_id, name, algorithm, params, coverage,
    lower_bound, size."""
    meta = _meta(db, "WHERE s.id = ?", [sample_id])
    if not meta:
        raise PimpError(f"no sample with id {sample_id} in the store")
    rows = db.execute(
        "SELECT config FROM configurations WHERE sample_id = ? ORDER BY position", [sample_id]
    ).fetchall()
    return meta[0], [json.loads(r[0]) for r in rows]


def find_sample(db: sqlite_utils.Database, model_id: int, name: str) -> int | None:
    """The id of the model's sample named `name`, if stored."""
    row = db.execute(
        "SELECT id FROM samples WHERE model_id = ? AND name = ?", [model_id, name]
    ).fetchone()
    return None if row is None else int(row[0])


def model_id_of_uvl(db: sqlite_utils.Database, uvl: str) -> int | None:
    """The id of a stored model whose UVL text is exactly `uvl`."""
    row = db.execute("SELECT id FROM feature_models WHERE uvl = ? LIMIT 1", [uvl]).fetchone()
    return None if row is None else int(row[0])


def list_models(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Every stored model's id, name, path and creation time, oldest first."""
    return list(db.query("SELECT id, name, path, created_at FROM feature_models ORDER BY id"))


def model_name(db: sqlite_utils.Database, model_id: int) -> str:
    row = db.execute("SELECT name FROM feature_models WHERE id = ?", [model_id]).fetchone()
    if row is None:
        raise PimpError(f"no feature model with id {model_id} in the store")
    return str(row[0])


def campaign_model_id(db: sqlite_utils.Database, campaign_id: int) -> int | None:
    """The model a campaign's sample was drawn from."""
    row = db.execute(
        "SELECT s.model_id FROM campaigns c JOIN samples s ON s.id = c.sample_id WHERE c.id = ?",
        [campaign_id],
    ).fetchone()
    return None if row is None else int(row[0])


def list_samples(db: sqlite_utils.Database) -> list[dict]:
    """Every stored sample's meta (as in load_sample), oldest first."""
    return _meta(db, "", [])


def _meta(db: sqlite_utils.Database, where: str, args: list) -> list[dict]:
    rows = db.execute(
        "SELECT s.id, s.model_id, m.name, s.name, s.algorithm, s.params, s.coverage, "
        "s.created_at, (SELECT COUNT(*) FROM configurations c WHERE c.sample_id = s.id), "
        "s.lower_bound "
        f"FROM samples s JOIN feature_models m ON m.id = s.model_id {where} ORDER BY s.id",
        args,
    ).fetchall()
    return [
        {
            "id": r[0],
            "model_id": r[1],
            "model": r[2],
            "name": r[3],
            "algorithm": r[4],
            "params": json.loads(r[5] or "{}"),
            "coverage": None if r[6] is None else json.loads(r[6]),
            "created_at": r[7],
            "size": r[8],
            "lower_bound": r[9],
        }
        for r in rows
    ]
