"""`pimp measure`, `pimp campaigns`, `pimp export runs` end to end on the tiny model, including
a campaign killed with SIGKILL and resumed."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time

import polars as pl

from pimp_tui import paths
from pimp_tui.cli import main
from pimp_tui.store.db import open_store

TINY = str(paths.TINY_LLM)
FAST = ["--sensor", "estimate", "--idle", "0.1", "--max-new-tokens", "3"]


def measure_args(db, *extra):
    return ["--db", str(db), "measure", str(paths.HF_GENERATION_MODEL), "--llm", TINY,
            "--algorithm", "twise", "--t", "2", "--task", "arith", *FAST, *extra]  # fmt: skip


def counts(db_path, campaign_id):
    db = open_store(db_path)
    try:
        return dict(
            db.execute(
                "SELECT status, COUNT(*) FROM runs WHERE campaign_id = ? GROUP BY status",
                [campaign_id],
            ).fetchall()
        )
    finally:
        db.conn.close()


def test_twise_campaign_on_the_tiny_model_completes_without_failed_runs(tmp_path, capsys):
    db = tmp_path / "pimp.db"
    args = measure_args(db, "--prompts", "4", "--repetitions", "1", "--cooldown", "0", "--name",
                        "pairs on tiny")  # fmt: skip
    assert main(args) == 0
    out, err = capsys.readouterr()
    campaign_id = int(out.strip())
    assert f"campaign {campaign_id}: done" in err
    stored = re.search(r"pimp: sample #(\d+) (measure-twise-\S+) stored \(--sample (\d+)", err)
    assert stored is not None and stored[1] == stored[3]
    assert main(["--db", str(db), "sample", "list"]) == 0
    assert capsys.readouterr().out.splitlines()[1].split("\t")[:3:2] == [stored[1], stored[2]]
    status = counts(db, campaign_id)
    assert status.get("failed", 0) == 0 and status["done"] > 1

    assert main(["--db", str(db), "campaigns"]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert listing[0].startswith("id\tstatus") and listing[1].startswith(f"{campaign_id}\tdone")
    assert listing[0].endswith("\tname") and listing[1].endswith("\tpairs on tiny")

    parquet = tmp_path / "runs.parquet"
    assert (
        main(["--db", str(db), "export", "runs", "--format", "parquet", "--out", str(parquet)]) == 0
    )
    frame = pl.read_parquet(parquet)
    assert frame.height == status["done"]
    assert {"GreedySearch", "batch_size", "energy_j", "accuracy", "sensor"} <= set(frame.columns)
    assert set(frame["sensor"]) == {"estimate"}


def test_kill_9_then_resume_gives_exactly_one_row_per_planned_run(tmp_path, capsys):
    db = tmp_path / "pimp.db"
    args = measure_args(db, "--prompts", "2", "--repetitions", "3", "--cooldown", "0.3")
    args[args.index("twise")] = "uniform"
    args += ["--size", "4"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "pimp_tui", *args],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
    )  # fmt: skip
    try:
        campaign_id = int(proc.stdout.readline())
        deadline = time.monotonic() + 300
        while counts(db, campaign_id).get("done", 0) < 2 and time.monotonic() < deadline:
            assert proc.poll() is None, "the campaign ended before it could be killed"
            time.sleep(0.1)
    finally:
        proc.kill()  # SIGKILL: no cleanup runs
        proc.wait()
    before = counts(db, campaign_id)
    assert before.get("pending", 0) + before.get("running", 0) > 0

    assert main(["--db", str(db), "measure", "--resume", str(campaign_id)]) == 0
    capsys.readouterr()
    csv = tmp_path / "runs.csv"
    assert main(["--db", str(db), "export", "runs", "--campaign", str(campaign_id),
                 "--format", "csv", "--out", str(csv)]) == 0  # fmt: skip
    frame = pl.read_csv(csv)
    db_ = open_store(db)
    planned = db_.execute("SELECT COUNT(*) FROM runs WHERE campaign_id = ?", [campaign_id])
    planned, configs = (
        planned.fetchone()[0],
        db_.execute(
            "SELECT COUNT(*) FROM configurations c JOIN campaigns ca ON ca.sample_id = c.sample_id"
            " WHERE ca.id = ?",
            [campaign_id],
        ).fetchone()[0],
    )
    db_.conn.close()
    assert planned == configs * 3 == frame.height
    assert frame.select(["configuration_id", "repetition"]).is_duplicated().sum() == 0
    assert set(frame["status"]) == {"done"}


def test_missing_model_is_a_clear_error_with_exit_2(tmp_path, capsys):
    db = tmp_path / "pimp.db"
    args = ["--db", str(db), "measure", str(paths.HF_GENERATION_MODEL),
            "--llm", "no-such-org/no-such-model", "--task", "arith", "--prompts", "2"]  # fmt: skip
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("pimp: --llm no-such-org/no-such-model: no such local path")
    assert "Traceback" not in err and "\n" not in err
    db_ = open_store(db)
    assert db_.execute("SELECT COUNT(*) FROM campaigns").fetchone()[0] == 0
    db_.conn.close()


def test_resume_of_an_unknown_campaign(tmp_path, capsys):
    assert main(["--db", str(tmp_path / "pimp.db"), "measure", "--resume", "9"]) == 2
    assert "no campaign 9" in capsys.readouterr().err


def test_export_of_a_store_without_runs_succeeds(tmp_path, capsys):
    assert main(["--db", str(tmp_path / "pimp.db"), "export", "runs"]) == 0


def test_two_resumes_of_one_campaign_run_it_once(tmp_path):
    """The second of two `measure --resume` started 0.3 s apart exits at once, whichever of the
    two took the campaign; every planned run is run and stored exactly once."""
    from pimp_tui.measure.campaign import create_campaign
    from pimp_tui.store import samples
    from pimp_tui.variability.io import load_model
    from pimp_tui.variability.reasoning import Reasoner

    db = tmp_path / "pimp.db"
    model = load_model(paths.HF_GENERATION_MODEL)
    reasoner = Reasoner(model)
    configs = [reasoner.complete({"CPU": True}, seed=seed) for seed in range(2)]
    store = open_store(db)
    try:
        sample_id = samples.save_sample(
            store, samples.save_model(store, model), "two", "random", {}, configs, None
        )
    finally:
        store.conn.close()
    campaign_id = create_campaign(
        db, sample_id=sample_id, task="arith", prompts=2, repetitions=2, llm=TINY,
        sensor="estimate", idle_s=0.1, cooldown_s=0.2, max_new_tokens=3,
    )  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    command = [sys.executable, "-m", "pimp_tui", "--db", str(db), "measure", "--resume",
               str(campaign_id)]  # fmt: skip
    procs = []
    for _ in range(2):
        procs.append(subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      env=env, text=True))  # fmt: skip
        time.sleep(0.3)
    ended = {}
    while len(ended) < 2:
        for index, proc in enumerate(procs):
            if index not in ended and proc.poll() is not None:
                ended[index] = time.monotonic()
        time.sleep(0.05)
    outcomes = [(proc.returncode, proc.communicate()[1]) for proc in procs]
    winner = next(i for i, (code, _) in enumerate(outcomes) if code == 0)
    loser = 1 - winner
    code, err = outcomes[loser]
    assert code == 1, outcomes
    assert err.strip() == (
        f"pimp: campaign {campaign_id} is running in process {procs[winner].pid} on "
        f"{socket.gethostname()}"
    )
    assert ended[loser] < ended[winner]
    assert counts(db, campaign_id) == {"done": 4}
