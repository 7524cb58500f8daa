"""sample_models/hf_generation.uvl keeps its promise: every configuration it calls valid on this
CPU host runs in transformers (validate(strict=True), then a batched, left-padded generate() on
the tiny model, quantized ones included), and each of its constraints excludes only
configurations that fail or mean nothing new."""

from __future__ import annotations

import pytest

from pimp_tui.measure import settings as mapping
from pimp_tui.measure.host import Host, fix_to_host
from pimp_tui.measure.settings import generation_settings
from pimp_tui.measure.settings_check import (
    EXPECTED_MODES,
    SettingsCheck,
    generation_mode,
    random_completions,
)
from pimp_tui.paths import HF_GENERATION_MODEL
from pimp_tui.variability.io import load_model
from pimp_tui.variability.model import Configuration
from pimp_tui.variability.reasoning import Reasoner

CHECK_TOKENS = 8
"""New tokens per generate() in the broad checks: every setting but the output length is the
configuration's own. test_every_output_length_runs_in_full covers the lengths themselves."""

SAMPLING = ("MultinomialSampling", "BeamSearchMultinomialSampling", "PromptLookupSampling")
BEAMS = ("BeamSearch", "BeamSearchMultinomialSampling")
LOOKUP = ("PromptLookupGreedy", "PromptLookupSampling")
SAMPLING_PARAMETERS = ("temperature", "top_k", "top_p", "min_p", "typical_p")

SAMPLING_RULE = "SamplingParameters <=> (MultinomialSampling | BeamSearchMultinomialSampling | PromptLookupSampling)"  # noqa: E501
BEAM_RULE = "BeamParameters <=> (BeamSearch | BeamSearchMultinomialSampling)"
LOOKUP_RULE = "PromptLookupParameters <=> (PromptLookupGreedy | PromptLookupSampling)"
BATCH_RULE = "(PromptLookupGreedy | PromptLookupSampling) => batch_size == 1"
CACHE_RULE = "(PromptLookupGreedy | PromptLookupSampling) => DynamicCache"
OFFLOAD_RULE = "(OffloadedCache | OffloadedStaticCache) => CUDA"
BNB_RULE = "(BnbInt8 | Bnb4Bit) => CUDA"
PLACEMENT_RULE = "device_map <=> gpus > 1"
CUDA_ONLY = ("CUDA", "OffloadedCache", "OffloadedStaticCache", "BnbInt8", "Bnb4Bit")


@pytest.fixture(scope="module")
def full() -> Reasoner:
    """The whole model, every device."""
    return Reasoner(load_model(HF_GENERATION_MODEL))


@pytest.fixture(scope="module")
def reasoner() -> Reasoner:
    """The model fixed to a CPU-only host: what runs here."""
    return Reasoner(fix_to_host(load_model(HF_GENERATION_MODEL), Host(0))[0])


@pytest.fixture(scope="module")
def check():
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny matrices: one thread is faster and leaves the other core free
    yield SettingsCheck()
    torch.set_num_threads(threads)


def valid(reasoner: Reasoner, **partial: object) -> Configuration:
    config = reasoner.complete(partial)
    assert config is not None, partial
    return config


def strategy_of(config: Configuration) -> str:
    return next(name for name in EXPECTED_MODES if config.get(name) is True)


def changed(config: Configuration, **changes: object) -> Configuration:
    return {**config, **changes}


def without_sampling_parameters() -> dict:
    return {name: None for name in SAMPLING_PARAMETERS}


# --- the model itself ---------------------------------------------------------------------------


def test_the_model_is_consistent_and_counted_exactly(full: Reasoner, reasoner: Reasoner):
    assert [c.text for c in full.model.constraints] == [
        SAMPLING_RULE,
        BEAM_RULE,
        LOOKUP_RULE,
        BATCH_RULE,
        CACHE_RULE,
        OFFLOAD_RULE,
        BNB_RULE,
        PLACEMENT_RULE,
    ]
    assert full.dead_features() == []

    # Per strategy, with 4 batch sizes and `caches` outside prompt lookup (1 and 1 inside):
    # greedy 1, sampling 4**5 = 1024 (each parameter unset or one of 3 values), beam search
    # 2 * 3 * 3 = 18, beam sampling 1024 * 18; prompt lookup 3 * 3, with sampling 9 * 1024.
    def per_strategy(caches: int) -> int:
        return (1 + 1024 + 18 + 1024 * 18) * 4 * caches + (9 + 9 * 1024)

    # Repetition control 4 * 4, precision 3, attention 2, max_new_tokens 3 everywhere.
    rest = 16 * 3 * 2 * 3
    # CPU: 3 caches, 3 quantizations (none, torchao int8 weight-only and dynamic).
    cpu = per_strategy(3) * 3 * rest
    # CUDA: 5 caches (offloaded ones too), 8 quantizations (bitsandbytes int8, and 4-bit with 2
    # types x double quantization or not), 7 placements (1 GPU; 2 or 4 with 3 device maps).
    cuda = per_strategy(5) * 8 * 7 * rest
    assert reasoner.count() == cpu == 69_962_400 * 3
    assert full.count() == cpu + cuda == 6_640_524_000


def test_the_cli_counts_the_model_and_shows_its_device_and_quantization_parts(capsys):
    from pimp_tui.cli import main

    assert main(["model", "count", str(HF_GENERATION_MODEL)]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == "6640524000"
    assert main(["model", "show", str(HF_GENERATION_MODEL)]) == 0
    shown = capsys.readouterr().out
    for line in ("Device abstract", "CUDA", "gpus Integer {1, 2, 4}", "Quantization abstract",
                 "Int8WeightOnly", "BnbInt8", "bnb_4bit_quant_type String {'nf4', 'fp4'}",
                 "OffloadedCache", "valid configurations: 6,640,524,000"):  # fmt: skip
        assert line in shown, line


def test_the_mapping_reads_exactly_the_features_of_the_model(full: Reasoner):
    """A feature renamed in the model (or in the mapping) would otherwise be silently ignored."""
    concrete = {f.name for f in full.model.features() if not f.abstract}
    read = (
        set(mapping.STRATEGIES)
        | set(mapping.CACHES)
        | set(mapping.DTYPES)
        | set(mapping.ATTENTION)
        | set(mapping.QUANTIZATION)
        | set(mapping.BNB_4BIT_OPTIONS)
        | set(mapping.DEVICES)
        | set(mapping.INT_ARGUMENTS)
        | set(mapping.FLOAT_ARGUMENTS)
        | {"early_stopping", "batch_size", "gpus", "device_map"}
    )
    assert concrete == read


def test_on_a_cpu_host_exactly_the_cuda_only_features_are_dead(reasoner: Reasoner):
    below = {"gpus", "device_map", "bnb_4bit_quant_type", "DoubleQuantization"}
    assert set(reasoner.dead_features()) == set(CUDA_ONLY) | below


def test_every_value_of_every_feature_runs(reasoner: Reasoner, check: SettingsCheck):
    failures = []
    seed = 0
    dead = set(reasoner.dead_features())
    for feature in reasoner.model.features():
        if feature.abstract or feature.name in dead:
            continue
        for value in feature.domain() or (True,):
            seed += 1
            config = reasoner.complete({feature.name: value}, seed=seed)
            assert config is not None, (feature.name, value)
            problem = check.check(config, max_new_tokens=CHECK_TOKENS)
            if problem:
                failures.append((feature.name, value, problem))
    assert failures == []


@pytest.mark.parametrize("max_new_tokens", [32, 128, 256])
def test_every_output_length_runs_in_full(
    reasoner: Reasoner, check: SettingsCheck, max_new_tokens: int
):
    """The settings whose work grows with the output: a static cache sized for batch x beams x
    length, no cache at all, n-gram bans and penalties over the whole sequence, prompt lookup."""
    assert reasoner.model.feature("max_new_tokens").domain() == (32, 128, 256)
    partials = [
        {"StaticCache": True, "BeamSearchMultinomialSampling": True, "num_beams": 4,
         "batch_size": 8, "top_k": 5, "early_stopping": "never"},
        {"NoCache": True, "MultinomialSampling": True, "batch_size": 2, "min_p": 0.1},
        {"DynamicCache": True, "GreedySearch": True, "batch_size": 4, "no_repeat_ngram_size": 2,
         "repetition_penalty": 1.5},
        {"PromptLookupSampling": True, "prompt_lookup_num_tokens": 10, "typical_p": 0.5},
    ]  # fmt: skip
    for partial in partials:
        config = valid(reasoner, **partial, max_new_tokens=max_new_tokens, Float32=True)
        assert check.check(config) is None, partial


RANDOM_DRAWS = 80
"""A draw the suite affords; benchmarks/hf_validity.py draws 300 and more."""


def test_random_valid_configurations_pass_validate_and_generate(
    reasoner: Reasoner, check: SettingsCheck
):
    configs = random_completions(reasoner, RANDOM_DRAWS, seed=0)
    failures = []
    for index, config in enumerate(configs):
        settings = generation_settings(config)
        strategy = strategy_of(config)
        problem = "; ".join(reasoner.violations(config))
        if not problem and generation_mode(settings) != EXPECTED_MODES[strategy]:
            problem = f"{strategy} runs as {generation_mode(settings)}"
        problem = problem or check.check(config, max_new_tokens=CHECK_TOKENS)
        if problem:
            failures.append((index, settings, problem))
    assert failures == [], f"{len(failures)} of {RANDOM_DRAWS} failed"
    # Different configurations are different settings: no choice is a no-op.
    distinct = {tuple(sorted(c.items(), key=lambda kv: kv[0])) for c in configs}
    assert len({repr(generation_settings(c)) for c in configs}) == len(distinct)
    assert {strategy_of(c) for c in configs} == set(EXPECTED_MODES)
    quantized = {name for c in configs for name in mapping.QUANTIZATION if c.get(name) is True}
    assert quantized == {"NoQuantization", "Int8WeightOnly", "Int8Dynamic"}


# --- each constraint excludes only what fails or means nothing new ------------------------------


@pytest.mark.parametrize("parameter", SAMPLING_PARAMETERS)
@pytest.mark.parametrize("strategy", ["GreedySearch", "BeamSearch", "PromptLookupGreedy"])
def test_sampling_parameters_without_sampling_fail_strict_validation(
    reasoner: Reasoner, check: SettingsCheck, strategy: str, parameter: str
):
    config = valid(reasoner, **{strategy: True})
    value = reasoner.model.feature(parameter).domain()[0]
    excluded = changed(config, SamplingParameters=True, **{parameter: value})
    assert SAMPLING_RULE in reasoner.violations(excluded)
    problem = check.validate(generation_settings(excluded))
    assert problem is not None and f"`{parameter}`" in problem


@pytest.mark.parametrize("strategy", SAMPLING)
def test_sampling_without_its_parameter_group_only_duplicates_a_valid_configuration(
    reasoner: Reasoner, strategy: str
):
    config = valid(reasoner, **{strategy: True}, **without_sampling_parameters())
    excluded = changed(config, SamplingParameters=False)
    assert SAMPLING_RULE in reasoner.violations(excluded)
    assert generation_settings(excluded) == generation_settings(config)


@pytest.mark.parametrize("strategy", ["GreedySearch", "BeamSearch", "PromptLookupGreedy"])
def test_an_empty_sampling_group_without_sampling_only_duplicates_a_valid_configuration(
    reasoner: Reasoner, strategy: str
):
    config = valid(reasoner, **{strategy: True})
    excluded = changed(config, SamplingParameters=True)
    assert SAMPLING_RULE in reasoner.violations(excluded)
    assert generation_settings(excluded) == generation_settings(config)


@pytest.mark.parametrize("strategy", ["GreedySearch", "MultinomialSampling", *LOOKUP])
def test_beams_outside_beam_strategies_run_another_strategy(reasoner: Reasoner, strategy: str):
    config = valid(reasoner, **{strategy: True})
    excluded = changed(config, BeamParameters=True, num_beams=2)
    assert BEAM_RULE in reasoner.violations(excluded)
    mode = generation_mode(generation_settings(excluded))
    assert mode in ("beam_search", "beam_sample") and mode != EXPECTED_MODES[strategy]


@pytest.mark.parametrize(
    ("parameter", "value"), [("length_penalty", 2.0), ("early_stopping", "true")]
)
def test_beam_parameters_with_one_beam_fail_strict_validation(
    reasoner: Reasoner, check: SettingsCheck, parameter: str, value: object
):
    """Why length_penalty and early_stopping sit under BeamParameters, beside num_beams."""
    config = valid(reasoner, GreedySearch=True)
    excluded = changed(config, BeamParameters=True, **{parameter: value})
    assert BEAM_RULE in reasoner.violations(excluded)
    problem = check.validate(generation_settings(excluded))
    assert problem is not None and f"`{parameter}`" in problem


@pytest.mark.parametrize("strategy", BEAMS)
def test_beam_strategies_without_beams_run_as_their_single_sequence_twin(
    reasoner: Reasoner, strategy: str
):
    config = valid(reasoner, **{strategy: True})
    excluded = changed(
        config, BeamParameters=False, num_beams=None, length_penalty=None, early_stopping=None
    )
    assert BEAM_RULE in reasoner.violations(excluded)
    twin = "sample" if strategy in SAMPLING else "greedy_search"
    assert generation_mode(generation_settings(excluded)) == twin


@pytest.mark.parametrize("strategy", ["GreedySearch", "MultinomialSampling"])
def test_prompt_lookup_parameters_turn_single_sequence_strategies_into_prompt_lookup(
    reasoner: Reasoner, strategy: str
):
    config = valid(reasoner, **{strategy: True}, batch_size=1, DynamicCache=True)
    excluded = changed(config, PromptLookupParameters=True, prompt_lookup_num_tokens=5)
    assert LOOKUP_RULE in reasoner.violations(excluded)
    assert generation_mode(generation_settings(excluded)) == "assisted_generation"


@pytest.mark.parametrize("strategy", BEAMS)
def test_prompt_lookup_parameters_are_ignored_by_beam_strategies(reasoner: Reasoner, strategy: str):
    config = valid(reasoner, **{strategy: True}, batch_size=1, DynamicCache=True)
    excluded = changed(config, PromptLookupParameters=True, prompt_lookup_num_tokens=5)
    assert LOOKUP_RULE in reasoner.violations(excluded)
    # transformers warns that assisted generation does not apply and runs plain beam search
    assert generation_mode(generation_settings(excluded)) == EXPECTED_MODES[strategy]
    assert generation_settings(excluded) != generation_settings(config)


@pytest.mark.parametrize("strategy", LOOKUP)
def test_prompt_lookup_without_its_parameters_runs_without_prompt_lookup(
    reasoner: Reasoner, strategy: str
):
    config = valid(reasoner, **{strategy: True})
    excluded = changed(
        config, PromptLookupParameters=False, prompt_lookup_num_tokens=None,
        max_matching_ngram_size=None,
    )  # fmt: skip
    assert LOOKUP_RULE in reasoner.violations(excluded)
    assert generation_mode(generation_settings(excluded)) in ("greedy_search", "sample")


@pytest.mark.parametrize("strategy", LOOKUP)
@pytest.mark.parametrize("batch_size", [2, 8])
def test_prompt_lookup_with_a_batch_fails_in_generate(
    reasoner: Reasoner, check: SettingsCheck, strategy: str, batch_size: int
):
    config = valid(reasoner, **{strategy: True})
    excluded = changed(config, batch_size=batch_size)
    assert reasoner.violations(excluded) == [BATCH_RULE]
    settings = generation_settings(excluded)
    assert check.validate(settings) is None
    problem = check.generate(check.settings_for(excluded, max_new_tokens=CHECK_TOKENS))
    assert problem is not None and "only supported for batch_size = 1" in problem


@pytest.mark.parametrize("strategy", LOOKUP)
@pytest.mark.parametrize("cache", ["NoCache", "StaticCache"])
def test_prompt_lookup_without_a_dynamic_cache_fails_in_generate(
    reasoner: Reasoner, check: SettingsCheck, strategy: str, cache: str
):
    """Without a cache generate() refuses. A static cache is sized for prompt + new tokens; the
    candidates checked near the end are written past it (IndexError from index_copy_) when the
    output repeats the prompt, as the tiny model's does for these settings. A model keeps the
    largest static cache it has had, so the excluded settings run on freshly loaded models."""
    config = valid(
        reasoner, **{strategy: True}, prompt_lookup_num_tokens=10, max_matching_ngram_size=None,
        Float32=True, EagerAttention=True, repetition_penalty=None, no_repeat_ngram_size=None,
        **without_sampling_parameters(),
    )  # fmt: skip
    assert check.check(config, max_new_tokens=CHECK_TOKENS) is None
    excluded = changed(config, DynamicCache=False, **{cache: True})
    assert reasoner.violations(excluded) == [CACHE_RULE]
    settings = generation_settings(excluded)
    fresh = SettingsCheck()
    assert fresh.validate(settings) is None
    problem = fresh.generate(fresh.settings_for(excluded, max_new_tokens=CHECK_TOKENS))
    assert problem is not None and problem.startswith("generate(): "), problem


@pytest.mark.parametrize("cache", ["OffloadedCache", "OffloadedStaticCache"])
def test_offloaded_caches_without_cuda_fail_in_generate(
    full: Reasoner, check: SettingsCheck, cache: str
):
    config = valid(full, GreedySearch=True, CPU=True, DynamicCache=True)
    excluded = changed(config, DynamicCache=False, **{cache: True})
    assert full.violations(excluded) == [OFFLOAD_RULE]
    settings = generation_settings(excluded)
    assert check.validate(settings) is None
    problem = check.generate(check.settings_for(excluded, max_new_tokens=CHECK_TOKENS))
    assert problem is not None and "CUDA" in problem


@pytest.mark.parametrize(
    "quantization",
    [{"BnbInt8": True}, {"Bnb4Bit": True, "bnb_4bit_quant_type": "nf4"},
     {"Bnb4Bit": True, "bnb_4bit_quant_type": "fp4", "DoubleQuantization": True}],
)  # fmt: skip
def test_bitsandbytes_without_cuda_fails_to_load(full: Reasoner, quantization: dict):
    from transformers import AutoModelForCausalLM

    from pimp_tui.paths import TINY_LLM

    config = valid(full, CPU=True, NoQuantization=True)
    excluded = changed(config, NoQuantization=False, **quantization)
    assert full.violations(excluded) == [BNB_RULE]
    quantization_config = generation_settings(excluded).load_kwargs["quantization_config"]
    with pytest.raises(Exception, match="bitsandbytes"):
        AutoModelForCausalLM.from_pretrained(
            TINY_LLM, quantization_config=quantization_config, device_map="cpu"
        )


@pytest.mark.parametrize("placement", ["balanced", "balanced_low_0", "sequential"])
def test_a_placement_on_one_gpu_puts_everything_on_it(full: Reasoner, placement: str):
    """device_map with gpus == 1 means nothing: every module lands on GPU 0, as without it."""
    from transformers import AutoConfig, AutoModelForCausalLM
    from transformers.integrations.accelerate import _get_device_map

    from pimp_tui.paths import TINY_LLM

    config = valid(full, CUDA=True, gpus=1)
    excluded = changed(config, device_map=placement)
    assert full.violations(excluded) == [PLACEMENT_RULE]
    import torch

    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(AutoConfig.from_pretrained(TINY_LLM))
    load = generation_settings(excluded).load_kwargs
    device_map = _get_device_map(model, load["device_map"], {0: 10**12}, None)
    assert set(device_map.values()) == {0}


@pytest.mark.parametrize("gpus", [2, 4])
def test_several_gpus_without_a_placement_load_as_one(full: Reasoner, gpus: int):
    """gpus > 1 without device_map means nothing: the load is the one-GPU load."""
    from pimp_tui.measure.llm import load_arguments

    one = valid(full, CUDA=True, gpus=1)
    excluded = changed(one, gpus=gpus)
    assert full.violations(excluded) == [PLACEMENT_RULE]
    settings, single = generation_settings(excluded), generation_settings(one)
    assert settings.gpus == gpus
    assert load_arguments(settings.load_kwargs, "cuda", settings.device, settings.gpus) == (
        load_arguments(single.load_kwargs, "cuda", single.device, single.gpus)
    )


# --- the host fixes the device before sampling --------------------------------------------------


def cuda_only_settings(config: Configuration) -> list[str]:
    return [name for name in CUDA_ONLY if config.get(name) is True]


def test_a_sample_on_a_cpu_host_holds_no_cuda_only_setting(full: Reasoner):
    from pimp_tui.sampling import sample

    fixed, fixes = fix_to_host(full.model, Host(0))
    assert [f.constraint for f in fixes] == ["!CUDA"]
    configs = sample(fixed, "uniform", size=200, seed=1)
    assert [c for c in configs if cuda_only_settings(c)] == []
    assert {c.get("CPU") for c in configs} == {True}


def test_a_sample_on_a_two_gpu_host_uses_cuda_settings_within_its_gpus(full: Reasoner):
    from pimp_tui.sampling import sample

    fixed, fixes = fix_to_host(full.model, Host(2, "fake"))
    assert [f.constraint for f in fixes] == ["!CPU", "gpus <= 2"]
    configs = sample(fixed, "uniform", size=200, seed=1)
    assert {c.get("CUDA") for c in configs} == {True}
    assert {c.get("gpus") for c in configs} == {1, 2}
    used = {name for c in configs for name in cuda_only_settings(c)}
    assert used == set(CUDA_ONLY)


# --- what the model leaves out ------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"penalty_alpha": 0.6, "top_k": 4},  # contrastive search
        {"num_beams": 4, "num_beam_groups": 2, "diversity_penalty": 1.0},  # diverse beam search
        {"dola_layers": "high"},  # DoLa
        {"num_beams": 2, "force_words_ids": [[5]]},  # constrained beam search
    ],
)
def test_strategies_moved_out_of_core_need_remote_code(check: SettingsCheck, kwargs: dict):
    settings = generation_settings({"Float32": True, "EagerAttention": True})
    settings.generate_kwargs.update(kwargs, max_new_tokens=4)
    problem = check.generate(settings)
    assert problem is not None and "trust_remote_code" in problem
