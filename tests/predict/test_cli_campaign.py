"""`pimp predict train|score|query|recommend|next|pareto|energy` over measured runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pimp_tui.cli import main
from pimp_tui.sampling import sample
from pimp_tui.store.db import open_store
from pimp_tui.store.samples import save_model, save_sample
from pimp_tui.variability.io import parse_uvl
from pimp_tui.variability.reasoning import Reasoner

UVL = """features
    Server
        mandatory
            Cache
                alternative
                    NoCache
                    Lru
        optional
            Compress
            Encrypt
            Integer threads {values [1, 2, 4]}
constraints
    Encrypt => Compress
"""


def _energy(config: dict) -> float:
    threads = config["threads"] or 1
    return 10.0 * (1.5 if config["Compress"] else 1.0) * (1.2 if config["Encrypt"] else 1.0) / (
        threads**0.5
    ) + (2.0 if config["Lru"] else 0.0)


@pytest.fixture()
def store(tmp_path: Path) -> str:
    path = str(tmp_path / "pimp.db")
    model = parse_uvl(UVL)
    configs = sample(model, "all")
    db = open_store(path)
    model_id = save_model(db, model, "server")
    sample_id = save_sample(db, model_id, "all", "all", {}, configs, None)
    with db.conn:
        db.conn.execute(
            "INSERT INTO campaigns (id, sample_id, task, prompts, repetitions, llm, status) "
            "VALUES (1, ?, 'arith', 1, 2, 'tiny', 'done')",
            [sample_id],
        )
        ids = [r["id"] for r in db.query("SELECT id FROM configurations ORDER BY position")]
        position = 0
        for config_id, config in zip(ids, configs, strict=True):
            for rep in range(2):
                e = _energy(config) * (1.0 + 0.01 * rep)
                db.conn.execute(
                    "INSERT INTO runs (campaign_id, configuration_id, repetition, position, "
                    "status, energy_j, accuracy, input_tokens, output_tokens) "
                    "VALUES (1, ?, ?, ?, 'done', ?, ?, ?, ?)",
                    [config_id, rep, position, e, 0.5 + 0.1 * (config["threads"] or 1) / 4,
                     16 * (1 + position % 4), 8 * (1 + position % 3)],
                )  # fmt: skip
                position += 1
    db.close()
    return path


def _json_lines(capsys) -> list[dict]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]


def test_train_query_recommend_next(store: str, capsys: pytest.CaptureFixture) -> None:
    assert main(["--db", store, "predict", "train", "--target", "energy_j",
                 "--learner", "gbm", "--name", "energy"]) == 0  # fmt: skip
    trained = _json_lines(capsys)[-1]
    assert trained["predictor"] == "energy" and trained["n"] == len(sample(parse_uvl(UVL), "all"))
    assert main(["--db", store, "predict", "train", "--target", "accuracy",
                 "--learner", "gbm"]) == 0  # fmt: skip
    capsys.readouterr()

    assert main(["--db", store, "predict", "query", "energy", "Encrypt=true", "threads=4"]) == 0
    answer = _json_lines(capsys)[-1]
    assert answer["configuration"]["Compress"] is True  # completed by the reasoner
    low, high = answer["interval95"]
    assert low <= answer["prediction"] <= high

    assert main(["--db", store, "predict", "recommend", "--minimise", "energy",
                 "--constraint", "accuracy>=0.55"]) == 0  # fmt: skip
    best = _json_lines(capsys)[-1]
    assert Reasoner(parse_uvl(UVL)).is_valid(best["configuration"])
    assert best["predicted"]["accuracy"] >= 0.55

    assert main(["--db", store, "predict", "score", "energy", "--repeats", "2",
                 "--explain"]) == 0  # fmt: skip
    scored = _json_lines(capsys)[-1]
    assert {"cv", "holdout", "curve", "importance", "interactions"} <= set(scored)
    assert {"r2", "mae", "mape", "coverage68", "coverage95"} <= set(scored["cv"])
    assert scored["trustworthy"] is True


def test_pareto_and_energy_model(store: str, capsys: pytest.CaptureFixture) -> None:
    assert main(["--db", store, "predict", "pareto", "--targets", "energy_j,accuracy",
                 "--maximise", "accuracy"]) == 0  # fmt: skip
    front = _json_lines(capsys)
    assert front and all({"energy_j", "accuracy", "configuration"} <= set(p) for p in front)
    assert main(["--db", store, "predict", "energy", "--target", "energy_j"]) == 0
    fitted = _json_lines(capsys)[-1]
    assert set(fitted["theta"]) == {"n_in^2", "n_in*n_out", "n_in", "n_out^2", "1"}
    assert fitted["sweet_spots"]


def test_unknown_predictor_is_a_user_error(store: str, capsys: pytest.CaptureFixture) -> None:
    assert main(["--db", store, "predict", "query", "nothing"]) == 2
    assert "no predictor 'nothing'" in capsys.readouterr().err


def test_a_predictor_of_noise_is_flagged_and_recommend_warns_first(
    store: str, capsys: pytest.CaptureFixture
) -> None:
    import random

    noise = random.Random(3)
    db = open_store(store)
    with db.conn:
        for (run_id,) in db.conn.execute("SELECT id FROM runs").fetchall():
            db.conn.execute("UPDATE runs SET energy_j = ? WHERE id = ?",
                            [noise.uniform(1.0, 2.0), run_id])  # fmt: skip
    db.close()
    assert main(["--db", store, "predict", "train", "--target", "energy_j",
                 "--learner", "gbm", "--name", "energy"]) == 0  # fmt: skip
    out = capsys.readouterr()
    assert _json_lines_of(out.out)[-1]["trustworthy"] is False
    assert "not trustworthy" in out.err and "cross-validating" in out.err  # progress, warning
    assert main(["--db", store, "predict", "query", "energy", "threads=4"]) == 0
    out = capsys.readouterr()
    assert _json_lines_of(out.out)[-1]["trustworthy"] is False and "not trustworthy" in out.err
    assert main(["--db", store, "predict", "recommend", "--minimise", "energy"]) == 0
    out = capsys.readouterr()
    best = _json_lines_of(out.out)[-1]
    assert "not trustworthy" in best["warnings"][0]
    assert out.err.index("not trustworthy") < out.err.index("searching valid configurations")
    low, high = best["interval68"]["energy"]
    assert low <= best["predicted"]["energy"] <= high
    assert 0 <= best["measured_within"]["energy"] <= len(sample(parse_uvl(UVL), "all"))


def _json_lines_of(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]
