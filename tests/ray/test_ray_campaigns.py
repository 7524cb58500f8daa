"""Campaigns through `--executor ray` on a local cluster of two CPU slots: one row per planned
run, each labelled with its slot; exact after a slot's process is killed mid-run (the run is
retried on another slot) and the driver is then killed with SIGKILL and resumed."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time

import polars as pl
import pytest

from pimp_tui import paths
from pimp_tui.cli import main
from pimp_tui.errors import PimpError
from pimp_tui.store.db import open_store
from tests.ray.conftest import start_cluster

TINY = str(paths.TINY_LLM)
FAST = ["--sensor", "estimate", "--idle", "0.1", "--max-new-tokens", "2", "--prompts", "1",
        "--cooldown", "0"]  # fmt: skip
SLOT = re.compile(r"^.+/cpu\d+$")


@pytest.fixture(scope="module")
def cluster():
    """Two CPU slots."""
    yield from start_cluster(num_cpus=2)


@pytest.fixture(scope="module")
def pairs(tmp_path_factory):
    """A store holding the 2-wise sample of the generation model fixed to CPU, named 'pairs'."""
    db = tmp_path_factory.mktemp("pairs") / "pimp.db"
    args = ["sample", str(paths.HF_GENERATION_MODEL), "--algorithm", "twise", "--t", "2",
            "--host", "cpu", "--db", str(db), "--name", "pairs",
            "--out", str(db) + ".csv"]  # fmt: skip
    assert main(args) == 0
    return db


def copy_store(pairs, tmp_path):
    db = tmp_path / "pimp.db"
    with sqlite3.connect(pairs) as source, sqlite3.connect(db) as target:
        source.backup(target)
    return db


def measure(db, address, *extra):
    return ["--db", str(db), "measure", "--sample", "pairs", "--llm", TINY, "--task", "arith",
            *FAST, "--repetitions", "2", "--executor", "ray", "--address", address,
            *extra]  # fmt: skip


def export(db, tmp_path, campaign_id):
    out = tmp_path / "runs.csv"
    assert main(["--db", str(db), "export", "runs", "--campaign", str(campaign_id),
                 "--format", "csv", "--out", str(out)]) == 0  # fmt: skip
    return pl.read_csv(out)


def planned(db, campaign_id):
    store = open_store(db)
    try:
        runs = store.execute("SELECT COUNT(*) FROM runs WHERE campaign_id = ?", [campaign_id])
        configs = store.execute(
            "SELECT COUNT(*) FROM configurations c JOIN campaigns ca ON ca.sample_id ="
            " c.sample_id WHERE ca.id = ?",
            [campaign_id],
        )
        return runs.fetchone()[0], configs.fetchone()[0]
    finally:
        store.conn.close()


def counts(db, campaign_id):
    store = open_store(db)
    try:
        return dict(
            store.execute(
                "SELECT status, COUNT(*) FROM runs WHERE campaign_id = ? GROUP BY status",
                [campaign_id],
            ).fetchall()
        )
    finally:
        store.conn.close()


def running_slot_pid(db, campaign_id):
    store = open_store(db)
    try:
        row = store.execute(
            "SELECT slot, pid, run_id FROM campaign_slots WHERE campaign_id = ?"
            " AND state = 'running' AND pid IS NOT NULL LIMIT 1",
            [campaign_id],
        ).fetchone()
    finally:
        store.conn.close()
    return row


def assert_exact(frame, runs, configs):
    assert runs == configs * 2 == frame.height
    assert frame.select(["configuration_id", "repetition"]).is_duplicated().sum() == 0
    assert set(frame["status"]) == {"done"}
    assert all(SLOT.match(slot) for slot in frame["slot"])
    assert frame["node"].null_count() == 0


def driver(args):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "pimp_tui", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip


def test_pairwise_campaign_on_two_slots_has_one_row_per_planned_run(cluster, pairs, tmp_path,
                                                                     capsys):  # fmt: skip
    db = copy_store(pairs, tmp_path)
    assert main(measure(db, cluster)) == 0
    out, err = capsys.readouterr()
    campaign_id = int(out.strip())
    assert "ray: 2 slot(s) of 1 CPU(s)" in err and f"campaign {campaign_id}: done" in err
    frame = export(db, tmp_path, campaign_id)
    assert_exact(frame, *planned(db, campaign_id))
    # Both slots measured, and repetitions of a configuration may land on either.
    assert frame["slot"].n_unique() == 2
    assert set(frame["sensor"]) == {"estimate"}


def test_slot_killed_mid_run_then_driver_killed_and_resumed_gives_exactly_the_plan(
    cluster, pairs, tmp_path, capsys
):
    """One campaign, two faults: a slot's process killed mid-run (its run is retried on
    another slot and recorded once), then the driver killed with SIGKILL and resumed with
    --executor ray (exactly the unfinished runs are done)."""
    db = copy_store(pairs, tmp_path)
    proc = driver(measure(db, cluster))
    killed = None
    try:
        campaign_id = int(proc.stdout.readline())
        deadline = time.monotonic() + 300
        while killed is None and time.monotonic() < deadline:
            assert proc.poll() is None, proc.stderr.read()
            found = running_slot_pid(db, campaign_id)
            if found and counts(db, campaign_id).get("done", 0) >= 3:
                killed = found
                os.kill(found[1], signal.SIGKILL)
            time.sleep(0.05)
        assert killed is not None
        slot = killed[0]
        lost = re.compile(rf"slot {re.escape(slot)} lost \(\w+\): run (\d+) goes to another slot")
        err, moved = "", None
        while moved is None and time.monotonic() < deadline:
            line = proc.stderr.readline()
            assert line, err  # the driver ended without reporting the lost slot
            err += line
            found_line = lost.search(line)
            moved = int(found_line.group(1)) if found_line else None
        # Kill the driver once the moved run is back in flight or done.
        while counts(db, campaign_id).get("done", 0) < 8 and time.monotonic() < deadline:
            assert proc.poll() is None, proc.stderr.read()
            time.sleep(0.05)
    finally:
        proc.kill()  # SIGKILL: no cleanup runs
        proc.communicate()
    before = counts(db, campaign_id)
    assert before.get("pending", 0) + before.get("running", 0) > 0

    assert main(["--db", str(db), "measure", "--resume", str(campaign_id), "--executor", "ray",
                 "--address", cluster]) == 0  # fmt: skip
    assert f"campaign {campaign_id}: done" in capsys.readouterr().err
    frame = export(db, tmp_path, campaign_id)
    assert_exact(frame, *planned(db, campaign_id))
    assert frame.filter(pl.col("run_id") == moved)["slot"].item() != slot


def test_an_llm_missing_on_a_node_is_refused_naming_the_node(cluster):
    import socket

    import ray

    from pimp_tui.measure.executors.ray import check_nodes

    with pytest.raises(PimpError) as info:
        check_nodes(ray, "/no/such/model")
    assert socket.gethostname() in str(info.value) and "/no/such/model" in str(info.value)
