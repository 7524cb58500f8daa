"""The estimate sensor's watts per busy core is a setting (`--cpu-watts`), kept with the
campaign and shown wherever the estimate is."""

from __future__ import annotations

from pathlib import Path

import pytest

from pimp_tui import paths
from pimp_tui.errors import PimpError
from pimp_tui.measure.campaign import create_campaign
from pimp_tui.measure.sensors import choose_sensor
from pimp_tui.services.runs import describe, estimate_figure
from pimp_tui.store.campaigns import get_campaign
from pimp_tui.store.db import open_store
from pimp_tui.store.runs import run_details
from tests.tui.conftest import SMALL_MODEL
from tests.tui.seed_data import measured_store


def test_the_estimate_takes_the_figure_it_is_given():
    assert choose_sensor("estimate", watts_per_core=30).watts_per_core == 30
    assert choose_sensor("estimate").watts_per_core == 15
    with pytest.raises(PimpError):
        choose_sensor("estimate", watts_per_core=0)


def test_a_campaign_keeps_its_figure_and_a_run_shows_it(tmp_path: Path):
    db_path = tmp_path / "pimp.db"
    measured_store(db_path, SMALL_MODEL)
    tiny = str(paths.TINY_LLM)
    campaign_id = create_campaign(db_path, sample_id=1, task="arith", prompts=1, llm=tiny,
                                  sensor="estimate", cpu_watts=30)  # fmt: skip
    with pytest.raises(PimpError, match="cpu-watts"):
        create_campaign(db_path, sample_id=1, task="arith", prompts=1, llm=str(paths.TINY_LLM),
                        cpu_watts=-1)  # fmt: skip
    db = open_store(db_path)
    try:
        assert get_campaign(db, campaign_id)["params"]["cpu_watts"] == 30
        measured = describe(run_details(db, 1))  # a run of the estimate, default figure
    finally:
        db.conn.close()
    assert ("estimate", estimate_figure(None)) in measured.sensor
    assert "15 W per busy core" in estimate_figure(None)
    assert "30 W per busy core" in estimate_figure({"cpu_watts": 30})
