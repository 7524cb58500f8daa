"""`recommend` returns only valid configurations that honour the fixed settings and the
constraints, found exhaustively or by SAT-guided local search."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pimp_tui.predict.encoding import Encoder
from pimp_tui.predict.recommend import Constraint, recommend
from pimp_tui.variability.io import parse_uvl
from pimp_tui.variability.reasoning import Reasoner

UVL = """features
    Server
        mandatory
            Cache
                alternative
                    NoCache
                    Lru
                    Arc
        optional
            Compress
            Encrypt
            Log
            Integer threads {values [1, 2, 4, 8]}
constraints
    Encrypt => Compress
    Arc => !Log
    threads > 2 => Lru
"""
MODEL = parse_uvl(UVL)
ENCODER = Encoder.from_model(MODEL)
REASONER = Reasoner(MODEL)


def _scorers(weights: list[float]):
    w = np.asarray(weights[: len(ENCODER.columns)])
    return {
        "cost": lambda cs: ENCODER.encode(cs) @ w,
        "quality": lambda cs: ENCODER.encode(cs) @ np.abs(w),
    }


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    weights=st.lists(st.floats(-5, 5), min_size=12, max_size=12),
    floor=st.floats(0, 10),
    exhaustive=st.booleans(),
    fix_compress=st.sampled_from([None, True, False]),
    seed=st.integers(0, 1000),
)
def test_recommend_never_returns_an_invalid_configuration(
    weights, floor, exhaustive, fix_compress, seed
) -> None:
    fixed = {} if fix_compress is None else {"Compress": fix_compress}
    result = recommend(
        MODEL, _scorers(weights), "cost", [Constraint("quality", ">=", floor)], fixed,
        seed=seed, budget=200, exhaustive_limit=10_000 if exhaustive else 0,
    )  # fmt: skip
    if result is None:
        return
    assert REASONER.is_valid(result.config)
    assert all(result.config[k] == v for k, v in fixed.items())
    assert result.predicted["quality"] >= floor


def test_exhaustive_search_finds_the_true_optimum() -> None:
    weights = [0.0] * 12
    columns = ENCODER.columns
    weights[columns.index("threads")] = -1.0  # more threads is cheaper...
    weights[columns.index("Cache.alternative=Lru")] = 0.5  # ...but forces Lru
    result = recommend(MODEL, _scorers(weights), "cost", exhaustive_limit=10_000)
    assert result is not None and result.method == "exhaustive"
    assert result.config["threads"] == 8 and result.config["Lru"] is True
    assert result.predicted["cost"] == -7.5


def test_parse_constraint() -> None:
    assert Constraint.parse("accuracy>=0.7") == Constraint("accuracy", ">=", 0.7)
    assert Constraint.parse("energy_j < 3") == Constraint("energy_j", "<", 3.0)
