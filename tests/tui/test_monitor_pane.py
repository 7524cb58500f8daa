"""The monitor pane: a trace that names its sensor (and never shows this process's estimate), any
campaign of the store watched and controlled through the store, confirmations, opening a run,
and a campaign started here that outlives the app and is cancelled from the CLI."""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from pathlib import Path

import pytest
from textual.widgets import Static

from pimp_tui.app import PimpApp
from pimp_tui.screens.dialogs import ConfirmScreen
from pimp_tui.screens.monitor import MonitorScreen
from pimp_tui.store.db import open_store
from pimp_tui.widgets.power_chart import PowerChart
from tests.tui.conftest import make_app, settle, shown

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


def chart_text(screen) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(str(r) for r in screen.query_one(PowerChart).render().renderables)


async def test_idle_pane_says_no_campaign_runs_instead_of_its_own_estimate(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        await pilot.pause(1.2)
        screen = app.screen
        assert isinstance(screen, MonitorScreen)
        assert screen._idle_monitor is None  # no NVML here: nothing is sampled
        text = chart_text(screen)
        assert "no campaign running" in text and "estimate" not in text


async def test_idle_pane_shows_the_gpu_idle_power_labelled(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from tests.fakes import fake_pynvml

    monkeypatch.setitem(sys.modules, "pynvml", fake_pynvml.build([fake_pynvml.FakeGpu(power=61.0)]))
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        await pilot.pause(2.5)
        screen = app.screen
        assert screen._idle_monitor is not None
        text = chart_text(screen)
        assert "sensor: nvml · GPU idle power, no campaign running" in text
        assert "61.0 W" in text and "now" in text and " s" in text  # a time axis in seconds
        await pilot.press("2")
        await settle(pilot)
        assert screen._idle_monitor is None  # a hidden pane samples nothing
        assert not screen._poll_timer._active.is_set()


def fake_running_campaign(db_path: Path, runs_done: int = 2) -> tuple[int, list[dict]]:
    """A campaign marked as run by this (live) process, with `runs_done` finished runs and the
    next one in flight, as a worker elsewhere would leave the store."""
    from pimp_tui.measure.campaign import create_campaign
    from pimp_tui.store import campaigns

    sample_id = stored_sample(db_path, [{"Gen": True, "a": i} for i in range(3)])
    campaign_id = create_campaign(
        db_path, sample_id=sample_id, task="arith", prompts=1, repetitions=2,
        llm="config:" + str(Path(__file__).parents[2] / "sample_models" / "tiny-llama"),
        sensor="estimate",
    )  # fmt: skip
    db = open_store(db_path)
    campaigns.set_status(db, campaign_id, "running", sensor="estimate", pid=os.getpid(),
                         host=socket.gethostname())  # fmt: skip
    runs = campaigns.pending_runs(db, campaign_id)
    metrics = {"energy_j": 12.5, "energy_net_j": 10.0, "latency_s": 0.5, "tokens_per_s": 40.0,
               "accuracy": 1.0, "sensor": "estimate", "window_s": 0.5,
               "short_window": 1}  # fmt: skip
    for run in runs[:runs_done]:
        campaigns.start_run(db, campaign_id, run["id"])
        trace = [(0.1 * k, 0, 30.0 + k, None, None, None, None) for k in range(5)]
        campaigns.finish_run(db, run["id"], "done", metrics, None, trace)
    campaigns.start_run(db, campaign_id, runs[runs_done]["id"])
    db.close()
    return campaign_id, runs


async def test_campaign_of_another_process_is_watched_and_controlled_through_the_store(
    tmp_path: Path,
) -> None:
    from pimp_tui.store import campaigns, control

    app = make_app(tmp_path)
    db_path = Path(app.db_path)
    campaign_id, runs = fake_running_campaign(db_path)
    db = open_store(db_path)
    now = time.time()
    control.add_live_power(db, campaign_id, [(now - 1 + k / 10, 0, 40.0 + k) for k in range(10)])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        screen = app.screen
        assert screen.campaign_id == campaign_id
        table = screen.query_one("#runs")
        assert table.row_count == 2
        line = str(screen.query_one("#campaign-line").render())
        assert line.startswith(f"running (pid {os.getpid()}") and "sensor estimate" in line
        assert screen.query_one("#campaign-line").size.height == 2  # wrapped at 80, not cut
        assert "2/6 runs" in str(screen.query_one("#eta").render())
        now_line = str(screen.query_one("#now").render())
        assert "▶ run 3" in now_line and "1 prompt(s) like: " in now_line
        text = chart_text(screen)
        assert f"sensor: estimate 15 W/core · campaign #{campaign_id} · live" in text
        assert "49.0 W" in text and "now" in text
        # the next run lands while the pane watches
        campaigns.finish_run(db, runs[2]["id"], "failed", {"sensor": "estimate"}, "OOM", [])
        await pilot.pause(1.3)
        await settle(pilot)
        assert table.row_count == 3
        assert "1 failed" in str(screen.query_one("#eta").render())
        # pause and stop go to the store, for whichever process runs the campaign
        await pilot.press("p")
        await settle(pilot)
        assert control.requested(db, campaign_id) == "pause"
        await pilot.press("s")
        await settle(pilot)
        assert control.requested(db, campaign_id) == "stop"
        # resume withdraws a request the worker has not acted on yet
        await pilot.press("r")
        await settle(pilot)
        assert control.requested(db, campaign_id) is None
        # cancel asks first: "n" leaves the campaign alone, "y" cancels it
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await settle(pilot)
        assert control.requested(db, campaign_id) is None
        await pilot.press("c")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert control.requested(db, campaign_id) == "cancel"
        # quitting while it runs asks, and says it keeps running and how to come back
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        question = str(app.screen.query_one(Static).render())
        assert f"#{campaign_id} (pid {os.getpid()}) keeps running" in question
        assert f"campaign pause {campaign_id}" in question
        await pilot.press("n")
        await settle(pilot)
        assert app.is_running
    db.close()


async def test_a_campaign_whose_process_died_is_called_interrupted_everywhere(
    tmp_path: Path,
) -> None:
    import subprocess

    from pimp_tui.store import campaigns

    app = make_app(tmp_path)
    db_path = Path(app.db_path)
    campaign_id, _ = fake_running_campaign(db_path)
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    db = open_store(db_path)
    campaigns.set_status(
        db, campaign_id, "running", pid=int(gone.stdout), host=socket.gethostname()
    )
    db.close()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        await pilot.pause(1.2)
        screen = app.screen
        assert str(screen.query_one("#campaign-line").render()).startswith(
            "interrupted (r resumes)"
        )
        text = chart_text(screen)
        assert f"campaign #{campaign_id} interrupted: nothing is measured" in text
        assert "no campaign running" not in text
        assert "prompt" not in str(screen.query_one("#now").render())


async def test_resuming_a_cancelled_campaign_asks_first(tmp_path: Path) -> None:
    from pimp_tui.store import campaigns

    app = make_app(tmp_path)
    db_path = Path(app.db_path)
    campaign_id, _ = fake_running_campaign(db_path)
    db = open_store(db_path)
    campaigns.set_status(db, campaign_id, "cancelled", pid=None)
    db.close()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "was cancelled. Run its 4 remaining run(s)" in str(
            app.screen.query_one(Static).render()
        )
        await pilot.press("n")
        await settle(pilot)
    db = open_store(db_path)
    assert campaigns.get_campaign(db, campaign_id)["status"] == "cancelled"
    db.close()


async def test_the_workbench_opens_on_the_monitor_while_a_campaign_runs(tmp_path: Path) -> None:
    from pimp_tui.app import PimpApp

    campaign_id, _ = fake_running_campaign(tmp_path / "pimp.db")
    app = PimpApp(db=tmp_path / "pimp.db", sensor="estimate")  # seeded, as `pimp` opens
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.pause(0.5)
        await settle(pilot)
        assert app.current_mode == "monitor"
        assert app.screen.campaign_id == campaign_id


async def test_a_new_campaign_starts_from_the_settings_of_the_last_one(tmp_path: Path) -> None:
    from pimp_tui.screens.campaign_form import CampaignForm

    app = make_app(tmp_path)
    fake_running_campaign(Path(app.db_path))  # 1 prompt, 2 repetitions, config:tiny-llama
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, CampaignForm)
        fields = ("f-llm", "f-reps", "f-prompts", "f-sensor", "f-task")
        shown = {wid: form.query_one(f"#{wid}").value for wid in fields}
        llm = "config:" + str(Path(__file__).parents[2] / "sample_models" / "tiny-llama")
        assert shown == {"f-llm": llm, "f-reps": "2", "f-prompts": "1", "f-sensor": "estimate",
                         "f-task": "arith"}  # fmt: skip
        await pilot.press("escape")


async def test_a_finished_run_opens_with_settings_metrics_caveats_trace_and_outputs(
    tmp_path: Path,
) -> None:
    from pimp_tui.screens.run_detail import RunScreen
    from pimp_tui.store import control

    app = make_app(tmp_path)
    db_path = Path(app.db_path)
    campaign_id, runs = fake_running_campaign(db_path, runs_done=1)
    db = open_store(db_path)
    outputs = [{"prompt": "What is 2 + 2?", "answer": "4", "output": "4", "correct": True}]
    control.store_run_details(db, runs[0]["id"], outputs, None)
    db.close()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        table = app.screen.query_one("#runs")
        table.focus()
        table.move_cursor(row=0)
        await pilot.press("enter")
        await settle(pilot)
        run_screen = app.screen
        assert isinstance(run_screen, RunScreen)
        metrics = shown(run_screen.query_one("#run-metrics"))
        assert "12.5 J" in metrics and "0.5 s" in metrics and "40 tokens/s" in metrics
        facts = shown(run_screen.query_one("#run-facts"))
        assert "estimate" in facts and "not a measurement" in facts and "window under" in facts
        texts = shown(run_screen.query_one("#run-outputs"))
        assert "What is 2 + 2?" in texts and "✓" in texts
        trace = chart_text(run_screen)
        assert "this run" in trace and "34.0 W" in trace and "0.4 s" in trace
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, MonitorScreen)


async def wait_until(pilot, condition, seconds: float = 240.0) -> None:  # type: ignore[no-untyped-def]
    """Pump the app until `condition()` holds."""
    for _ in range(int(seconds / 0.2)):
        if condition():
            return
        await pilot.pause(0.2)
    raise AssertionError("timed out waiting for the campaign")


def process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def campaign_row(db_path: Path, campaign_id: int) -> dict:
    from pimp_tui.store.campaigns import get_campaign

    db = open_store(db_path)
    try:
        return get_campaign(db, campaign_id)
    finally:
        db.close()


async def test_campaign_started_here_outlives_the_app_and_is_cancelled_from_the_cli(
    tmp_path: Path,
) -> None:
    """Seeded store -> uniform sample of two -> campaign on the tiny model with the estimate
    sensor, started from the form: it runs in a process of its own, keeps running after the app
    quits (confirmed), and `pimp campaign cancel ID` cancels it between runs."""
    from pimp_tui.cli import main
    from pimp_tui.paths import TINY_LLM

    app = PimpApp(db=tmp_path / "pimp.db", sensor="estimate")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
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
        for wid, value in (("#f-prompts", "1"), ("#f-reps", "3"), ("#f-llm", str(TINY_LLM)),
                           ("#f-tokens", "4"), ("#f-cool", "2"),
                           ("#f-name", "overnight")):  # fmt: skip
            # a 2 s cooldown: tiny-model runs take a moment, and cancel acts between runs
            form.query_one(wid).value = value
        await pilot.press("ctrl+s")
        await wait_until(
            pilot, lambda: monitor._campaign is not None and monitor._campaign["alive"]
        )
        campaign_id = monitor.campaign_id
        pid = monitor._campaign["pid"]
        assert monitor._campaign["name"] == "overnight"
        assert pid != os.getpid()
        await pilot.press("ctrl+q")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
    db_path = tmp_path / "pimp.db"
    assert campaign_row(db_path, campaign_id)["alive"]  # the app is gone, the campaign is not
    deadline = time.monotonic() + 240
    while campaign_row(db_path, campaign_id)["done"] < 1 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert main(["--db", str(db_path), "campaign", "cancel", str(campaign_id)]) == 0
    while campaign_row(db_path, campaign_id)["alive"] and time.monotonic() < deadline:
        time.sleep(0.2)
    camp = campaign_row(db_path, campaign_id)
    assert camp["status"] == "cancelled" and 1 <= camp["done"] + camp["failed"] < camp["total"]
    while process_exists(pid) and time.monotonic() < deadline:
        time.sleep(0.1)  # the worker's last log line follows the status it stored
    log = (tmp_path / f"pimp-campaign-{campaign_id}.log").read_text()
    assert f"campaign {campaign_id}: cancelled" in log
