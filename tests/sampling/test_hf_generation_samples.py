"""Samples of the shipped generation-settings model must run: every configuration passes the
reasoner and transformers' own `GenerationConfig.validate(strict=True)`."""

from __future__ import annotations

import pytest

from pimp_tui.measure.settings import generation_settings
from pimp_tui.paths import HF_GENERATION_MODEL
from pimp_tui.sampling import sample
from pimp_tui.variability.io import load_model
from pimp_tui.variability.reasoning import Reasoner


@pytest.mark.parametrize(
    ("algorithm", "options"),
    [
        ("twise", {"t": 2, "iterations": 2}),
        ("uniform", {"size": 15}),
        ("distance", {"size": 15}),
        ("diversified-distance", {"size": 15}),
    ],
)
def test_samples_of_hf_generation_are_valid_for_transformers(algorithm, options):
    from transformers import GenerationConfig

    model = load_model(HF_GENERATION_MODEL)
    configs = sample(model, algorithm, seed=4, **options)
    reasoner = Reasoner(model)
    assert configs
    for config in configs:
        assert reasoner.violations(config) == []
        settings = generation_settings(config)
        GenerationConfig(**settings.generate_kwargs).validate(strict=True)
