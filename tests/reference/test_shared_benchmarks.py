"""Extra cases on published reference data (../shared/benchmarks), collected only where it is
present (tests/conftest.py). Each repeats, on real-world files, a check that tests elsewhere make on
shipped data: they compare with published figures, they are never the only test of a feature."""

from __future__ import annotations

from pathlib import Path

import pytest

from pimp_tui.errors import ModelSyntaxError
from pimp_tui.predict.encoding import read_training_index
from pimp_tui.sampling import sample
from pimp_tui.sampling.coverage import coverage
from pimp_tui.variability.io import (
    load_model,
    parse_featureide,
    parse_uvl,
    write_featureide,
    write_uvl,
)
from pimp_tui.variability.reasoning import Reasoner
from tests.conftest import SHARED_BENCHMARKS

MODELS = SHARED_BENCHMARKS / "featuremodels"
CONFORMANCE = MODELS / "uvl-conformance"
PERF = SHARED_BENCHMARKS / "perf"

if not SHARED_BENCHMARKS.is_dir():
    raise pytest.UsageError(
        f"tests/reference needs the reference data at {SHARED_BENCHMARKS} "
        "(set PIMP_SHARED_BENCHMARKS to where it is)"
    )


@pytest.mark.parametrize(
    ("name", "count"),
    [("toybox.uvl", 2_043), ("toybox.xml", 2_043), ("berkeleydb.uvl", 4_080_389_785)],
)
def test_counts_match_the_published_ones(name: str, count: int) -> None:
    """Counts from an independent BDD counter (benchmarks README)."""
    assert Reasoner(load_model(MODELS / name)).count() == count


@pytest.mark.parametrize(
    "path",
    sorted(
        p for p in MODELS.rglob("*") if p.suffix in (".uvl", ".xml") and "faulty" not in p.parts
    ),
    ids=lambda p: p.name,
)
def test_published_models_survive_every_round_trip(path: Path) -> None:
    model = load_model(path)
    assert parse_uvl(write_uvl(model)) == model
    assert parse_featureide(write_featureide(model)) == model


@pytest.mark.parametrize(
    "path", sorted((CONFORMANCE / "faulty").glob("*.uvl")), ids=lambda p: p.name
)
def test_faulty_conformance_files_are_refused_at_a_position(path: Path) -> None:
    with pytest.raises(ModelSyntaxError) as info:
        load_model(path)
    assert info.value.line >= 1 and info.value.col >= 1


def test_toybox_pairwise_sample_is_no_larger_than_yasas() -> None:
    """YASA, the strongest published heuristic, needs 10 configurations on toybox."""
    model = load_model(MODELS / "toybox.uvl")
    configs = sample(model, "twise", t=2, seed=0, time_budget=1.0)
    assert not coverage(model, configs, 2).missing
    assert len(configs) < 10


def test_deepperf_training_index_of_apache() -> None:
    splits = read_training_index(PERF / "Apache_training_index.csv", 18)
    assert len(splits) == 30 and all(len(set(s)) == 18 and s.max() < 192 for s in splits)
