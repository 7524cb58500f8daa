"""A lengths campaign end to end on the tiny model: every configuration planned at every grid
point, measured like any campaign, lengths and batch size as export columns, prefill and
decode energy on every run."""

from __future__ import annotations

import pytest

from pimp_tui import paths
from pimp_tui.errors import PimpError
from pimp_tui.measure.campaign import create_campaign, run_campaign
from pimp_tui.store import samples
from pimp_tui.store.campaigns import runs_rows
from pimp_tui.store.db import open_store
from pimp_tui.variability.io import load_model
from pimp_tui.variability.reasoning import Reasoner


@pytest.fixture
def sample_id(tmp_path):
    model = load_model(paths.HF_GENERATION_MODEL)
    config = Reasoner(model).complete(
        {
            "GreedySearch": True,
            "DynamicCache": True,
            "Float32": True,
            "EagerAttention": True,
            "CPU": True,
            "NoQuantization": True,
        }
    )
    db = open_store(tmp_path / "pimp.db")
    try:
        model_id = samples.save_model(db, model)
        return samples.save_sample(db, model_id, "one", "manual", {}, [config], None)
    finally:
        db.conn.close()


def test_lengths_campaign_measures_every_point_with_its_columns(tmp_path, sample_id):
    db_path = tmp_path / "pimp.db"
    task = "lengths:in=8,24:out=3:batch=1,2"
    campaign = create_campaign(
        db_path, sample_id=sample_id, task=task, prompts=1, repetitions=1,
        llm=str(paths.TINY_LLM), sensor="estimate", cooldown_s=0, idle_s=0.1, warmup=False,
    )  # fmt: skip
    assert run_campaign(db_path, campaign) == "done"
    db = open_store(db_path)
    try:
        rows = runs_rows(db, campaign)
    finally:
        db.conn.close()
    points = {(r["input_length"], r["output_length"], r["batch_size"]) for r in rows}
    assert points == {(8, 3, 1), (8, 3, 2), (24, 3, 1), (24, 3, 2)}
    for row in rows:
        assert row["status"] == "done", row["error"]
        assert row["requests"] == row["batch_size"]  # one prompt, rounded up to a full batch
        assert row["input_tokens"] == row["requests"] * row["input_length"]
        assert row["output_tokens"] == row["requests"] * row["output_length"]
        assert row["accuracy"] is None
        assert row["prefill_energy_j"] + row["decode_energy_j"] == pytest.approx(row["energy_j"])


def test_lengths_campaign_refuses_a_max_new_tokens_override(tmp_path, sample_id):
    with pytest.raises(PimpError, match="pins output lengths"):
        create_campaign(
            tmp_path / "pimp.db", sample_id=sample_id, task="lengths", prompts=1,
            llm=str(paths.TINY_LLM), max_new_tokens=8,
        )  # fmt: skip
