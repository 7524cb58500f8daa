"""The one translation from a configuration of sample_models/hf_generation.uvl to the keyword
arguments of `from_pretrained()` and `generate()`.

The translation is literal: the selected decoding strategy sets `do_sample`, the cache choice
sets `use_cache`/`cache_implementation`, the quantization choice sets `quantization_config` (in
the dict form transformers writes to a model's config.json), and every selected typed feature
named like a `generate()` argument is passed under that name. The device is not an argument: it
says where the run must happen (`device`, and `gpus` with the `device_map` placement), which the
loader checks against the campaign's host. A feature left out (or a key missing from the
configuration) passes nothing, so transformers' default applies. Keeping settings valid is the
feature model's job, not this function's: its constraints are what make every valid
configuration pass `GenerationConfig.validate(strict=True)` and `generate()`.

A run maps its *effective* configuration: the sampled one after every override and
task-pinned value (`effective_configuration`). That is what the store keeps with the run, so
what is shown and learnt from is what ran.

Pure Python, so the CLI and the TUI can import it without torch.
"""

from __future__ import annotations

import copy
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
    "OffloadedCache": {"use_cache": True, "cache_implementation": "offloaded"},
    "OffloadedStaticCache": {"use_cache": True, "cache_implementation": "offloaded_static"},
}
DTYPES: dict[str, str] = {"Float32": "float32", "BFloat16": "bfloat16", "Float16": "float16"}
ATTENTION: dict[str, str] = {"EagerAttention": "eager", "SdpaAttention": "sdpa"}
DEVICES: dict[str, str] = {"CPU": "cpu", "CUDA": "cuda"}


def _torchao(config_type: str) -> dict[str, object]:
    """torchao's serialised form of one of its default AOBaseConfig classes."""
    return {
        "quant_method": "torchao",
        "quant_type": {"default": {"_type": config_type, "_version": 2, "_data": {}}},
    }


QUANTIZATION: dict[str, dict[str, object] | None] = {
    "NoQuantization": None,
    "Int8WeightOnly": _torchao("Int8WeightOnlyConfig"),
    "Int8Dynamic": _torchao("Int8DynamicActivationInt8WeightConfig"),
    "BnbInt8": {"quant_method": "bitsandbytes", "load_in_8bit": True},
    "Bnb4Bit": {"quant_method": "bitsandbytes", "load_in_4bit": True},
}
BNB_4BIT_OPTIONS = ("bnb_4bit_quant_type", "DoubleQuantization")
"""Features read into the 4-bit quantization config."""

INT_ARGUMENTS = (
    "top_k",
    "no_repeat_ngram_size",
    "num_beams",
    "prompt_lookup_num_tokens",
    "max_matching_ngram_size",
    "max_new_tokens",
)
PINNED_ARGUMENTS = ("min_new_tokens",)
"""Integer generate() arguments no feature names: values an effective configuration gets from
its task (a lengths point) or its model (a cost-only one)."""
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
    device: str | None = None
    """'cpu' or 'cuda' when the configuration names its device (None: the campaign's)."""
    gpus: int = 1
    """CUDA GPUs the model is spread over with load_kwargs['device_map']."""


def unqualified(config: Mapping[str, Value | None]) -> dict[str, Value | None]:
    """A configuration with import aliases dropped from its keys (`gen.top_k` -> `top_k`); a
    plain key wins over a qualified one of the same name (a run's overrides are plain)."""
    plain = {key.rpartition(".")[2]: value for key, value in config.items() if "." in key}
    plain.update({key: value for key, value in config.items() if "." not in key})
    return plain


def generation_settings(config: Mapping[str, Value | None]) -> GenerationSettings:
    """The settings of a configuration of hf_generation.uvl, or of a model that imports it
    (`gen.top_k` is read as `top_k`); keys of other features are ignored.

    Raises PimpError when the configuration selects two choices that set the same argument."""
    config = unqualified(config)
    generate: dict[str, object] = {}
    generate.update(_one_of(config, STRATEGIES, "decoding strategy") or {})
    for name in FLOAT_ARGUMENTS:
        if config.get(name) is not None:
            generate[name] = float(config[name])  # type: ignore[arg-type]
    for name in (*INT_ARGUMENTS, *PINNED_ARGUMENTS):
        if config.get(name) is not None:
            generate[name] = _integer(name, config[name])  # type: ignore[arg-type]
    if config.get("early_stopping") is not None:
        generate["early_stopping"] = _early_stopping(config["early_stopping"])  # type: ignore[arg-type]
    generate.update(_one_of(config, CACHES, "cache") or {})

    load: dict[str, object] = {}
    dtype = _one_of(config, DTYPES, "precision")
    if dtype is not None:
        load["dtype"] = dtype
    attention = _one_of(config, ATTENTION, "attention implementation")
    if attention is not None:
        load["attn_implementation"] = attention
    quantization = _quantization(config, dtype)
    if quantization is not None:
        load["quantization_config"] = quantization
    if config.get("device_map") is not None:
        load["device_map"] = str(config["device_map"])
    device = _one_of(config, DEVICES, "device")
    gpus = 1 if config.get("gpus") is None else _integer("gpus", config["gpus"])  # type: ignore[arg-type]
    if gpus < 1:
        raise PimpError(f"gpus must be at least 1, not {gpus}")

    batch = config.get("batch_size")
    batch_size = 1 if batch is None else _integer("batch_size", batch)
    if batch_size < 1:
        raise PimpError(f"batch_size must be at least 1, not {batch_size}")
    return GenerationSettings(load, generate, batch_size, device, gpus)


COST_ONLY_DEFAULT_TOKENS = 20
"""Output length of a cost-only (random-weight) model whose configuration names none."""


def effective_configuration(
    config: Mapping[str, Value | None],
    *,
    max_new_tokens: int | None = None,
    pinned: Mapping[str, Value | None] | None = None,
    cost_only: bool = False,
) -> dict[str, Value | None]:
    """The configuration a run runs with: the sampled one, then a campaign's output-length
    override, then the values its task pins (a lengths point's lengths and batch size), then
    what a cost-only model needs (it generates exactly max_new_tokens: random weights would stop
    at any token). `generation_settings` of it is exactly what `from_pretrained()` and
    `generate()` receive."""
    effective = dict(config)
    if max_new_tokens is not None:
        effective["max_new_tokens"] = max_new_tokens
    effective.update(pinned or {})
    if cost_only:
        length = effective.get("max_new_tokens")
        effective["min_new_tokens"] = length if length is not None else COST_ONLY_DEFAULT_TOKENS
    return effective


def load_key(settings: GenerationSettings) -> tuple:
    """A hashable key of the load-time settings: the model is reloaded only when it changes."""
    placed = {**settings.load_kwargs, "device": settings.device, "gpus": settings.gpus}
    return tuple(sorted((k, repr(v)) for k, v in placed.items()))


def _quantization(config: Mapping[str, Value | None], dtype: str | None) -> dict | None:
    """The selected quantization config; 4-bit options and compute dtype filled in."""
    chosen = _one_of(config, QUANTIZATION, "quantization")
    if chosen is None:
        return None
    out = copy.deepcopy(chosen)
    if out.get("load_in_4bit"):
        if config.get("bnb_4bit_quant_type") is not None:
            out["bnb_4bit_quant_type"] = str(config["bnb_4bit_quant_type"])
        if config.get("DoubleQuantization") is True:
            out["bnb_4bit_use_double_quant"] = True
        if dtype is not None:
            out["bnb_4bit_compute_dtype"] = dtype
    return out


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
