"""Encoding configurations and CSV rows as numeric columns."""

from __future__ import annotations

from pathlib import Path

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
