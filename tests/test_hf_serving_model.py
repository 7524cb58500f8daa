"""sample_models/hf_serving.uvl: the generation settings imported under `gen`, the Serving part,
and the constraints that keep continuous batching to what transformers runs."""

from __future__ import annotations

import pytest

from pimp_tui import paths
from pimp_tui.measure.host import Host, fix_to_host, host_fixes
from pimp_tui.measure.serving.arrivals import serving_settings
from pimp_tui.measure.settings import generation_settings
from pimp_tui.variability.io import load_model
from pimp_tui.variability.reasoning import Reasoner

MODEL = paths.SAMPLE_MODELS / "hf_serving.uvl"


@pytest.fixture(scope="module")
def reasoner() -> Reasoner:
    return Reasoner(fix_to_host(load_model(MODEL), Host(0))[0])


def test_the_host_fixes_the_imported_device_part() -> None:
    model = load_model(MODEL)
    assert [f.constraint for f in host_fixes(model, Host(0))] == ["!gen.CUDA"]
    assert [f.constraint for f in host_fixes(model, Host(2))] == ["!gen.CPU", "gen.gpus <= 2"]


@pytest.mark.parametrize(
    "partial",
    [
        {"gen.BeamSearch": True},
        {"gen.PromptLookupGreedy": True},
        {"gen.StaticCache": True},
        {"gen.repetition_penalty": 1.3},
        {"gen.Int8WeightOnly": True},
    ],
)
def test_continuous_batching_excludes_what_it_cannot_run(reasoner, partial) -> None:
    assert reasoner.complete({**partial, "srv.ContinuousBatching": True}, seed=0) is None
    assert reasoner.complete({**partial, "srv.StaticBatching": True}, seed=0) is not None


def test_a_composed_configuration_maps_to_generate_arguments(reasoner) -> None:
    config = reasoner.complete(
        {"srv.ContinuousBatching": True, "gen.MultinomialSampling": True, "gen.top_k": 20,
         "gen.batch_size": 4, "srv.Poisson": True, "srv.arrival_rate": 4.0},
        seed=1,
    )  # fmt: skip
    assert config is not None
    settings = generation_settings({**config, "max_new_tokens": 8})
    assert settings.generate_kwargs["do_sample"] is True
    assert settings.generate_kwargs["top_k"] == 20
    assert settings.generate_kwargs["max_new_tokens"] == 8  # a run's override wins
    assert settings.batch_size == 4 and settings.device == "cpu"
    serving = serving_settings(config)
    assert (serving.batching, serving.arrival, serving.rate) == ("continuous", "poisson", 4.0)
