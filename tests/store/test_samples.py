from __future__ import annotations

import pytest

from pimp_tui.errors import PimpError
from pimp_tui.store.db import open_store
from pimp_tui.store.samples import (
    list_samples,
    load_model_by_id,
    load_sample,
    save_model,
    save_sample,
)
from pimp_tui.variability.io import parse_uvl

UVL = """features
    Root {abstract}
        optional
            A
            Integer n {values [1, 2]}
constraints
    A => n == 2
"""


def test_models_and_samples_round_trip(tmp_path):
    db = open_store(tmp_path / "p.db")
    model = parse_uvl(UVL)
    model_id = save_model(db, model, "root")
    assert save_model(db, model, "root") == model_id
    assert load_model_by_id(db, model_id) == model
    configs = [{"Root": True, "A": False, "n": None}, {"Root": True, "A": True, "n": 2}]
    sample_id = save_sample(
        db,
        model_id,
        "s1",
        "twise",
        {"t": 2, "seed": 0},
        configs,
        {"t": 2, "valid": 9, "covered": 9},
        2,
    )
    meta, loaded = load_sample(db, sample_id)
    assert meta["lower_bound"] == 2
    assert loaded == configs
    assert meta["name"] == "s1" and meta["algorithm"] == "twise" and meta["size"] == 2
    assert meta["params"] == {"t": 2, "seed": 0}
    assert meta["coverage"]["covered"] == 9
    assert [m["id"] for m in list_samples(db)] == [sample_id]


def test_names_are_not_silently_reused(tmp_path):
    db = open_store(tmp_path / "p.db")
    model_id = save_model(db, parse_uvl(UVL), "root")
    other = parse_uvl(UVL.replace("A =>", "!A =>"))
    with pytest.raises(PimpError, match="already stored"):
        save_model(db, other, "root")
    save_sample(db, model_id, "s", "all", {}, [], None)
    with pytest.raises(PimpError, match="already exists"):
        save_sample(db, model_id, "s", "all", {}, [], None)
    with pytest.raises(PimpError):
        load_sample(db, 99)


def test_a_store_made_before_sample_bounds_opens_with_none_recorded(tmp_path):
    import sqlite3

    from pimp_tui.store.db import migrate
    from pimp_tui.store.schema import MIGRATIONS

    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    for version, script in MIGRATIONS:
        if "lower_bound" in script:
            break
        conn.executescript(script)
        conn.execute(f"PRAGMA user_version = {version}")
    conn.execute("INSERT INTO feature_models (name, uvl) VALUES ('root', ?)", [UVL])
    conn.execute("INSERT INTO samples (model_id, name, algorithm) VALUES (1, 'old', 'twise')")
    conn.commit()
    migrate(conn)
    conn.close()
    db = open_store(path)
    assert [(m["name"], m["lower_bound"]) for m in list_samples(db)] == [("old", None)]
