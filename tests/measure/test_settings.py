"""generation_settings(): the literal translation of a configuration into transformers' kwargs."""

from __future__ import annotations

import subprocess
import sys

import pytest

from pimp_tui.errors import PimpError
from pimp_tui.measure.settings import GenerationSettings, generation_settings, load_key

BASE = {
    "GreedySearch": True,
    "DynamicCache": True,
    "Float32": True,
    "SdpaAttention": True,
    "batch_size": 4,
    "max_new_tokens": 32,
}


def config(**changes: object) -> dict:
    out = dict(BASE)
    out.update(changes)
    return out


def test_a_greedy_configuration():
    settings = generation_settings(BASE)
    assert settings == GenerationSettings(
        load_kwargs={"dtype": "float32", "attn_implementation": "sdpa"},
        generate_kwargs={
            "do_sample": False,
            "max_new_tokens": 32,
            "use_cache": True,
            "cache_implementation": "dynamic",
        },
        batch_size=4,
    )


@pytest.mark.parametrize(
    ("strategy", "do_sample"),
    [
        ("GreedySearch", False),
        ("MultinomialSampling", True),
        ("BeamSearch", False),
        ("BeamSearchMultinomialSampling", True),
        ("PromptLookupGreedy", False),
        ("PromptLookupSampling", True),
    ],
)
def test_the_strategy_sets_do_sample(strategy: str, do_sample: bool):
    settings = generation_settings({**BASE, "GreedySearch": False, strategy: True})
    assert settings.generate_kwargs["do_sample"] is do_sample


def test_typed_features_pass_under_their_own_names_with_their_types():
    settings = generation_settings(
        config(
            GreedySearch=False,
            BeamSearchMultinomialSampling=True,
            temperature=0.7,
            top_k=20.0,  # as a store or CSV may give it back
            top_p=0.8,
            min_p=0.05,
            typical_p=0.95,
            repetition_penalty=1.3,
            no_repeat_ngram_size="3",
            num_beams=4,
            length_penalty=2.0,
            early_stopping="never",
        )
    )
    kwargs = settings.generate_kwargs
    assert kwargs["temperature"] == 0.7 and kwargs["top_p"] == 0.8 and kwargs["min_p"] == 0.05
    assert kwargs["typical_p"] == 0.95 and kwargs["repetition_penalty"] == 1.3
    assert kwargs["top_k"] == 20 and type(kwargs["top_k"]) is int
    assert kwargs["no_repeat_ngram_size"] == 3 and kwargs["num_beams"] == 4
    assert kwargs["length_penalty"] == 2.0 and kwargs["early_stopping"] == "never"
    assert kwargs["do_sample"] is True


def test_prompt_lookup_arguments():
    settings = generation_settings(
        config(
            GreedySearch=False,
            PromptLookupGreedy=True,
            prompt_lookup_num_tokens=10,
            max_matching_ngram_size=3,
            batch_size=1,
        )
    )
    assert settings.generate_kwargs["prompt_lookup_num_tokens"] == 10
    assert settings.generate_kwargs["max_matching_ngram_size"] == 3
    assert settings.batch_size == 1


@pytest.mark.parametrize(("value", "expected"), [("true", True), ("never", "never"), (True, True)])
def test_early_stopping_values(value: object, expected: object):
    settings = generation_settings(config(early_stopping=value))
    assert settings.generate_kwargs["early_stopping"] == expected


def test_deselected_features_pass_nothing():
    settings = generation_settings(config(temperature=None, top_k=None, num_beams=None))
    assert not {"temperature", "top_k", "num_beams"} & set(settings.generate_kwargs)


@pytest.mark.parametrize(
    ("cache", "expected"),
    [
        ("NoCache", {"use_cache": False}),
        ("DynamicCache", {"use_cache": True, "cache_implementation": "dynamic"}),
        ("StaticCache", {"use_cache": True, "cache_implementation": "static"}),
    ],
)
def test_cache_choice(cache: str, expected: dict):
    kwargs = generation_settings({**BASE, "DynamicCache": False, cache: True}).generate_kwargs
    assert {k: kwargs[k] for k in ("use_cache", "cache_implementation") if k in kwargs} == expected


@pytest.mark.parametrize(
    ("precision", "attention", "expected"),
    [
        ("Float32", "EagerAttention", {"dtype": "float32", "attn_implementation": "eager"}),
        ("BFloat16", "SdpaAttention", {"dtype": "bfloat16", "attn_implementation": "sdpa"}),
        ("Float16", "EagerAttention", {"dtype": "float16", "attn_implementation": "eager"}),
    ],
)
def test_load_time_settings(precision: str, attention: str, expected: dict):
    chosen = {**BASE, "Float32": False, "SdpaAttention": False, precision: True, attention: True}
    assert generation_settings(chosen).load_kwargs == expected


def test_unknown_keys_are_ignored():
    with_task = config(task="gsm8k", input_tokens=128, prompt="ignored")
    assert generation_settings(with_task) == generation_settings(BASE)


def test_missing_features_leave_transformers_defaults():
    settings = generation_settings({})
    assert settings == GenerationSettings(load_kwargs={}, generate_kwargs={}, batch_size=1)


def test_two_choices_for_one_argument_are_refused():
    with pytest.raises(PimpError, match="more than one decoding strategy"):
        generation_settings(config(BeamSearch=True))
    with pytest.raises(PimpError, match="more than one precision"):
        generation_settings(config(Float16=True))


@pytest.mark.parametrize(
    ("key", "value"), [("batch_size", 2.5), ("top_k", "many"), ("batch_size", 0)]
)
def test_bad_numbers_are_user_errors(key: str, value: object):
    with pytest.raises(PimpError):
        generation_settings(config(**{key: value}))


def test_bad_early_stopping_is_a_user_error():
    with pytest.raises(PimpError, match="early_stopping"):
        generation_settings(config(early_stopping="sometimes"))


def test_load_key_follows_load_time_settings_only():
    a = generation_settings(BASE)
    b = generation_settings(
        config(max_new_tokens=256, batch_size=1, NoCache=True, DynamicCache=False)
    )
    c = generation_settings(config(Float16=True, Float32=False))
    assert load_key(a) == load_key(b)
    assert load_key(a) != load_key(c)
    assert hash(load_key(a)) == hash(load_key(b))


def test_importing_the_mapping_does_not_import_torch():
    code = (
        "import sys, pimp_tui.measure.settings as s; "
        "s.generation_settings({'GreedySearch': True}); "
        "assert 'torch' not in sys.modules and 'transformers' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_quantization_is_a_quantization_config_in_transformers_dict_form():
    torchao = generation_settings(config(Int8WeightOnly=True, BFloat16=True, Float32=False))
    assert torchao.load_kwargs["quantization_config"] == {
        "quant_method": "torchao",
        "quant_type": {"default": {"_type": "Int8WeightOnlyConfig", "_version": 2, "_data": {}}},
    }
    four = generation_settings(
        config(Bnb4Bit=True, bnb_4bit_quant_type="fp4", DoubleQuantization=True, CUDA=True)
    )
    assert four.load_kwargs["quantization_config"] == {
        "quant_method": "bitsandbytes",
        "load_in_4bit": True,
        "bnb_4bit_quant_type": "fp4",
        "bnb_4bit_use_double_quant": True,
        "bnb_4bit_compute_dtype": "float32",
    }
    assert "quantization_config" not in generation_settings(config(NoQuantization=True)).load_kwargs


def test_the_device_and_placement_say_where_the_run_happens():
    cpu = generation_settings(config(CPU=True))
    assert (cpu.device, cpu.gpus) == ("cpu", 1) and "device_map" not in cpu.load_kwargs
    spread = generation_settings(config(CUDA=True, gpus=4, device_map="sequential"))
    assert (spread.device, spread.gpus) == ("cuda", 4)
    assert spread.load_kwargs["device_map"] == "sequential"
    assert load_key(spread) != load_key(
        generation_settings(config(CUDA=True, gpus=2, device_map="sequential"))
    )


def test_two_quantizations_or_devices_are_refused():
    with pytest.raises(PimpError, match="more than one quantization"):
        generation_settings(config(Int8WeightOnly=True, BnbInt8=True))
    with pytest.raises(PimpError, match="more than one device"):
        generation_settings(config(CPU=True, CUDA=True))


def test_offloaded_caches():
    settings = generation_settings(config(DynamicCache=False, OffloadedStaticCache=True))
    assert settings.generate_kwargs["cache_implementation"] == "offloaded_static"
