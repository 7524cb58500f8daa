"""The monitor pane: live trace with its sensor label, a campaign watched through the store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pimp_tui.app import PimpApp
from pimp_tui.screens.monitor import MonitorScreen
from pimp_tui.store.db import open_store
from pimp_tui.widgets.power_chart import PowerChart
from tests.tui.conftest import make_app, settle

pytestmark = pytest.mark.anyio


def stored_sample(db_path: Path, configs: list[dict]) -> int:
    """A sample written straight into the store (as `pimp sample` would)."""
    db = open_store(db_path)
    try:
        model_id = db["feature_models"].insert({"name": "m", "uvl": "features\n\tGen\n"}).last_pk
        sample_id = (
            db["samples"].insert({"model_id": model_id, "name": "s", "algorithm": "twise"}).last_pk
        )
        db["configurations"].insert_all(
            {"sample_id": sample_id, "position": i, "config": json.dumps(c)}
            for i, c in enumerate(configs)
        )
        return int(sample_id)
    finally:
        db.close()


async def test_live_trace_is_labelled_with_its_sensor(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        await pilot.pause(0.6)
        assert isinstance(app.screen, MonitorScreen)
        assert app.screen._idle_monitor is not None
        head = str(app.screen.query_one(PowerChart).render().renderables[0])
        assert head.startswith("sensor: estimate")


async def test_hidden_monitor_stops_sampling(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        screen = app.screen
        assert screen._idle_monitor is not None
        await pilot.press("2")
        await settle(pilot)
        assert screen._idle_monitor is None
        assert not screen._chart_timer._active.is_set()


async def test_campaign_running_elsewhere_is_watched_through_the_store(tmp_path: Path) -> None:
    from pimp_tui.measure.campaign import create_campaign
    from pimp_tui.store import campaigns

    app = make_app(tmp_path)
    db_path = Path(app.db_path)
    sample_id = stored_sample(db_path, [{"Gen": True, "a": i} for i in range(3)])
    campaign_id = create_campaign(
        db_path, sample_id=sample_id, task="arith", prompts=1, repetitions=2,
        llm="config:" + str(Path(__file__).parents[2] / "sample_models" / "tiny-llama"),
        sensor="estimate",
    )  # fmt: skip
    db = open_store(db_path)
    campaigns.set_status(db, campaign_id, "running", sensor="estimate", pid=4242, host="gpu-box")
    runs = campaigns.pending_runs(db, campaign_id)
    metrics = {"energy_j": 12.5, "energy_net_j": 10.0, "latency_s": 0.5, "tokens_per_s": 40.0,
               "accuracy": 1.0, "sensor": "estimate"}  # fmt: skip
    for run in runs[:2]:
        campaigns.start_run(db, campaign_id, run["id"])
        trace = [(0.1, 0, 30.0, None, None, None, None)]
        campaigns.finish_run(db, run["id"], "done", metrics, None, trace)
    campaigns.start_run(db, campaign_id, runs[2]["id"])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        screen = app.screen
        assert screen.campaign_id == campaign_id
        table = screen.query_one("#runs")
        assert table.row_count == 2
        line = str(screen.query_one("#campaign-line").render())
        assert line.startswith("running (pid 4242)") and "sensor estimate" in line
        assert "2/6 runs" in str(screen.query_one("#eta").render())
        assert "▶ run 3" in str(screen.query_one("#now").render())
        # the next run lands while the pane watches
        campaigns.finish_run(db, runs[2]["id"], "failed", {"sensor": "estimate"}, "OOM", [])
        await pilot.pause(1.3)
        await settle(pilot)
        assert table.row_count == 3
        assert "1 failed" in str(screen.query_one("#eta").render())
        # pausing a campaign of another process is refused with a notice, not a crash
        await pilot.press("p")
        await pilot.pause()
        assert any("runs in process 4242" in n.message for n in app._notifications)
    db.close()


async def wait_until(pilot, condition, seconds: float = 240.0) -> None:  # type: ignore[no-untyped-def]
    """Pump the app until `condition()` holds (a campaign runs in a worker thread)."""
    for _ in range(int(seconds / 0.2)):
        if condition():
            return
        await pilot.pause(0.2)
    raise AssertionError("timed out waiting for the campaign")


async def test_campaign_started_cancelled_and_resumed_here(tmp_path: Path) -> None:
    """Seeded store -> uniform sample of two -> campaign on the tiny model with the estimate
    sensor: cancel stops it between runs, resume finishes it, the table fills from the store."""
    from pimp_tui.paths import TINY_LLM

    app = PimpApp(db=tmp_path / "pimp.db", sensor="estimate")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.workspace.model is not None  # seeded with hf_generation
        assert app.workspace.model_name == "hf_generation"
        await pilot.press("2")
        await settle(pilot)
        app.screen.query_one("#algorithm").value = "uniform"
        app.screen.query_one("#size").value = "2"
        await pilot.press("g")
        await settle(pilot)
        await pilot.press("s", "enter")
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        monitor = app.screen
        await pilot.press("n")
        await settle(pilot)
        form = app.screen
        for wid, value in (("#f-prompts", "1"), ("#f-reps", "2"), ("#f-llm", str(TINY_LLM)),
                           ("#f-tokens", "4"), ("#f-cool", "1")):  # fmt: skip
            # a 1 s cooldown: tiny-model runs take milliseconds, and cancel acts between runs
            form.query_one(wid).value = value
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: monitor.local is not None)
        await pilot.press("c")  # cancelled between runs
        await wait_until(pilot, lambda: monitor.local is None)
        await settle(pilot)
        assert monitor._campaign["status"] == "cancelled"
        assert monitor._campaign["done"] + monitor._campaign["failed"] < 4
        await pilot.press("r")
        await wait_until(pilot, lambda: monitor.local is not None)
        await wait_until(pilot, lambda: monitor.local is None)
        await pilot.pause(1.2)
        await settle(pilot)
        camp = monitor._campaign
        assert camp["status"] == "done" and camp["done"] + camp["failed"] == 4
        assert monitor.query_one("#runs").row_count == 4
        assert "sensor estimate" in str(monitor.query_one("#campaign-line").render())


async def test_closing_the_app_pauses_its_campaign(tmp_path: Path) -> None:
    """The campaign stops at the next run boundary and says 'paused' in the store, so the next
    session shows it where it is and resumes it."""
    import time

    from pimp_tui.measure.campaign import create_campaign
    from pimp_tui.measure.host import Host, fix_to_host
    from pimp_tui.paths import HF_GENERATION_MODEL, TINY_LLM
    from pimp_tui.sampling import sample
    from pimp_tui.store.samples import save_model, save_sample
    from pimp_tui.variability.io import load_model

    db_path = tmp_path / "pimp.db"
    model = load_model(HF_GENERATION_MODEL)
    db = open_store(db_path)
    model_id = save_model(db, model, "hf_generation")
    configs = sample(fix_to_host(model, Host(0))[0], "uniform", size=3, seed=1)
    sample_id = save_sample(db, model_id, "three", "uniform", {"size": 3}, configs, None)
    campaign_id = create_campaign(
        db_path, sample_id=sample_id, task="arith", prompts=1, repetitions=1,
        llm=str(TINY_LLM), sensor="estimate", max_new_tokens=4, cooldown_s=0.0,
    )  # fmt: skip
    app = PimpApp(db=db_path, sensor="estimate")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        monitor = app.screen
        await pilot.press("r")
        await wait_until(pilot, lambda: monitor.local is not None)
        local = monitor.local
    assert local.pause.is_set()
    deadline = time.monotonic() + 240
    status = None
    while time.monotonic() < deadline:
        status = open_store(db_path)["campaigns"].get(campaign_id)["status"]
        if status in ("paused", "done"):
            break
        time.sleep(0.5)
    assert status in ("paused", "done")
    db.close()
