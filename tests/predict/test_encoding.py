"""Encoding configurations and CSV rows as numeric columns."""

from __future__ import annotations

from pathlib import Path

import pytest

from pimp_tui.errors import PimpError
from pimp_tui.predict.encoding import Encoder, read_csv
from pimp_tui.variability.io import parse_uvl

UVL = """features
    Server
        mandatory
            Cache
                alternative
                    NoCache
                    Lru
        optional
            Compress
            Integer threads {values [1, 2, 4]}
"""


def test_alternative_group_is_one_categorical_column_set_to_the_chosen_child() -> None:
    encoder = Encoder.from_model(parse_uvl(UVL))
    assert encoder.kinds["Cache.alternative"] == "categorical"
    assert encoder.kinds["threads"] == "numeric"
    config = {"Server": True, "Cache": True, "NoCache": False, "Lru": True, "Compress": False,
              "threads": 4}  # fmt: skip
    row = dict(zip(encoder.columns, encoder.row(config), strict=True))
    assert row["Cache.alternative=Lru"] == 1.0 and row["Cache.alternative=NoCache"] == 0.0
    assert row["threads"] == 4.0 and row["Compress"] == 0.0
    assert encoder.row({**config, "threads": None})[encoder.columns.index("threads")] == 0.0


def test_csv_numeric_and_categorical_columns_are_detected_and_stated(tmp_path: Path) -> None:
    path = tmp_path / "runs.csv"
    path.write_text("cache,threads,time\nlru,1,3.5\nnone,2,2.0\nlru,4,1.0\n")
    table = read_csv(path)
    assert table.target == "time"
    assert table.encoder.kinds == {"cache": "categorical", "threads": "numeric"}
    assert table.encoder.columns == ["cache=lru", "cache=none", "threads"]
    assert table.x.tolist()[1] == [0.0, 1.0, 2.0]
    assert "categorical (one-hot): cache" in table.describe()


def test_settings_typed_by_hand_are_checked_against_the_layout() -> None:
    encoder = Encoder(["cache", "threads"], {"cache": "categorical", "threads": "numeric"},
                      {"cache": ["lru", "none"]})  # fmt: skip
    encoder.check({"cache": "lru", "threads": 4})
    encoder.check({"cache": None, "threads": True})  # unset, and a Boolean taken as 1
    for settings, message in (
        ({"nope": 1}, "unknown option(s) nope: the options are cache, threads"),
        ({"threads": "fast"}, "threads=fast: numeric option, needs a finite number"),
        ({"threads": float("nan")}, "threads=nan: numeric option, needs a finite number"),
        ({"threads": float("inf")}, "threads=inf: numeric option, needs a finite number"),
        ({"cache": "fifo"}, "cache=fifo: not a level seen in training (lru, none)"),
    ):
        with pytest.raises(PimpError) as error:
            encoder.check(settings)
        assert str(error.value) == message


def test_query_of_a_csv_predictor_refuses_settings_it_cannot_encode(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    from pimp_tui.cli import main

    csv, db = tmp_path / "runs.csv", str(tmp_path / "p.db")
    csv.write_text("cache,threads,time\nlru,1,3.5\nnone,2,2.0\nlru,4,1.0\nnone,4,1.5\nlru,2,2.2\n")
    assert main(["--db", db, "predict", "train", "--csv", str(csv), "--target", "time",
                 "--learner", "lasso"]) == 0  # fmt: skip
    capsys.readouterr()
    for setting in ("threads=fast", "threads=nan", "cache=fifo", "colour=red"):
        assert main(["--db", db, "predict", "query", "time", setting]) == 2
        captured = capsys.readouterr()
        assert captured.out == "" and captured.err.count("\n") == 1
        assert setting.partition("=")[0] in captured.err
