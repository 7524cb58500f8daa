"""What the Monitor reads of a campaign on a Ray cluster: every slot, grouped by node, with its
run in flight and latest power; and the executor a campaign keeps for its resumes."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from pimp_tui import paths
from pimp_tui.errors import PimpError
from pimp_tui.measure.executors import ExecutorSpec
from pimp_tui.services.cluster import executor_spec, set_campaign_executor
from pimp_tui.services.monitor import campaign_state, slot_lines
from pimp_tui.store import campaigns, samples, slots
from pimp_tui.store.db import open_store
from pimp_tui.variability.io import load_model


def a_campaign(db_path) -> int:
    db = open_store(db_path)
    try:
        model_id = samples.save_model(db, load_model(paths.HF_GENERATION_MODEL))
        sample_id = samples.save_sample(db, model_id, "one", "csv", {}, [{"CPU": True}], None)
        return campaigns.create_campaign(db, sample_id=sample_id, task="arith", prompts=1,
                                         repetitions=2, llm="smollm2")  # fmt: skip
    finally:
        db.conn.close()


def test_the_monitor_shows_every_slot_grouped_by_node(tmp_path):
    db_path = tmp_path / "pimp.db"
    campaign_id = a_campaign(db_path)
    db = open_store(db_path)
    try:
        campaigns.set_status(db, campaign_id, "running")  # this process: alive
        slots.save_slot(db, campaign_id, "b/gpu0", node="b", state="running", run_id=2)
        slots.save_slot(db, campaign_id, "a/gpu1", node="a", state="idle")
        slots.save_slot(db, campaign_id, "a/gpu0", node="a", state="running", run_id=1)
        now = time.time()
        slots.add_slot_power(db, campaign_id, [(now - 1, 0, 50.0, "a/gpu0"),
                                               (now, 0, 250.0, "a/gpu0"),
                                               (now, 1, 60.0, "b/gpu0")])  # fmt: skip
    finally:
        db.conn.close()
    state = campaign_state(db_path, campaign_id, 0)
    assert [s["slot"] for s in state.slots] == ["a/gpu0", "a/gpu1", "b/gpu0"]
    assert slot_lines(state.slots) == ["a: gpu0 run 1 250 W · gpu1 idle", "b: gpu0 run 2 60 W"]


def test_a_campaign_keeps_its_executor_for_resumes(tmp_path):
    db_path = tmp_path / "pimp.db"
    campaign_id = a_campaign(db_path)
    spec = ExecutorSpec("ray", address="auto", gpus_per_run=2)
    set_campaign_executor(db_path, campaign_id, spec)
    db = open_store(db_path)
    try:
        stored = campaigns.get_campaign(db, campaign_id)["params"]
    finally:
        db.conn.close()
    assert ExecutorSpec.from_params(stored) == spec
    assert ExecutorSpec.from_params({}) == ExecutorSpec("local")


def test_ray_options_without_the_ray_executor_are_refused():
    with pytest.raises(PimpError, match="need --executor ray"):
        executor_spec("local", address="10.0.0.1:6379")
    with pytest.raises(PimpError, match="--gpus-per-run"):
        executor_spec("ray", gpus_per_run=-1)


def test_without_ray_the_ray_executor_names_the_extra_that_installs_it(tmp_path, monkeypatch,
                                                                      capsys):  # fmt: skip
    import sys

    from pimp_tui.cli import main

    monkeypatch.setitem(sys.modules, "ray", None)  # import ray fails
    args = ["--db", str(tmp_path / "pimp.db"), "measure", "--sample", "1", "--executor", "ray"]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert "pip install 'pimp-tui[ray]'" in err and "\n" not in err and "Traceback" not in err


def test_predictors_learn_from_one_hardware_or_from_all_with_hardware_as_a_feature(tmp_path):
    from pimp_tui.services.datasets import DatasetRequest, load_dataset
    from tests.tui.conftest import SMALL_MODEL
    from tests.tui.seed_data import measured_store

    store = str(tmp_path / "pimp.db")
    measured_store(Path(store), SMALL_MODEL)
    alone = load_dataset(store)
    db = open_store(store)
    try:  # the same runs again on other hardware, at twice the energy
        llm = alone.contexts[0]["llm"]
        cid = campaigns.create_campaign(db, sample_id=1, task="arith", prompts=2, repetitions=1,
                                        llm=llm, sensor="estimate")  # fmt: skip
        for run in campaigns.pending_runs(db, cid):
            energy = db.execute(
                "SELECT AVG(energy_j) FROM runs WHERE configuration_id = ? AND status = 'done'",
                [run["configuration_id"]],
            ).fetchone()[0]
            context = {**alone.contexts[0], "hardware": "NVIDIA A100-SXM4-80GB"}
            campaigns.start_run(db, cid, run["id"], effective=run["config"], context=context)
            campaigns.finish_run(db, run["id"], "done", {"energy_j": 2 * energy, "slot": "n/gpu0"})
    finally:
        db.close()
    before = sorted(alone.targets["energy_j"])
    old = load_dataset(store, DatasetRequest(hardware=alone.contexts[0]["hardware"]))
    assert sorted(old.targets["energy_j"]) == pytest.approx(before)
    new = load_dataset(store, DatasetRequest(hardware="NVIDIA A100-SXM4-80GB"))
    assert sorted(new.targets["energy_j"]) == pytest.approx([2 * v for v in before])
    mixed = load_dataset(store, DatasetRequest(mix=True))
    assert "hardware" in mixed.features and len(mixed.configs) == 2 * len(alone.configs)
    request = DatasetRequest(hardware="NVIDIA A100-SXM4-80GB")
    assert DatasetRequest.from_source(request.source()) == request
