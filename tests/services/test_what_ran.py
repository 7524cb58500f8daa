"""A campaign run with a max_new_tokens override outside the feature model's domain: every
surface shows the length that ran (the Monitor's run line, the runs export, a query's
completed configuration, a recommendation), never the sampled one."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from pimp_tui import paths
from pimp_tui.cli import main
from pimp_tui.measure import campaign as campaigns
from pimp_tui.measure.host import Host, fix_to_host
from pimp_tui.screens.monitor_text import config_summary
from pimp_tui.services.monitor import campaign_state
from pimp_tui.services.predict import predict_partial, recommend_under, train_report
from pimp_tui.store.db import open_store
from pimp_tui.variability.io import load_model, write_uvl
from pimp_tui.variability.reasoning import Reasoner

RAN = 4
"""The override: no value of max_new_tokens's domain (32, 128, 256)."""


def measured(tmp_path: Path) -> tuple[str, int]:
    model = fix_to_host(load_model(paths.HF_GENERATION_MODEL), Host(0))[0]
    reasoner = Reasoner(model)
    configs: list[dict] = []
    seed = 0
    while len(configs) < 5:
        config = reasoner.complete({"Float32": True, "NoQuantization": True}, seed=seed)
        seed += 1
        if config is not None and config not in configs:
            configs.append(config)
    path = tmp_path / "pimp.db"
    db = open_store(path)
    db.execute("INSERT INTO feature_models (name, uvl) VALUES ('hf', ?)", [write_uvl(model)])
    db.execute("INSERT INTO samples (model_id, name, algorithm) VALUES (1, 's', 'random')")
    for position, config in enumerate(configs):
        db.execute("INSERT INTO configurations (sample_id, position, config) VALUES (1, ?, ?)",
                   [position, json.dumps(config)])  # fmt: skip
    db.conn.commit()
    db.conn.close()
    cid = campaigns.create_campaign(
        path, sample_id=1, task="arith", prompts=1, repetitions=1, llm=str(paths.TINY_LLM),
        sensor="estimate", idle_s=0.1, cooldown_s=0.0, warmup=False, max_new_tokens=RAN,
    )  # fmt: skip
    assert campaigns.run_campaign(path, cid) == "done"
    return str(path), cid


def test_every_surface_shows_the_max_new_tokens_that_ran(tmp_path, capsys):
    store, cid = measured(tmp_path)
    # The Monitor's line of each finished run.
    finished = campaign_state(store, cid, 0).finished
    assert len(finished) == 5
    assert all(f"max_new_tokens={RAN} " in config_summary(r["config"], set()) + " "
               for r in finished)  # fmt: skip
    # The runs export.
    assert main(["--db", store, "export", "runs", "--campaign", str(cid), "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert {row["max_new_tokens"] for row in rows} == {str(RAN)}
    # A query's completion and a recommendation, in the CLI ...
    assert main(["--db", store, "predict", "train", "--target", "latency_s", "--learner", "rf",
                 "--name", "lat"]) == 0  # fmt: skip
    capsys.readouterr()
    assert main(["--db", store, "predict", "query", "lat", "GreedySearch=true"]) == 0
    answer = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert answer["configuration"]["max_new_tokens"] == RAN
    assert main(["--db", store, "predict", "recommend", "--minimise", "lat"]) == 0
    best = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert best["configuration"]["max_new_tokens"] == RAN
    # ... and in the Predict pane.
    report = train_report(store, "latency_s", "rf")
    query = predict_partial({"latency_s": report}, "GreedySearch", store)
    assert f"max_new_tokens={RAN}" in query.config_text
    advice = recommend_under({"latency_s": report}, "", store, budget=40)
    assert f"max_new_tokens={RAN}" in advice.config_text
