"""The costliest settings of hf_generation.uvl side by side on this machine (part 2 of
benchmarks/gpu_check.py): precision and quantization, offloaded cache, one or two GPUs.

Each row is a configuration of the model fixed to this host, completed by the reasoner from the
row's choices and the common ones, mapped by generation_settings() and loaded by
load_arguments(), as in a campaign. The weights are random (TinyLlama-1.1B's shape on a GPU, the
tiny test model's with --fake), saved once in pimp's cache: energy and latency mean something,
outputs do not.
"""

from __future__ import annotations

import time
from typing import Any

from pimp_tui.errors import PimpError
from pimp_tui.measure.host import Host, fix_to_host
from pimp_tui.measure.llm import load_arguments, random_weights_dir
from pimp_tui.measure.sensors import NvmlSensor
from pimp_tui.measure.settings import generation_settings
from pimp_tui.paths import HF_GENERATION_MODEL, TINY_LLM
from pimp_tui.variability.io import load_model
from pimp_tui.variability.reasoning import Reasoner

LLAMA_1B = {
    "model_type": "llama",
    "hidden_size": 2048,
    "intermediate_size": 5632,
    "num_hidden_layers": 22,
    "num_attention_heads": 32,
    "num_key_value_heads": 4,
    "vocab_size": 32000,
    "max_position_embeddings": 2048,
}
"""TinyLlama-1.1B's shape: compute-bound enough at batch 8 for precision to matter."""

COMMON = {
    "GreedySearch": True,
    "SdpaAttention": True,
    "repetition_penalty": None,
    "no_repeat_ngram_size": None,
    "batch_size": 8,
    "max_new_tokens": 128,
}
ROWS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("fp32", {"Float32": True, "NoQuantization": True, "DynamicCache": True}),
    ("bf16", {"BFloat16": True, "NoQuantization": True, "DynamicCache": True}),
    ("int8 torchao", {"BFloat16": True, "Int8WeightOnly": True, "DynamicCache": True}),
    ("int8 bitsandbytes", {"BFloat16": True, "BnbInt8": True, "DynamicCache": True}),
    ("nf4 bitsandbytes", {"BFloat16": True, "Bnb4Bit": True, "bnb_4bit_quant_type": "nf4",
                          "DoubleQuantization": False, "DynamicCache": True}),
    ("bf16 offloaded cache", {"BFloat16": True, "NoQuantization": True, "OffloadedCache": True}),
    ("bf16 on 2 GPUs", {"BFloat16": True, "NoQuantization": True, "DynamicCache": True,
                        "gpus": 2, "device_map": "balanced"}),
)  # fmt: skip
INPUT_TOKENS = 128


def compare_settings(torch: Any, device: str, *, fake: bool) -> None:
    """Print one line per row: load time, energy, latency, throughput, energy per token."""
    from transformers import AutoConfig

    cuda = device.startswith("cuda")
    host = Host(torch.cuda.device_count()) if cuda else Host(0)
    model, fixes = fix_to_host(load_model(HF_GENERATION_MODEL), host)
    reasoner = Reasoner(model)
    if fake:
        config = AutoConfig.from_pretrained(TINY_LLM)
        common = {**COMMON, "batch_size": 2, "max_new_tokens": 32}
    else:
        config = AutoConfig.for_model(**LLAMA_1B)
        common = COMMON
    started = time.perf_counter()
    weights = random_weights_dir(config, seed=0)
    print(
        f"\nsettings on {host.label}, host fixes: {', '.join(f.constraint for f in fixes)}; "
        f"random weights {weights.name} ready in {time.perf_counter() - started:.1f} s; "
        f"batch {common['batch_size']}, {INPUT_TOKENS} tokens in, "
        f"{common['max_new_tokens']} out"
    )
    sensor = NvmlSensor(synchronize=torch.cuda.synchronize if cuda else None)
    print(f"{'configuration':>22} {'load s':>7} {'J':>9} {'s':>7} {'tok/s':>8} {'J/tok':>8}  peak")
    try:
        for label, choices in ROWS:
            print(f"{label:>22} " + _row(torch, device, reasoner, weights, {**common, **choices},
                                         sensor))  # fmt: skip
    finally:
        sensor.close()


def _row(torch: Any, device: str, reasoner: Reasoner, weights: Any, partial: dict,
         sensor: NvmlSensor) -> str:  # fmt: skip
    """One configuration measured, or why it was skipped."""
    from transformers import AutoModelForCausalLM

    config = reasoner.complete(partial)
    if config is None:
        return "skipped: not valid on this host (see its fixes above)"
    settings = generation_settings(config)
    try:
        kwargs = load_arguments(settings.load_kwargs, device, settings.device, settings.gpus)
    except PimpError as exc:
        return f"skipped: {exc}"
    cuda = device.startswith("cuda")
    try:
        started = time.perf_counter()
        model = AutoModelForCausalLM.from_pretrained(str(weights), **kwargs)
        if "device_map" not in kwargs:
            model.to(device)
        model.eval()
        load_s = time.perf_counter() - started
        batch, new = settings.batch_size, settings.generate_kwargs["max_new_tokens"]
        generator = torch.Generator().manual_seed(0)
        vocab = model.config.get_text_config().vocab_size
        ids = torch.randint(3, vocab, (batch, INPUT_TOKENS), generator=generator)
        inputs = {"input_ids": ids.to(model.device), "attention_mask": torch.ones_like(ids)
                  .to(model.device)}  # fmt: skip
        gen = {**settings.generate_kwargs, "min_new_tokens": new, "pad_token_id": 0}
        with torch.inference_mode():
            model.generate(**inputs, **{**gen, "max_new_tokens": 2, "min_new_tokens": 2})
            if cuda:
                torch.cuda.synchronize()
                torch.cuda.reset_peak_memory_stats()
            token = sensor.open_window()
            out = model.generate(**inputs, **gen)
            reading = sensor.close_window(token)
    except Exception as exc:  # noqa: BLE001 - a row that fails says why, the others go on
        return f"failed: {type(exc).__name__}: {str(exc)[:200]}"
    finally:
        model = None
        if cuda:
            torch.cuda.empty_cache()
    tokens = (out.shape[1] - INPUT_TOKENS) * batch
    joules = sum(reading.per_device[: settings.gpus])
    peak = (
        f"{sum(torch.cuda.max_memory_allocated(i) for i in range(settings.gpus)) / 2**30:.1f} GiB"
        if cuda else "-"
    )  # fmt: skip
    short = " (short window)" if reading.short_window else ""
    return (
        f"{load_s:7.1f} {joules:9.1f} {reading.seconds:7.2f} {tokens / reading.seconds:8.1f} "
        f"{joules / tokens:8.4f}  {peak}{short}"
    )
