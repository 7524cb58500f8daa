"""Campaign store: runs planned once per (configuration, repetition) in seeded rounds,
interrupted runs reset for resume, a finished run and its trace committed together."""

from __future__ import annotations

import json
import os
import sqlite3

import pytest

from pimp_tui.errors import PimpError
from pimp_tui.measure.settings import effective_configuration
from pimp_tui.store import campaigns as store
from pimp_tui.store.db import open_store

CONFIGS = [
    {"do_sample": False, "temperature": None, "status": "x"},
    {"do_sample": True, "temperature": 0.7, "status": "y"},
    {"do_sample": True, "temperature": 1.3, "status": "z"},
]


@pytest.fixture
def db(tmp_path):
    db = open_store(tmp_path / "pimp.db")
    db.execute("INSERT INTO feature_models (name, uvl) VALUES ('m', 'features')")
    db.execute("INSERT INTO samples (model_id, name, algorithm) VALUES (1, 's', 'twise')")
    for position, config in enumerate(CONFIGS):
        db.execute(
            "INSERT INTO configurations (sample_id, position, config) VALUES (1, ?, ?)",
            [position, json.dumps(config)],
        )
    db.conn.commit()
    yield db
    db.conn.close()


def create(db, seed=0, repetitions=2):
    return store.create_campaign(
        db, sample_id=1, task="arith", prompts=4, repetitions=repetitions, llm="smollm2",
        seed=seed, params={"cooldown_s": 0.5},
    )  # fmt: skip


def plan(db, campaign_id):
    return [(r["configuration_id"], r["repetition"]) for r in store.pending_runs(db, campaign_id)]


def test_every_configuration_and_repetition_is_planned_once_in_seeded_order(db):
    first, same, other = create(db, 7), create(db, 7), create(db, 8)
    runs = plan(db, first)
    assert sorted(runs) == [(c, r) for c in (1, 2, 3) for r in (0, 1)]
    assert plan(db, same) == runs
    assert plan(db, other) != runs  # 36 plans: another seed gives another one
    camp = store.get_campaign(db, first)
    assert (camp["status"], camp["total"], camp["done"]) == ("planned", 6, 0)
    assert camp["params"] == {"cooldown_s": 0.5}


def test_runs_are_planned_in_rounds_each_in_its_own_random_order(db):
    plans = [plan(db, create(db, seed, repetitions=3)) for seed in range(10)]
    for runs in plans:
        rounds = [runs[0:3], runs[3:6], runs[6:9]]
        for repetition, round_runs in enumerate(rounds):
            assert sorted(round_runs) == [(c, repetition) for c in (1, 2, 3)]
    # the rounds are shuffled apart: some plan runs its configurations in two orders
    orders = {tuple(c for c, _ in runs[k : k + 3]) for runs in plans for k in (0, 3, 6)}
    assert len(orders) > 1
    assert any(runs[0][0] != runs[3][0] or runs[1][0] != runs[4][0] for runs in plans)


def test_a_run_cannot_be_planned_twice(db):
    cid = create(db)
    with pytest.raises(sqlite3.IntegrityError):
        db.execute(
            "INSERT INTO runs (campaign_id, configuration_id, repetition, position)"
            " VALUES (?, 1, 0, 99)",
            [cid],
        )


def test_empty_or_missing_sample_is_a_user_error(db):
    with pytest.raises(PimpError, match="sample 42"):
        store.create_campaign(
            db, sample_id=42, task="arith", prompts=1, repetitions=1, llm="smollm2"
        )


def test_finished_run_and_trace_are_stored_together(db):
    cid = create(db)
    run = store.pending_runs(db, cid)[0]
    store.start_run(db, cid, run["id"])
    store.finish_run(
        db, run["id"], "done", {"energy_j": 12.5, "latency_s": 2.0, "sensor": "estimate"},
        trace=[(0.0, 0, 40.0, None, None, None, None), (0.1, 0, 42.0, 50.0, 1500, 90, 2048)],
    )  # fmt: skip
    stored = db["runs"].get(run["id"])
    assert (stored["status"], stored["energy_j"], stored["sensor"]) == ("done", 12.5, "estimate")
    assert [t["watts"] for t in store.run_trace(db, run["id"])] == [40.0, 42.0]
    assert store.get_campaign(db, cid)["done"] == 1
    assert run["id"] not in [r["id"] for r in store.pending_runs(db, cid)]


def test_interrupted_run_goes_back_to_pending_without_its_partial_trace(db):
    cid = create(db)
    first, second = store.pending_runs(db, cid)[:2]
    store.start_run(db, cid, first["id"])
    store.finish_run(db, first["id"], "failed", {}, error="OutOfMemoryError: CUDA out of memory")
    store.start_run(db, cid, second["id"])
    db.execute(
        "INSERT INTO traces (run_id, t, device, watts) VALUES (?, 0.0, 0, 50.0)", [second["id"]]
    )
    db.conn.commit()
    assert store.reset_interrupted(db, cid) == 1
    assert db["runs"].get(second["id"])["status"] == "pending"
    assert store.run_trace(db, second["id"]) == []
    assert db["runs"].get(first["id"])["status"] == "failed"
    assert len(store.pending_runs(db, cid)) == 5


def test_status_heartbeat_and_liveness(db):
    cid = create(db)
    store.set_status(db, cid, "running")
    camp = store.get_campaign(db, cid)
    assert camp["alive"] and camp["pid"] and camp["started_at"]
    db.execute(
        "UPDATE campaigns SET heartbeat_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-5 minutes')"
    )
    db.conn.commit()
    assert not store.get_campaign(db, cid)["alive"]  # a stale heartbeat: the process is gone
    store.heartbeat(db, cid)
    assert store.get_campaign(db, cid)["alive"]
    store.set_status(db, cid, "done")
    camp = store.get_campaign(db, cid)
    assert not camp["alive"] and camp["finished_at"]
    with pytest.raises(ValueError):
        store.set_status(db, cid, "exploded")


def test_export_rows_hold_configuration_columns_and_metrics(db):
    cid = create(db, repetitions=1)
    rows = store.runs_rows(db, cid)
    assert len(rows) == 3
    row = rows[0]
    assert {"run_id", "configuration_id", "repetition", "do_sample", "temperature"} <= row.keys()
    assert {"energy_j", "energy_net_j", "ttft_s", "accuracy", "sensor"} <= row.keys()
    # A feature named like a run column keeps both, the feature prefixed.
    assert row["status"] == "pending" and row["config.status"] in {"x", "y", "z"}


def test_unknown_campaign(db):
    with pytest.raises(PimpError, match="no campaign 5"):
        store.get_campaign(db, 5)


def test_a_killed_process_on_this_host_is_seen_at_once(db):
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()  # a pid that existed and is gone, as after kill -9
    cid = create(db)
    store.set_status(db, cid, "running", pid=proc.pid)
    assert not store.get_campaign(db, cid)["alive"]
    store.set_status(db, cid, "running", pid=os.getpid())
    assert store.get_campaign(db, cid)["alive"]


def test_export_shows_the_output_length_that_ran(db):
    db.execute("UPDATE configurations SET config = json_set(config, '$.max_new_tokens', 256)")
    db.conn.commit()
    plain = create(db, repetitions=1)
    cid = store.create_campaign(
        db, sample_id=1, task="arith", prompts=1, repetitions=1, llm="smollm2",
        params={"max_new_tokens": 8},
    )  # fmt: skip
    assert {r["max_new_tokens"] for r in store.runs_rows(db, plain)} == {256}
    # Not run yet: the sampled configuration. Once a run starts: what it runs with.
    assert {r["max_new_tokens"] for r in store.runs_rows(db, cid)} == {256}
    context = {"llm": "smollm2", "task": "arith", "device": "cpu", "hardware": "x86_64"}
    for run in store.pending_runs(db, cid):
        effective = effective_configuration(run["config"], max_new_tokens=8)
        store.start_run(db, cid, run["id"], effective=effective, context=context)
    rows = store.runs_rows(db, cid)
    assert {r["max_new_tokens"] for r in rows} == {8}
    assert {(r["effective_source"], r["device"], r["hardware"]) for r in rows} == {
        ("runner", "cpu", "x86_64")
    }


def test_runs_stored_before_effective_configurations_get_them_derived(tmp_path):
    """A store written before runs kept their effective configuration: finished runs get it
    from the arguments they recorded (else the campaign's override), marked 'derived'; a run
    not started keeps none."""
    from pimp_tui.store.db import migrate
    from pimp_tui.store.schema import MIGRATIONS

    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    for version, script in MIGRATIONS:
        if "effective" in script:
            break
        conn.executescript(script)
        conn.execute(f"PRAGMA user_version = {version}")
    conn.execute("INSERT INTO feature_models (name, uvl) VALUES ('m', 'features')")
    conn.execute("INSERT INTO samples (model_id, name, algorithm) VALUES (1, 's', 'twise')")
    sampled = [
        {"GreedySearch": True, "max_new_tokens": 256},
        {"GreedySearch": True, "max_new_tokens": 32, "input_length": 8, "output_length": 4,
         "batch_size": 2},
        {"GreedySearch": True, "max_new_tokens": 128},
    ]  # fmt: skip
    for position, config in enumerate(sampled):
        conn.execute("INSERT INTO configurations (sample_id, position, config) VALUES (1, ?, ?)",
                     [position, json.dumps(config)])  # fmt: skip
    conn.execute(
        "INSERT INTO campaigns (sample_id, task, prompts, repetitions, llm, params)"
        " VALUES (1, 'arith', 1, 1, 'smollm2', '{\"max_new_tokens\": 16}')"
    )
    versions = json.dumps({"device": "cuda", "gpu": "NVIDIA H200"})
    ran = {"generate": {"max_new_tokens": 4, "min_new_tokens": 4}, "batch_size": 2}
    runs = [
        (1, "done", None, None),  # recorded no arguments: the campaign's override
        (2, "done", json.dumps(ran), versions),  # a lengths point: what it recorded
        (3, "pending", None, None),
    ]
    for cid, status, settings, version in runs:
        conn.execute(
            "INSERT INTO runs (campaign_id, configuration_id, repetition, position, status,"
            " settings, versions) VALUES (1, ?, 0, ?, ?, ?, ?)",
            [cid, cid, status, settings, version],
        )
    conn.commit()
    migrate(conn)
    conn.close()
    db = open_store(path)
    rows = {r["configuration_id"]: r for r in store.runs_rows(db, 1)}
    assert rows[1]["max_new_tokens"] == 16 and rows[1]["effective_source"] == "derived"
    assert (rows[2]["max_new_tokens"], rows[2]["min_new_tokens"], rows[2]["batch_size"]) == (
        4, 4, 2
    )  # fmt: skip
    assert (rows[2]["llm"], rows[2]["device"], rows[2]["hardware"]) == (
        "smollm2", "cuda", "NVIDIA H200"
    )  # fmt: skip
    assert rows[3]["max_new_tokens"] == 128 and rows[3]["effective_source"] is None
