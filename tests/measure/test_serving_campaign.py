"""A serving campaign on the tiny model: static and continuous batching, offline, burst and
shaped arrivals; per-run latency percentiles and J/request; per-request rows exported."""

from __future__ import annotations

import json

import polars as pl
import pytest

from pimp_tui import paths
from pimp_tui.cli import main
from pimp_tui.errors import PimpError
from pimp_tui.measure import campaign as campaigns
from pimp_tui.measure.host import Host, fix_to_host
from pimp_tui.services.campaigns import requests_frame, runs_frame
from pimp_tui.store.db import open_store
from pimp_tui.variability.io import load_model
from pimp_tui.variability.reasoning import Reasoner

SERVING_MODEL = paths.SAMPLE_MODELS / "hf_serving.uvl"
PARTIALS = [
    {"srv.StaticBatching": True, "srv.Bursts": True, "srv.burst_size": 2,
     "srv.burst_interval_s": 0.5, "gen.batch_size": 2, "gen.GreedySearch": True},
    {"srv.ContinuousBatching": True, "srv.Offline": True, "gen.batch_size": 4,
     "gen.MultinomialSampling": True},
    {"srv.ContinuousBatching": True, "srv.Shaped": True, "srv.shaped_rate": 16.0,
     "srv.group_size": 2, "srv.max_hold_s": 0.5, "gen.batch_size": 2},
]  # fmt: skip


@pytest.fixture
def db_path(tmp_path):
    reasoner = Reasoner(fix_to_host(load_model(SERVING_MODEL), Host(0))[0])
    path = tmp_path / "pimp.db"
    db = open_store(path)
    db.execute("INSERT INTO feature_models (name, uvl) VALUES ('serving', 'features')")
    db.execute("INSERT INTO samples (model_id, name, algorithm) VALUES (1, 's', 'csv')")
    for position, partial in enumerate(PARTIALS):
        config = reasoner.complete(partial, seed=position)
        assert config is not None
        db.execute(
            "INSERT INTO configurations (sample_id, position, config) VALUES (1, ?, ?)",
            [position, json.dumps(config)],
        )
    db.conn.commit()
    db.conn.close()
    return path


def test_serving_campaign_stores_percentiles_and_requests(db_path, tmp_path) -> None:
    cid = campaigns.create_campaign(
        db_path, sample_id=1, task="serving", prompts=4, repetitions=1, llm=str(paths.TINY_LLM),
        max_new_tokens=3, sensor="estimate", idle_s=0.1, cooldown_s=0.0,
    )  # fmt: skip
    assert campaigns.run_campaign(db_path, cid) == "done"
    runs = runs_frame(db_path, cid)
    assert runs["status"].to_list() == ["done"] * 3
    for row in runs.iter_rows(named=True):
        assert row["requests"] == 4
        assert 0 < row["latency_p50_s"] <= row["latency_p90_s"] <= row["latency_p99_s"]
        assert row["energy_per_request_j"] == pytest.approx(row["energy_j"] / 4)
        assert row["energy_net_per_request_j"] == pytest.approx(row["energy_net_j"] / 4)
        assert row["queue_wait_mean_s"] >= 0 and row["requests_per_s"] > 0
    requests = requests_frame(db_path, cid)
    assert len(requests) == 12
    assert (requests["queue_wait_s"] >= 0).all()
    assert (requests["latency_s"] >= requests["ttft_s"]).all()
    assert (requests["release_s"] >= requests["arrival_s"]).all()
    assert set(requests["output_tokens"]) <= {1, 2, 3}
    # the shaped run's requests waited at least their hold
    shaped = runs.filter(pl.col("srv.Shaped") == True)["run_id"].to_list()  # noqa: E712
    held = requests.filter(pl.col("run_id").is_in(shaped))
    assert ((held["queue_wait_s"] - (held["release_s"] - held["arrival_s"])) >= -1e-9).all()

    out = tmp_path / "requests.csv"
    assert main(["--db", str(db_path), "export", "requests", "--campaign", str(cid),
                 "--out", str(out)]) == 0  # fmt: skip
    exported = pl.read_csv(out)
    assert len(exported) == 12 and "ttft_s" in exported.columns


def test_duration_and_requests_only_for_serving(db_path) -> None:
    with pytest.raises(PimpError, match="--duration"):
        campaigns.create_campaign(db_path, sample_id=1, task="arith", prompts=2,
                                  llm=str(paths.TINY_LLM), duration_s=5.0)  # fmt: skip
    with pytest.raises(PimpError, match="serving stream"):
        campaigns.create_campaign(db_path, sample_id=1, task="serving:serving", prompts=2,
                                  llm=str(paths.TINY_LLM))  # fmt: skip


def test_a_workload_trace_gives_prompts_and_arrivals(tmp_path) -> None:
    reasoner = Reasoner(fix_to_host(load_model(SERVING_MODEL), Host(0))[0])
    config = reasoner.complete({**PARTIALS[0], "srv.StaticBatching": True}, seed=0)
    path = tmp_path / "pimp.db"
    db = open_store(path)
    db.execute("INSERT INTO feature_models (name, uvl) VALUES ('serving', 'features')")
    db.execute("INSERT INTO samples (model_id, name, algorithm) VALUES (1, 's', 'csv')")
    db.execute("INSERT INTO configurations (sample_id, position, config) VALUES (1, 0, ?)",
               [json.dumps(config)])  # fmt: skip
    db.execute("INSERT INTO workloads (name, requests) VALUES ('trace', 3)")
    db.conn.executemany(
        "INSERT INTO workload_requests VALUES (1, ?, ?, ?, ?)",
        [(0, 12, 5, 100.0), (1, 7, 5, 100.2), (2, 20, 5, 100.5)],
    )
    db.conn.commit()
    db.conn.close()
    with pytest.raises(PimpError, match="no workload"):
        campaigns.create_campaign(path, sample_id=1, task="serving:workload:other", prompts=3,
                                  llm=str(paths.TINY_LLM))  # fmt: skip
    cid = campaigns.create_campaign(
        path, sample_id=1, task="serving:workload:trace", prompts=3, repetitions=1,
        llm=str(paths.TINY_LLM), max_new_tokens=2, sensor="estimate", idle_s=0.1, cooldown_s=0.0,
    )  # fmt: skip
    assert campaigns.run_campaign(path, cid) == "done"
    requests = requests_frame(path, cid).sort("position")
    # the trace's timestamps are the arrivals (the configuration's bursts are not used)
    assert requests["arrival_s"].to_list() == pytest.approx([0.0, 0.2, 0.5])
    assert requests["input_tokens"].to_list() == [12, 7, 20]
