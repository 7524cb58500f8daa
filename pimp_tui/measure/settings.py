"""The one translation from a configuration of sample_models/hf_generation.uvl to the keyword
arguments of `from_pretrained()` and `generate()`.

The translation is literal: the selected decoding strategy sets `do_sample`, the cache choice
sets `use_cache`/`cache_implementation`, and every selected typed feature named like a
`generate()` argument is passed under that name. A feature left out (or a key missing from the
configuration) passes nothing, so transformers' default applies. Keeping settings valid is the
feature model's job, not this function's: its constraints are what make every valid
configuration pass `GenerationConfig.validate(strict=True)` and `generate()`.

Pure Python, so the CLI and the TUI can import it without torch.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pimp_tui.errors import PimpError
from pimp_tui.variability.model import Value

STRATEGIES: dict[str, dict[str, object]] = {
    "GreedySearch": {"do_sample": False},
    "MultinomialSampling": {"do_sample": True},
    "BeamSearch": {"do_sample": False},
    "BeamSearchMultinomialSampling": {"do_sample": True},
    "PromptLookupGreedy": {"do_sample": False},
    "PromptLookupSampling": {"do_sample": True},
}
CACHES: dict[str, dict[str, object]] = {
    "NoCache": {"use_cache": False},
    "DynamicCache": {"use_cache": True, "cache_implementation": "dynamic"},
    "StaticCache": {"use_cache": True, "cache_implementation": "static"},
}
DTYPES: dict[str, str] = {"Float32": "float32", "BFloat16": "bfloat16", "Float16": "float16"}
ATTENTION: dict[str, str] = {"EagerAttention": "eager", "SdpaAttention": "sdpa"}

INT_ARGUMENTS = (
    "top_k",
    "no_repeat_ngram_size",
    "num_beams",
    "prompt_lookup_num_tokens",
    "max_matching_ngram_size",
    "max_new_tokens",
)
FLOAT_ARGUMENTS = (
    "temperature",
    "top_p",
    "min_p",
    "typical_p",
    "repetition_penalty",
    "length_penalty",
)
EARLY_STOPPING: dict[str, bool | str] = {"true": True, "false": False, "never": "never"}


@dataclass(frozen=True)
class GenerationSettings:
    """What one configuration means to transformers: model-loading and generation arguments,
    and how many prompts go into one `generate()` call."""

    load_kwargs: dict
    generate_kwargs: dict
    batch_size: int


def generation_settings(config: Mapping[str, Value | None]) -> GenerationSettings:
    """The settings of a configuration of hf_generation.uvl; keys of other features are ignored.

    Raises PimpError when the configuration selects two choices that set the same argument."""
    generate: dict[str, object] = {}
    generate.update(_one_of(config, STRATEGIES, "decoding strategy") or {})
    for name in FLOAT_ARGUMENTS:
        if config.get(name) is not None:
            generate[name] = float(config[name])  # type: ignore[arg-type]
    for name in INT_ARGUMENTS:
        if config.get(name) is not None:
            generate[name] = _integer(name, config[name])
    if config.get("early_stopping") is not None:
        generate["early_stopping"] = _early_stopping(config["early_stopping"])
    generate.update(_one_of(config, CACHES, "cache") or {})

    load: dict[str, object] = {}
    dtype = _one_of(config, DTYPES, "precision")
    if dtype is not None:
        load["dtype"] = dtype
    attention = _one_of(config, ATTENTION, "attention implementation")
    if attention is not None:
        load["attn_implementation"] = attention

    batch = config.get("batch_size")
    batch_size = 1 if batch is None else _integer("batch_size", batch)
    if batch_size < 1:
        raise PimpError(f"batch_size must be at least 1, not {batch_size}")
    return GenerationSettings(load, generate, batch_size)


def load_key(settings: GenerationSettings) -> tuple:
    """A hashable key of the load-time settings: the model is reloaded only when it changes."""
    return tuple(sorted((k, repr(v)) for k, v in settings.load_kwargs.items()))


def _one_of(config: Mapping[str, Value | None], choices: dict, what: str):  # noqa: ANN202
    """The value of the one selected choice among `choices` (feature name -> value), or None."""
    selected = [name for name in choices if config.get(name) is True]
    if len(selected) > 1:
        raise PimpError(f"the configuration selects more than one {what}: {', '.join(selected)}")
    return choices[selected[0]] if selected else None


def _integer(name: str, value: Value) -> int:
    """Integer features may come back from a store or a CSV as 4.0 or '4'."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise PimpError(f"{name} must be an integer, not {value!r}") from None
    if not number.is_integer():
        raise PimpError(f"{name} must be an integer, not {value!r}")
    return int(number)


def _early_stopping(value: Value) -> bool | str:
    if isinstance(value, bool):
        return value
    try:
        return EARLY_STOPPING[str(value).lower()]
    except KeyError:
        raise PimpError(
            f"early_stopping must be one of {', '.join(EARLY_STOPPING)}, not {value!r}"
        ) from None
