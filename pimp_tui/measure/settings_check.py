"""Does a configuration's settings really run? `GenerationConfig.validate(strict=True)` then a
batched, left-padded `generate()` on a small local model (the tiny test LM by default).

Used by the test and the benchmark that hold hf_generation.uvl to its promise: every valid
configuration runs. torch and transformers are imported on first use.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pimp_tui.measure.settings import (
    GenerationSettings,
    effective_configuration,
    generation_settings,
    load_key,
)
from pimp_tui.paths import TINY_LLM
from pimp_tui.variability.model import Value

PROMPTS = (
    "Question: What is 12 plus 30? Answer:",
    "Hi",
    "a b c a b c a b",
    "The quick brown fox jumps over the lazy dog. The quick brown",
    "7 times 8 is",
    "user: Solve 100 - 1. assistant: 100 - 1 =",
    "x",
    "Natalia sold clips to 48 of her friends in April",
)
"""Prompts of different lengths (so a batch is padded) with repeats (so prompt lookup finds
candidates); a batch of n takes the first n, cycling."""

EXPECTED_MODES = {
    "GreedySearch": "greedy_search",
    "MultinomialSampling": "sample",
    "BeamSearch": "beam_search",
    "BeamSearchMultinomialSampling": "beam_sample",
    "PromptLookupGreedy": "assisted_generation",
    "PromptLookupSampling": "assisted_generation",
}
"""The generation mode transformers must pick for each decoding-strategy feature."""


class _Collect(logging.Handler):
    """Keeps transformers' warnings: a setting it warns about is ignored or misused."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


class SettingsCheck:
    """Runs settings on one local model on the CPU; models are cached per load-time key (a
    quantized model is quantized once)."""

    def __init__(self, model_dir: str | Path = TINY_LLM, prompts: Sequence[str] = PROMPTS) -> None:
        from transformers import AutoTokenizer

        self.model_dir = str(model_dir)
        self.prompts = list(prompts)
        self.tokenizer = AutoTokenizer.from_pretrained(self.model_dir, padding_side="left")
        self._models: dict[tuple, Any] = {}

    def model(self, settings: GenerationSettings) -> Any:
        key = load_key(settings)
        if key not in self._models:
            from transformers import AutoModelForCausalLM

            from pimp_tui.measure.llm import load_arguments

            kwargs = load_arguments(settings.load_kwargs, "cpu", settings.device, settings.gpus)
            self._models[key] = AutoModelForCausalLM.from_pretrained(
                self.model_dir, **kwargs
            ).eval()
        return self._models[key]

    def validate(self, settings: GenerationSettings) -> str | None:
        """None when the generate() kwargs pass `validate(strict=True)`, else the error."""
        from transformers import GenerationConfig

        try:
            GenerationConfig(**settings.generate_kwargs).validate(strict=True)
        except ValueError as exc:
            return f"validate(strict=True): {exc}"
        return None

    @staticmethod
    def settings_for(
        config: Mapping[str, Value | None], *, max_new_tokens: int | None = None
    ) -> GenerationSettings:
        """The settings a configuration runs with, mapped the way a campaign maps them;
        `max_new_tokens` overrides the configuration's own (to keep long checks short)."""
        return generation_settings(effective_configuration(config, max_new_tokens=max_new_tokens))

    def generate(self, settings: GenerationSettings, *, seed: int = 0) -> str | None:
        """None when generate() runs the settings without error or warning and returns
        batch_size sequences of at most max_new_tokens new tokens; else what went wrong."""
        import torch

        kwargs = settings.generate_kwargs
        batch = [self.prompts[i % len(self.prompts)] for i in range(settings.batch_size)]
        collect = _Collect()
        logger = logging.getLogger("transformers")
        logger.addHandler(collect)
        try:
            model = self.model(settings)
            inputs = self.tokenizer(batch, return_tensors="pt", padding=True)
            torch.manual_seed(seed)
            with warnings.catch_warnings(record=True) as caught, torch.inference_mode():
                warnings.simplefilter("always")
                out = model.generate(**inputs, **kwargs, pad_token_id=self.tokenizer.pad_token_id)
        except Exception as exc:  # noqa: BLE001 - any failure is the answer
            return f"generate(): {type(exc).__name__}: {exc}"
        finally:
            logger.removeHandler(collect)
        problems = collect.messages + [str(w.message) for w in caught]
        if problems:
            return "generate() warned: " + " | ".join(problems)
        new = out.shape[1] - inputs["input_ids"].shape[1]
        limit = kwargs.get("max_new_tokens", 20)
        if out.shape[0] != settings.batch_size or not 0 < new <= limit:
            return f"generate() returned shape {tuple(out.shape)} for {settings.batch_size} prompts"
        return None

    def check(
        self, config: Mapping[str, Value | None], *, max_new_tokens: int | None = None
    ) -> str | None:
        """validate(strict=True), then generate() of a configuration's settings (see
        `settings_for`): None when both pass."""
        settings = self.settings_for(config, max_new_tokens=max_new_tokens)
        return self.validate(settings) or self.generate(settings)


def generation_mode(settings: GenerationSettings) -> str:
    """The generation mode transformers picks for the settings (e.g. 'beam_sample')."""
    from transformers import GenerationConfig

    return str(GenerationConfig(**settings.generate_kwargs).get_generation_mode().value)


def random_completions(reasoner: Any, n: int, seed: int = 0, max_fixed: int = 4) -> list[dict]:
    """n valid configurations, each the seeded random completion of a random partial
    configuration (up to `max_fixed` features fixed to random values, redrawn when the
    partial configuration cannot be completed)."""
    import random

    rng = random.Random(seed)
    features = [f for f in reasoner.model.features() if f is not reasoner.model.root]
    out: list[dict] = []
    while len(out) < n:
        partial: dict = {}
        for feature in rng.sample(features, rng.randint(0, max_fixed)):
            domain = feature.domain()
            choices = [True, False] if domain is None else [*domain, None]
            partial[feature.name] = rng.choice(choices)
        config = reasoner.complete(partial, seed=rng.randrange(2**31))
        if config is not None:
            out.append(config)
    return out
