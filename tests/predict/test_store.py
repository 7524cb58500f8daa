"""Fitted predictors and scores survive a round trip through the store."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pimp_tui.predict.encoding import Encoder
from pimp_tui.predict.learners import make_learner
from pimp_tui.predict.saved import load_predictor, save_predictor
from pimp_tui.store.db import open_store
from pimp_tui.store.predictors import list_predictors, save_score, scores_of


def test_predictor_round_trip(tmp_path: Path) -> None:
    db = open_store(tmp_path / "p.db")
    x = np.random.default_rng(0).integers(0, 2, (20, 3)).astype(float)
    y = 1 + x @ [1.0, 2.0, 3.0]
    fitted = make_learner("gbm", 0).fit(x, y)
    encoder = Encoder(["a", "b", "c"], {"a": "boolean", "b": "boolean", "c": "boolean"})
    pid = save_predictor(
        db, name="energy", target="energy_j", learner="gbm", seed=0, source="x.csv",
        encoder=encoder, fitted=fitted, n_train=20,
    )  # fmt: skip
    save_score(db, pid, "cv", {"mape": 1.5})
    meta, again, enc = load_predictor(db, "energy")
    assert meta["n_train"] == 20 and enc.columns == ["a", "b", "c"]
    assert np.array_equal(again.predict(x), fitted.predict(x))
    assert scores_of(db, pid)[0]["metrics"] == {"mape": 1.5}
    assert [p["name"] for p in list_predictors(db)] == ["energy"]
