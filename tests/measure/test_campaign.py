"""Campaigns on the tiny test model: the protocol's bookkeeping, events, failed runs that do not
stop the campaign, pause/cancel, and resuming that never runs a planned run twice."""

from __future__ import annotations

import json
import os
import socket
import threading
from collections import Counter

import pytest

from pimp_tui import paths
from pimp_tui.errors import CampaignBusy, PimpError
from pimp_tui.measure import campaign as campaigns
from pimp_tui.measure.campaign_events import (
    CampaignProgress,
    CampaignStatus,
    PowerTrace,
    RunFinished,
    RunStarted,
)
from pimp_tui.measure.host import Host, fix_to_host
from pimp_tui.store import campaigns as store
from pimp_tui.store.db import open_store
from pimp_tui.variability.io import load_model
from pimp_tui.variability.reasoning import Reasoner

TINY = str(paths.TINY_LLM)


def valid_configs(count: int) -> list[dict]:
    """Distinct valid configurations of hf_generation.uvl on a CPU host (seeded random
    completions)."""
    reasoner = Reasoner(fix_to_host(load_model(paths.HF_GENERATION_MODEL), Host(0))[0])
    found: list[dict] = []
    seed = 0
    while len(found) < count:
        config = reasoner.complete({}, seed=seed)
        seed += 1
        if config not in found:
            found.append(config)
    return found


@pytest.fixture
def db_path(tmp_path):
    path = tmp_path / "pimp.db"
    db = open_store(path)
    db.execute("INSERT INTO feature_models (name, uvl) VALUES ('hf', 'features')")
    db.execute("INSERT INTO samples (model_id, name, algorithm) VALUES (1, 's', 'random')")
    for position, config in enumerate(valid_configs(3)):
        db.execute(
            "INSERT INTO configurations (sample_id, position, config) VALUES (1, ?, ?)",
            [position, json.dumps(config)],
        )
    db.conn.commit()
    db.conn.close()
    return path


def create(db_path, repetitions=2, **options):
    options = {"sensor": "estimate", "idle_s": 0.1, "cooldown_s": 0.0, **options}
    return campaigns.create_campaign(
        db_path, sample_id=1, task="arith", prompts=2, repetitions=repetitions, llm=TINY,
        max_new_tokens=3, **options,
    )  # fmt: skip


def runs(db_path, campaign_id):
    db = open_store(db_path)
    try:
        return store.runs_rows(db, campaign_id), store.get_campaign(db, campaign_id)
    finally:
        db.conn.close()


def test_campaign_runs_every_planned_run_and_reports_progress(db_path):
    cid = create(db_path)
    events = []
    assert campaigns.run_campaign(db_path, cid, on_event=events.append) == "done"
    rows, camp = runs(db_path, cid)
    assert len(rows) == 6 and {r["status"] for r in rows} == {"done"}
    assert camp["status"] == "done" and camp["sensor"] == "estimate"
    assert camp["idle_watts"] is not None and camp["heartbeat_at"]
    assert all(r["sensor"] == "estimate" and r["energy_j"] > 0 for r in rows)
    assert all(json.loads(r["settings"])["generate"]["max_new_tokens"] == 3 for r in rows)
    # Each run stored what it ran with (the override included) and where.
    assert {(r["max_new_tokens"], r["effective_source"], r["llm"], r["task"], r["device"])
            for r in rows} == {(3, "runner", TINY, "arith", "cpu")}  # fmt: skip
    assert all(r["hardware"] for r in rows)
    assert {e.config["max_new_tokens"] for e in events if isinstance(e, RunStarted)} == {3}
    kinds = Counter(type(e) for e in events)
    assert kinds[RunStarted] == kinds[RunFinished] == 6
    progress = [e for e in events if isinstance(e, CampaignProgress)]
    assert (progress[-1].done, progress[-1].total, progress[-1].eta_s) == (6, 6, 0.0)
    assert all(isinstance(e.samples, list) for e in events if isinstance(e, PowerTrace))
    # Runs went in the planned (seeded, shuffled) order.
    assert [e.run_id for e in events if isinstance(e, RunStarted)] == [r["run_id"] for r in rows]


def test_power_trace_is_stored_per_run(db_path):
    cid = create(db_path, repetitions=1, hz=50.0)
    campaigns.run_campaign(db_path, cid)
    db = open_store(db_path)
    try:
        counts = db.execute(
            "SELECT r.id, COUNT(t.id) FROM runs r LEFT JOIN traces t ON t.run_id = r.id"
            " WHERE r.campaign_id = ? GROUP BY r.id",
            [cid],
        ).fetchall()
    finally:
        db.conn.close()
    assert sum(n for _, n in counts) > 0


def test_a_failing_configuration_is_a_failed_run_and_the_campaign_goes_on(db_path, monkeypatch):
    from pimp_tui.measure import runner

    real = runner.generation_settings
    bad_position = 1
    bad_config = {**valid_configs(3)[bad_position], "max_new_tokens": 3}  # as it runs

    def broken(config):
        result = real(config)
        if config == bad_config:
            result.generate_kwargs["num_beams"] = 0  # generate() rejects it
        return result

    monkeypatch.setattr(runner, "generation_settings", broken)
    cid = create(db_path)
    assert campaigns.run_campaign(db_path, cid) == "done"
    rows, camp = runs(db_path, cid)
    failed = [r for r in rows if r["status"] == "failed"]
    assert len(failed) == 2 and all(r["configuration_id"] == bad_position + 1 for r in failed)
    assert all(r["error"] and r["energy_j"] is None for r in failed)
    assert camp["done"] == 4 and camp["failed"] == 2


def test_pause_then_resume_runs_each_planned_run_exactly_once(db_path):
    cid = create(db_path)
    pause = threading.Event()

    def on_event(event):
        if isinstance(event, RunFinished):
            pause.set()

    assert campaigns.run_campaign(db_path, cid, on_event=on_event, pause=pause) == "paused"
    rows, camp = runs(db_path, cid)
    assert camp["status"] == "paused" and camp["done"] == 1
    assert campaigns.run_campaign(db_path, cid) == "done"
    rows, camp = runs(db_path, cid)
    assert camp["done"] == 6
    assert Counter((r["configuration_id"], r["repetition"]) for r in rows).most_common(1)[0][1] == 1


def test_cancel_stops_between_runs(db_path):
    cid = create(db_path)
    cancel = threading.Event()
    cancel.set()
    assert campaigns.run_campaign(db_path, cid, cancel=cancel) == "cancelled"
    rows, camp = runs(db_path, cid)
    assert camp["status"] == "cancelled" and camp["done"] == 0


def test_a_run_left_running_by_a_dead_process_is_redone_once(db_path):
    cid = create(db_path, repetitions=1)
    db = open_store(db_path)
    first = store.pending_runs(db, cid)[0]
    store.set_status(db, cid, "running", pid=999_999)
    store.start_run(db, cid, first["id"])
    db.execute(
        "UPDATE campaigns SET heartbeat_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-1 hour')"
    )
    db.conn.commit()
    db.conn.close()
    assert campaigns.run_campaign(db_path, cid) == "done"
    rows, camp = runs(db_path, cid)
    assert [r["status"] for r in rows] == ["done"] * 3


def test_a_campaign_with_a_live_process_is_not_run_twice(db_path):
    cid = create(db_path, repetitions=1)
    db = open_store(db_path)
    store.set_status(db, cid, "running", pid=4242, host="gpu-box")
    db.conn.close()
    with pytest.raises(PimpError, match="running in process 4242 on gpu-box"):
        campaigns.run_campaign(db_path, cid)


def test_bad_campaign_parameters_are_user_errors(db_path):
    with pytest.raises(PimpError, match="unknown sensor"):
        create(db_path, sensor="wattmeter")
    with pytest.raises(PimpError, match="no such file or directory"):
        campaigns.create_campaign(db_path, sample_id=1, task="arith", prompts=1, llm="/no/model")
    with pytest.raises(PimpError, match="unknown task"):
        campaigns.create_campaign(db_path, sample_id=1, task="trivia", prompts=1, llm=TINY)


def test_the_run_lease_is_taken_once_and_released_on_exit(db_path):
    cid = create(db_path, repetitions=1)
    db = open_store(db_path)
    try:
        store.claim(db, cid)
        lease = store.get_campaign(db, cid)
        here = ("running", os.getpid(), socket.gethostname())
        assert (lease["status"], lease["pid"], lease["host"]) == here
        assert lease["claimed_at"] and lease["alive"]
        busy = f"^campaign {cid} is running in process {os.getpid()} on {socket.gethostname()}$"
        with pytest.raises(CampaignBusy, match=busy):
            store.claim(db, cid)
        store.release(db, cid)
        assert store.get_campaign(db, cid)["claimed_at"] is None
        store.set_status(db, cid, "paused")
    finally:
        db.conn.close()
    assert campaigns.run_campaign(db_path, cid) == "done"
    assert runs(db_path, cid)[1]["claimed_at"] is None


def test_a_lease_left_by_a_process_that_is_gone_is_taken_over(db_path):
    cid = create(db_path, repetitions=1)
    db = open_store(db_path)
    store.set_status(db, cid, "running", pid=999_999, claimed_at="2026-01-01T00:00:00Z")
    db.conn.close()
    assert campaigns.run_campaign(db_path, cid) == "done"
    assert runs(db_path, cid)[1]["pid"] == os.getpid()


def test_a_campaign_whose_every_run_failed_ends_failed_with_the_first_error(
    db_path, monkeypatch, capsys
):
    from pimp_tui.cli import main
    from pimp_tui.measure import runner
    from pimp_tui.measure import settings as settings_module

    def unusable(config):
        raise PimpError(f"setting {len(config)} is unusable")

    monkeypatch.setattr(settings_module, "generation_settings", unusable)
    monkeypatch.setattr(runner, "generation_settings", unusable)
    cid = create(db_path, repetitions=1)
    events = []
    assert campaigns.run_campaign(db_path, cid, on_event=events.append) == "failed"
    rows, camp = runs(db_path, cid)
    first = min(rows, key=lambda r: r["position"])["error"]
    assert camp["status"] == "failed" and camp["failed"] == 3 and camp["error"] == first
    assert first.startswith("PimpError: setting ")
    assert events[-1] == CampaignStatus(cid, "failed", first)

    again = create(db_path, repetitions=1)
    assert main(["--db", str(db_path), "measure", "--resume", str(again)]) == 1
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.startswith(f"campaign {again}: failed · 3/3 runs finished (0 done, 3 failed)")
    assert last.endswith(f" · every run failed; the first: {first}")


def test_a_campaign_started_with_an_untested_transformers_warns(db_path, monkeypatch):
    from pimp_tui.measure import tested

    monkeypatch.setattr(tested, "TESTED_TRANSFORMERS", "<1")
    cid = create(db_path, repetitions=1)
    notes = []
    cancel = threading.Event()
    cancel.set()
    assert campaigns.run_campaign(db_path, cid, cancel=cancel, notify=notes.append) == "cancelled"
    warnings = [n for n in notes if "outside the tested range <1" in n]
    assert len(warnings) == 1 and warnings[0].startswith("warning: transformers ")


def test_a_campaign_loads_each_quantization_setting_once(tmp_path, monkeypatch):
    """Runs of two settings that differ in their quantization, in a random order that goes back
    and forth: each is loaded (and quantized) once, then reused from the kept models."""
    from pimp_tui.measure import llm as llm_module

    reasoner = Reasoner(fix_to_host(load_model(paths.HF_GENERATION_MODEL), Host(0))[0])
    plain = reasoner.complete({"GreedySearch": True, "NoQuantization": True, "batch_size": 1})
    int8 = {**plain, "NoQuantization": False, "Int8WeightOnly": True}
    assert reasoner.violations(int8) == []
    db_path = tmp_path / "pimp.db"
    db = open_store(db_path)
    db.execute("INSERT INTO feature_models (name, uvl) VALUES ('hf', 'features')")
    db.execute("INSERT INTO samples (model_id, name, algorithm) VALUES (1, 's', 'given')")
    for position, config in enumerate([plain, int8]):
        db.execute(
            "INSERT INTO configurations (sample_id, position, config) VALUES (1, ?, ?)",
            [position, json.dumps(config)],
        )
    db.conn.commit()
    db.conn.close()
    opened = []
    real_open = llm_module.open_llm

    def open_llm(*args, **kwargs):
        opened.append(real_open(*args, **kwargs))
        return opened[-1]

    monkeypatch.setattr(llm_module, "open_llm", open_llm)
    cid = create(db_path, repetitions=3, seed=1)
    assert campaigns.run_campaign(db_path, cid) == "done"
    rows, _ = runs(db_path, cid)
    order = [r["configuration_id"] for r in rows]
    switches = sum(a != b for a, b in zip(order, order[1:], strict=False))
    assert {r["status"] for r in rows} == {"done"} and switches >= 3, order
    assert len(opened) == 1 and opened[0].loads == 2
    quantized = {json.loads(r["settings"])["load"].get("quantization_config") is not None
                 for r in rows}  # fmt: skip
    assert quantized == {True, False}


def test_a_campaign_planned_with_relative_paths_runs_from_any_directory(
    db_path, tmp_path, monkeypatch
):
    """A relative model path and jsonl:PATH are recorded absolute: a worker resumed from another
    directory (the workbench, another shell) loads the same model and prompts."""
    (tmp_path / "prompts.jsonl").write_text('{"prompt": "What is 2 + 2?", "answer": "4"}\n')
    monkeypatch.chdir(tmp_path)
    cid = campaigns.create_campaign(
        db_path, sample_id=1, task="jsonl:prompts.jsonl", prompts=1, repetitions=1,
        llm=os.path.relpath(paths.TINY_LLM), max_new_tokens=3, sensor="estimate", idle_s=0.1,
        cooldown_s=0.0,
    )  # fmt: skip
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert campaigns.run_campaign(db_path, cid) == "done"
    rows, camp = runs(db_path, cid)
    assert camp["llm"] == str(paths.TINY_LLM)
    assert camp["task"] == f"jsonl:{tmp_path / 'prompts.jsonl'}"
    assert [row["status"] for row in rows] == ["done"] * 3
