"""A small store with measured runs, and a model file beside it, for CLI tests."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from pimp_tui.sampling import sample
from pimp_tui.store.db import open_store
from pimp_tui.store.samples import save_model, save_sample
from pimp_tui.variability.io import parse_uvl

UVL = """features
    Server
        mandatory
            Cache
                alternative
                    NoCache
                    Lru
        optional
            Compress
            Integer threads {values [1, 2, 4]}
"""


@pytest.fixture()
def model_file(tmp_path: Path) -> Path:
    path = tmp_path / "server.uvl"
    path.write_text(UVL, encoding="utf-8")
    return path


@pytest.fixture()
def measured_store(tmp_path: Path) -> Path:
    """Campaign 1: every configuration of UVL measured twice."""
    path = tmp_path / "w.db"
    model = parse_uvl(UVL)
    configs = sample(model, "all")
    db = open_store(path)
    sample_id = save_sample(db, save_model(db, model, "server"), "all", "all", {}, configs, None)
    with db.conn:
        db.conn.execute(
            "INSERT INTO campaigns (id, sample_id, task, prompts, repetitions, llm, status) "
            "VALUES (1, ?, 'arith', 1, 2, 'tiny', 'done')",
            [sample_id],
        )
        ids = [r["id"] for r in db.query("SELECT id FROM configurations ORDER BY position")]
        for position, config_id in enumerate(ids * 2):
            db.conn.execute(
                "INSERT INTO runs (campaign_id, configuration_id, repetition, position, status, "
                "energy_j) VALUES (1, ?, ?, ?, 'done', ?)",
                [config_id, position // len(ids), position, 10.0 + position],
            )
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.conn.close()
    return path


def digest(path: Path) -> str:
    """The file's bytes, to show a command left it as it was."""
    return hashlib.sha256(path.read_bytes()).hexdigest()
