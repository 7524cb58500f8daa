"""The host fixes the device before sampling: detected from torch (faked here), spelled with
--host, shown with its reasons, and refused at load time when a run does not match."""

from __future__ import annotations

import pytest

from pimp_tui.cli import main
from pimp_tui.errors import PimpError
from pimp_tui.measure.host import Host, host_from_spec
from pimp_tui.measure.llm import load_arguments, require_quantization_backend
from pimp_tui.paths import HF_GENERATION_MODEL
from pimp_tui.sampling.csvio import read_configs
from pimp_tui.services.sampling import fix_to_host
from pimp_tui.variability.io import load_model


@pytest.fixture
def fake_cuda(monkeypatch):
    """torch sees two CUDA GPUs, and every quantization package is installed."""
    import torch

    from pimp_tui.measure import host

    monkeypatch.setattr(host, "missing_backends", frozenset)

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda index=0: "Fake H200")


def test_auto_on_this_cpu_host_excludes_cuda():
    _, fixes = fix_to_host(load_model(HF_GENERATION_MODEL), "auto")
    assert [(f.constraint, f.reason) for f in fixes] == [
        ("!CUDA", "no CUDA GPU visible to torch on this host")
    ]


def test_auto_on_a_fake_cuda_host_excludes_the_cpu_and_extra_gpus(fake_cuda):
    _, fixes = fix_to_host(load_model(HF_GENERATION_MODEL), "auto")
    assert [f.constraint for f in fixes] == ["!CPU", "gpus <= 2"]
    assert "2 CUDA GPUs (Fake H200)" in fixes[0].reason


def test_a_model_without_a_device_part_is_left_alone(tmp_path):
    path = tmp_path / "m.uvl"
    path.write_text("features\n    Root\n        optional\n            A\n")
    model = load_model(path)
    assert fix_to_host(model, "cuda:4") == (model, [])


@pytest.mark.parametrize(
    ("spec", "host"), [("cpu", Host(0)), ("cuda", Host(1)), ("CUDA:4", Host(4)), ("any", None)]
)
def test_host_specs(spec, host):
    assert host_from_spec(spec) == host


@pytest.mark.parametrize("spec", ["gpu", "cuda:0", "cuda:x"])
def test_bad_host_specs_are_user_errors(spec):
    with pytest.raises(PimpError, match="--host"):
        host_from_spec(spec)


def test_pimp_sample_fixes_the_host_and_says_so(capsys, tmp_path):
    out = tmp_path / "s.csv"
    argv = ["sample", str(HF_GENERATION_MODEL), "-a", "uniform", "-n", "30", "-q", "-o", str(out)]
    assert main([*argv, "--host", "cuda:2"]) == 0
    assert "fixed by the host: !CPU" in capsys.readouterr().err
    model = load_model(HF_GENERATION_MODEL)
    configs = read_configs(model, out)
    assert {c["CUDA"] for c in configs} == {True} and max(c["gpus"] for c in configs) == 2
    assert main([*argv, "--host", "any"]) == 0
    assert "fixed by the host" not in capsys.readouterr().err
    assert main([*argv, "--host", "tpu"]) == 2


CUDA_ONLY = ("CUDA", "OffloadedCache", "OffloadedStaticCache", "BnbInt8", "Bnb4Bit")


def _sampled_here(tmp_path) -> list[dict]:
    """`pimp sample` of the device-aware model on the host as torch sees it (--host auto)."""
    out = tmp_path / "s.csv"
    argv = ["sample", str(HF_GENERATION_MODEL), "-a", "uniform", "-n", "40", "-q", "-o", str(out)]
    assert main(argv) == 0
    return read_configs(load_model(HF_GENERATION_MODEL), out)


def test_a_sample_with_no_cuda_holds_no_cuda_only_setting(tmp_path):
    configs = _sampled_here(tmp_path)
    assert len(configs) == 40
    assert [c for c in configs if any(c.get(name) for name in CUDA_ONLY)] == []


def test_a_sample_on_a_fake_cuda_host_holds_cuda_only_settings(fake_cuda, tmp_path):
    configs = _sampled_here(tmp_path)
    assert {c["CUDA"] for c in configs} == {True} and {c["gpus"] for c in configs} == {1, 2}
    assert {name for c in configs for name in CUDA_ONLY if c.get(name)} == set(CUDA_ONLY)


def test_a_run_on_another_device_than_the_campaign_is_refused():
    with pytest.raises(PimpError, match="runs on CUDA, this campaign on cpu"):
        load_arguments({"dtype": "float32"}, "cpu", "cuda", 1)
    with pytest.raises(PimpError, match="runs on CPU, this campaign on cuda:0"):
        load_arguments({}, "cuda:0", "cpu", 1)


def test_a_placement_over_more_gpus_than_the_host_has_is_refused():
    with pytest.raises(PimpError, match="over 2 GPUs; 0 here"):
        load_arguments({"device_map": "balanced"}, "cuda", "cuda", 2)


def test_a_missing_quantization_backend_names_its_extra(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    missing = {"torchao", "bitsandbytes"}
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name in missing else real(name, *a)
    )
    with pytest.raises(PimpError, match=r"pip install 'pimp-tui\[quant\]'"):
        require_quantization_backend("torchao")
    with pytest.raises(PimpError, match=r"'bitsandbytes' package: pip install 'pimp-tui\[cuda\]'"):
        load_arguments({"quantization_config": {"quant_method": "bitsandbytes"}}, "cuda")


def test_a_quantized_load_goes_straight_to_the_campaigns_device():
    kwargs = load_arguments(
        {"dtype": "bfloat16", "quantization_config": {"quant_method": "torchao"}}, "cpu", "cpu"
    )
    import torch

    assert kwargs["dtype"] is torch.bfloat16 and kwargs["device_map"] == "cpu"


def test_a_quantization_whose_package_is_missing_here_is_left_out_of_samples():
    from pimp_tui.measure.host import fix_to_host as fix
    from pimp_tui.sampling import sample

    model = load_model(HF_GENERATION_MODEL)
    fixed, fixes = fix(model, Host(0, missing=frozenset({"torchao", "bitsandbytes"})))
    named = {f.constraint: f.reason for f in fixes}
    # bitsandbytes is CUDA-only: on a CPU host its settings are gone already, named once
    assert list(named) == ["!CUDA", "!Int8WeightOnly", "!Int8Dynamic"]
    assert named["!Int8Dynamic"] == "torchao is not installed here: pip install 'pimp-tui[quant]'"
    configs = sample(fixed, "uniform", size=60, seed=0)
    assert not [c for c in configs if c.get("Int8WeightOnly") or c.get("Int8Dynamic")]
    assert any(c.get("NoQuantization") for c in configs)


def test_the_packages_missing_are_those_this_python_cannot_import(monkeypatch):
    from pimp_tui.measure import host, llm

    monkeypatch.setattr(llm, "QUANTIZATION_PACKAGES", {
        "torchao": ("pimp_no_such_package", "quant"), "bitsandbytes": ("json", "cuda"),
    })  # fmt: skip
    assert host.missing_backends() == frozenset({"torchao"})
