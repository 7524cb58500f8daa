"""Campaigns in processes of their own, on the tiny model with the estimate sensor: one survives
the death of the session that started it, others are paused, stopped, resumed and cancelled from
other processes, and a campaign's output sent to a file grows by one line per finished run.

Each planned run must finish exactly once: the runs table has one row per planned run (the
store enforces it), every row ends 'done', and the log names every run id once."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pimp_tui import paths
from pimp_tui.cli import main
from pimp_tui.measure.campaign import create_campaign
from pimp_tui.store.campaigns import get_campaign
from pimp_tui.store.db import open_store

TINY = str(paths.TINY_LLM)
ENV = {**os.environ, "OMP_NUM_THREADS": "1"}
RUN_LINE = re.compile(r"^\[(\d+)/(\d+)\] run (\d+) cfg \d+ rep \d+ (done|failed)")
DEADLINE_S = 300


def store_with_sample(tmp_path: Path, size: int = 3) -> Path:
    """A store holding one uniform sample of hf_generation.uvl (CPU configurations), named
    'stored'."""
    from pimp_tui.measure.host import Host, fix_to_host
    from pimp_tui.sampling import sample
    from pimp_tui.store.samples import save_model, save_sample
    from pimp_tui.variability.io import load_model

    db_path = tmp_path / "pimp.db"
    model = load_model(paths.HF_GENERATION_MODEL)
    db = open_store(db_path)
    try:
        model_id = save_model(db, model, "hf_generation")
        configs = sample(fix_to_host(model, Host(0))[0], "uniform", size=size, seed=3)
        save_sample(db, model_id, "stored", "uniform", {"size": size}, configs, None)
    finally:
        db.conn.close()
    return db_path


def plan(db_path: Path, repetitions: int, cooldown_s: float) -> int:
    return create_campaign(
        db_path, sample_id=1, task="arith", prompts=1, repetitions=repetitions, llm=TINY,
        sensor="estimate", max_new_tokens=3, idle_s=0.1, cooldown_s=cooldown_s,
    )  # fmt: skip


def campaign(db_path: Path, campaign_id: int) -> dict:
    db = open_store(db_path)
    try:
        return get_campaign(db, campaign_id)
    finally:
        db.conn.close()


def run_statuses(db_path: Path, campaign_id: int) -> list[tuple[int, str]]:
    db = open_store(db_path)
    try:
        return db.execute(
            "SELECT id, status FROM runs WHERE campaign_id = ? ORDER BY id", [campaign_id]
        ).fetchall()
    finally:
        db.conn.close()


def wait_for(condition, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def logged_runs(log: Path) -> list[int]:
    return [int(m.group(3)) for line in log.read_text().splitlines() if (m := RUN_LINE.match(line))]


def assert_every_run_once(db_path: Path, campaign_id: int, log: Path) -> None:
    statuses = run_statuses(db_path, campaign_id)
    assert {status for _, status in statuses} == {"done"}
    ids = logged_runs(log)
    assert sorted(ids) == [run_id for run_id, _ in statuses]  # each run logged exactly once


def pimp(db_path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pimp_tui", "--db", str(db_path), *args],
        capture_output=True, text=True, env=ENV, timeout=120,
    )  # fmt: skip


PARENT = """
import sys, time
from pimp_tui.services.campaigns import start_detached
started = start_detached(sys.argv[1], int(sys.argv[2]))
print(started.pid, flush=True)
time.sleep(600)
"""


def test_a_detached_campaign_survives_the_death_of_the_session_that_started_it(tmp_path):
    db_path = store_with_sample(tmp_path)
    campaign_id = plan(db_path, repetitions=2, cooldown_s=0.2)
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, str(db_path), str(campaign_id)],
        stdout=subprocess.PIPE, text=True, env=ENV, start_new_session=True,
    )  # fmt: skip
    worker = int(parent.stdout.readline())
    assert os.getsid(worker) == worker != os.getsid(parent.pid)  # a session of its own
    # What a dropped SSH connection does to the terminal's session: hang-up, then the end.
    os.killpg(parent.pid, signal.SIGHUP)
    os.killpg(parent.pid, signal.SIGKILL)
    parent.wait()
    os.kill(worker, 0)  # still alive
    wait_for(lambda: campaign(db_path, campaign_id)["status"] == "done", "the campaign to end")
    camp = campaign(db_path, campaign_id)
    assert camp["done"] == camp["total"] == 6 and camp["control"] is None
    log = tmp_path / f"pimp-campaign-{campaign_id}.log"
    assert_every_run_once(db_path, campaign_id, log)
    assert f"campaign {campaign_id}: done · 6/6 runs finished" in log.read_text()


def test_pause_stop_and_resume_from_other_processes(tmp_path):
    db_path = store_with_sample(tmp_path)
    started = pimp(
        db_path, "measure", "--sample", "stored", "--llm", TINY, "--task", "arith", "--prompts",
        "1", "--repetitions", "3", "--sensor", "estimate", "--idle", "0.1", "--max-new-tokens",
        "3", "--cooldown", "1", "--detach",
    )  # fmt: skip
    assert started.returncode == 0, started.stderr
    campaign_id = int(started.stdout)
    assert f"campaign {campaign_id} runs in process" in started.stderr
    assert f"campaign pause|resume|cancel|stop {campaign_id}" in started.stderr
    log = tmp_path / f"pimp-campaign-{campaign_id}.log"
    assert str(log) in started.stderr

    wait_for(lambda: campaign(db_path, campaign_id)["done"] >= 1, "a first run")
    paused = pimp(db_path, "campaign", "pause", str(campaign_id))
    assert paused.returncode == 0 and "pause after the run in flight" in paused.stderr
    wait_for(lambda: not campaign(db_path, campaign_id)["alive"], "the pause")
    camp = campaign(db_path, campaign_id)
    assert camp["status"] == "paused" and camp["done"] < camp["total"] and camp["control"] is None
    assert "running" not in {status for _, status in run_statuses(db_path, campaign_id)}

    assert pimp(db_path, "campaign", "resume", str(campaign_id)).returncode == 0
    before = camp["done"]
    wait_for(lambda: campaign(db_path, campaign_id)["done"] > before, "a run after resuming")
    stopped = pimp(db_path, "campaign", "stop", str(campaign_id))
    assert stopped.returncode == 0 and "stops now" in stopped.stderr
    wait_for(lambda: not campaign(db_path, campaign_id)["alive"], "the stop")
    camp = campaign(db_path, campaign_id)
    assert camp["status"] == "paused" and camp["done"] < camp["total"]
    assert "running" not in {status for _, status in run_statuses(db_path, campaign_id)}

    assert pimp(db_path, "campaign", "resume", str(campaign_id)).returncode == 0
    wait_for(lambda: campaign(db_path, campaign_id)["status"] == "done", "the campaign to end")
    assert campaign(db_path, campaign_id)["done"] == 9
    assert_every_run_once(db_path, campaign_id, log)
    again = pimp(db_path, "campaign", "pause", str(campaign_id))
    assert again.returncode != 0 and again.stderr.strip() == f"pimp: campaign {campaign_id} is done"


def test_output_sent_to_a_file_grows_by_one_line_per_finished_run(tmp_path):
    """`pimp measure --sample NAME ... > log 2>&1`: measures the stored sample (no new sample),
    and the file holds each run's line as soon as the run has finished."""
    db_path = store_with_sample(tmp_path, size=2)
    log = tmp_path / "measure.log"
    command = [
        sys.executable, "-m", "pimp_tui", "--db", str(db_path), "measure", "--sample", "1",
        "--llm", TINY, "--task", "arith", "--prompts", "1", "--repetitions", "2", "--sensor",
        "estimate", "--idle", "0.1", "--max-new-tokens", "3", "--cooldown", "1.5",
    ]  # fmt: skip
    seen: list[int] = []
    with log.open("w") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=ENV)
        deadline = time.monotonic() + DEADLINE_S
        while proc.poll() is None:
            assert time.monotonic() < deadline, "timed out"
            count = len(logged_runs(log))
            if not seen or count != seen[-1]:
                seen.append(count)
            time.sleep(0.1)
    assert proc.returncode == 0, log.read_text()
    lines = [line for line in log.read_text().splitlines() if RUN_LINE.match(line)]
    assert [RUN_LINE.match(line).group(1) for line in lines] == ["1", "2", "3", "4"]
    assert all(" s " in line and " J" in line and "acc " in line for line in lines)
    assert all("ETA " in line for line in lines[:-1])
    # while the process ran, the file showed the runs one at a time
    assert [count for count in seen if 0 < count < 4] == [1, 2, 3]
    assert "campaign 1: done · 4/4 runs finished" in log.read_text()
    db = open_store(db_path)
    try:
        assert db.execute("SELECT COUNT(*) FROM samples").fetchone()[0] == 1  # not sampled again
    finally:
        db.conn.close()


def test_runs_show_opens_a_done_run_and_a_failed_run_with_its_traceback(tmp_path, capsys):
    from pimp_tui.measure.campaign import run_campaign

    db_path = store_with_sample(tmp_path, size=1)
    db = open_store(db_path)
    with db.conn:
        db.conn.execute(
            "INSERT INTO configurations (sample_id, position, config) VALUES (1, 1, ?)",
            ['{"GreedySearch": true, "batch_size": "many"}'],
        )
    db.conn.close()
    campaign_id = plan(db_path, repetitions=1, cooldown_s=0.0)
    assert run_campaign(db_path, campaign_id) == "done"
    statuses = dict(run_statuses(db_path, campaign_id))
    done_id = next(run_id for run_id, status in statuses.items() if status == "done")
    failed_id = next(run_id for run_id, status in statuses.items() if status == "failed")

    assert main(["--db", str(db_path), "runs", "show", str(done_id)]) == 0
    text = capsys.readouterr().out
    assert text.startswith(f"run {done_id} · campaign {campaign_id}")
    assert re.search(r"\n  generate\.max_new_tokens +3\n", text)  # the override that ran
    assert re.search(r"\n  sensor +estimate\n", text)
    for expected in (" J\n", " s\n", " tokens/s\n", "caveat: energy is an estimate",
                     "power trace: dev0:", "outputs\n  1. "):  # fmt: skip
        assert expected in text, expected
    assert "(expected " in text and any(mark in text for mark in ("correct", "wrong"))

    assert main(["--db", str(db_path), "runs", "show", str(failed_id)]) == 0
    text = capsys.readouterr().out
    assert "· failed" in text.splitlines()[0]
    assert "error: PimpError: batch_size must be an integer, not 'many'" in text
    assert "traceback:" in text and "generation_settings" in text

    assert main(["--db", str(db_path), "runs", "show", "999"]) == 2
    assert capsys.readouterr().err.strip() == "pimp: no run 999"


def test_a_start_whose_worker_ends_at_once_says_why_instead_of_where_it_runs(tmp_path, monkeypatch):
    from pimp_tui.errors import PimpError
    from pimp_tui.services import campaigns

    db_path = store_with_sample(tmp_path)
    campaign_id = plan(db_path, repetitions=1, cooldown_s=0.0)
    # a "worker" that cannot read its arguments: it exits 1 at once with an error line
    monkeypatch.setattr(campaigns, "WORKER_MODULE", "json.tool")
    with pytest.raises(PimpError) as ended:
        campaigns.start_detached(db_path, campaign_id)
    said = rf"campaign {campaign_id}: its worker \d+ ended at once: .+"
    assert re.fullmatch(said, str(ended.value)) and ended.value.exit_code == 1
    assert campaign(db_path, campaign_id)["status"] == "planned"
