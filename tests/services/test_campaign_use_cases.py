"""Campaign use cases: what planning refuses, how the campaign table reads, and the runs
export."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from pimp_tui.errors import PimpError
from pimp_tui.services import campaigns
from pimp_tui.store import campaigns as store
from pimp_tui.store.db import open_store


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "give FEATURE_MODEL or --sample"),
        ({"sample": "1", "feature_model": "m.uvl"}, "give FEATURE_MODEL or --sample"),
        ({"sample": "1", "prompts": 0}, "--prompts and --repetitions must be at least 1"),
        ({"sample": "nothing"}, "no stored sample 'nothing'"),
    ],
)
def test_planning_refuses_with_a_message(tmp_path, fields, message) -> None:
    path = tmp_path / "pimp.db"
    open_store(path).close()
    with pytest.raises(PimpError, match=message):
        campaigns.plan_campaign(campaigns.CampaignRequest(path, **fields))


def test_a_running_campaign_without_its_process_reads_as_interrupted(lengths_db) -> None:
    path, campaign = lengths_db
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    db = open_store(path)
    store.set_status(db, campaign, "running", pid=ended.pid, host=socket.gethostname())
    db.close()
    (row,) = campaigns.campaigns(path)
    assert row["shown_status"] == "interrupted (measure --resume)"
    assert campaigns.campaign(path, campaign)["status"] == "running"


def test_runs_export_has_every_run_and_refuses_an_unknown_campaign(lengths_db) -> None:
    path, campaign = lengths_db
    frame = campaigns.runs_frame(path, campaign)
    assert len(frame) == 2 * 16 * 2
    assert set(frame["status"].to_list()) == {"done"}
    with pytest.raises(PimpError):
        campaigns.runs_frame(path, campaign + 1)


def test_resuming_a_campaign_that_runs_elsewhere_is_refused_as_measure_resume_is(
    lengths_db, capsys
) -> None:
    import os

    from pimp_tui.cli import main

    path, campaign = lengths_db
    db = open_store(path)
    db.execute("UPDATE runs SET status = 'pending' WHERE campaign_id = ? AND position = 0",
               [campaign])  # fmt: skip
    db.conn.commit()
    store.set_status(db, campaign, "running", pid=os.getpid(), host=socket.gethostname())
    db.close()
    busy = (
        f"pimp: campaign {campaign} is running in process {os.getpid()} on {socket.gethostname()}"
    )
    for argv in (["campaign", "resume", str(campaign)], ["measure", "--resume", str(campaign)]):
        assert main(["--db", str(path), *argv]) == 1
        assert capsys.readouterr().err.strip() == busy
