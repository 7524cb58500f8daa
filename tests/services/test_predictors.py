"""The predictors and datasets use cases, called directly: the CLI and the Predict pane learn
from the same rows and give the same scores and predictions; runs of different models are
never averaged together; configuration text has one grammar."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pimp_tui.cli import main
from pimp_tui.errors import PimpError
from pimp_tui.services.datasets import DatasetRequest, load_dataset
from pimp_tui.services.predict import predict_partial, train_report
from pimp_tui.services.predictors import QueryRequest, TrainRequest, query, train
from pimp_tui.store import campaigns
from pimp_tui.store.db import open_store
from tests.tui.conftest import SMALL_MODEL
from tests.tui.seed_data import measured_store


@pytest.fixture
def store(tmp_path: Path) -> str:
    path = tmp_path / "pimp.db"
    measured_store(path, SMALL_MODEL)
    return str(path)


def test_cli_and_predict_pane_train_the_same_learner_to_the_same_scores_and_predictions(
    store, capsys
):
    assert main(["--db", store, "predict", "train", "--target", "energy_j", "--learner", "rf",
                 "--name", "e"]) == 0  # fmt: skip
    cli = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    pane = train_report(store, "energy_j", "rf")
    assert cli["n"] == pane.n == 14
    assert cli["r2"] == round(pane.r2, 4) and cli["mae"] == round(pane.mae, 4)
    assert main(["--db", store, "predict", "query", "e", "Sampling", "top_k=50"]) == 0
    answer = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    mean, _ = pane.predict(answer["configuration"])
    assert answer["prediction"] == pytest.approx(mean, rel=1e-9)
    # The pane's own query completes the same text to the same configuration.
    shown = predict_partial({"energy_j": pane}, "Sampling, top_k = 50", store)
    assert shown.rows[0][1] == pytest.approx(mean, rel=1e-9)


def test_train_and_query_use_cases_return_typed_results(store):
    result = train(TrainRequest(store, "accuracy", "rf", name="acc"))
    assert (result.name, result.n) == ("acc", 14) and result.notes == []
    assert 0.0 <= query(QueryRequest(store, "acc", ("Greedy=yes",))).prediction <= 1.0
    with pytest.raises(PimpError, match="unknown feature 'Turbo'"):
        query(QueryRequest(store, "acc", ("Turbo",)))


def _second_model_runs(store: str, llm: str) -> None:
    """Copy every finished run into a campaign of another model, at three times the energy."""
    db = open_store(store)
    try:
        cid = campaigns.create_campaign(
            db, sample_id=1, task="arith", prompts=2, repetitions=1, llm=llm, sensor="estimate"
        )
        for run in campaigns.pending_runs(db, cid):
            energy = db.execute(
                "SELECT AVG(energy_j) FROM runs WHERE configuration_id = ? AND status = 'done'",
                [run["configuration_id"]],
            ).fetchone()[0]
            context = {"llm": llm, "task": "arith", "device": "cpu", "hardware": "test cpu"}
            campaigns.start_run(db, cid, run["id"], effective=run["config"], context=context)
            campaigns.finish_run(db, run["id"], "done", {"energy_j": 3 * energy})
    finally:
        db.close()


def test_runs_of_different_models_are_never_averaged_together(store):
    alone = load_dataset(store)
    _second_model_runs(store, "bigger")
    newest = load_dataset(store)
    assert len(newest.configs) == len(alone.configs) and newest.note
    assert "bigger" in newest.note
    alone_energy = sorted(alone.targets["energy_j"])
    assert sorted(newest.targets["energy_j"]) == pytest.approx([3 * v for v in alone_energy])
    chosen = load_dataset(store, DatasetRequest(llm="smollm2"))
    assert sorted(chosen.targets["energy_j"]) == pytest.approx(alone_energy)
    mixed = load_dataset(store, DatasetRequest(mix=True))
    assert len(mixed.configs) == 2 * len(alone.configs) and "llm" in mixed.features
    assert {c["llm"] for c in mixed.configs} == {"smollm2", "bigger"}
    assert DatasetRequest.from_source(DatasetRequest(llm="x", mix=True).source()) == (
        DatasetRequest(llm="x", mix=True)
    )  # fmt: skip


def test_a_value_outside_the_domain_is_answered_with_a_warning_that_it_extrapolates(store, capsys):
    assert main(["--db", store, "predict", "train", "--target", "energy_j", "--learner", "rf",
                 "--name", "e"]) == 0  # fmt: skip
    capsys.readouterr()
    assert main(["--db", store, "predict", "query", "e", "Sampling", "top_k=99"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out.strip().splitlines()[-1])["configuration"]["top_k"] == 99
    assert "pimp: warning: top_k=99 is outside the feature model's domain (10, 50)" in err
    assert main(["--db", store, "predict", "query", "e", "Sampling", "top_k=50"]) == 0
    assert "outside" not in capsys.readouterr().err
    pane = train_report(store, "energy_j", "rf")
    shown = predict_partial({"energy_j": pane}, "Sampling, top_k = 99", store)
    assert shown.warnings[0].startswith("top_k=99 is outside the feature model's domain")
