"""One run: a task's prompts through `generate()` under one effective configuration, inside
one energy window, with the metrics the store keeps per run.

The runner maps the effective configuration with `measure.settings.generation_settings` (the
one mapping) and passes the result to `from_pretrained()` and `generate()` untouched; its
warm-up and prefill windows map the same configuration with a shorter output.

Any exception while loading or generating (out of memory, settings transformers rejects) makes
a failed run carrying the error text; the caller goes on with the next run.
"""

from __future__ import annotations

import json
import platform
import resource
import sys
import time
import traceback
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pimp_tui.measure.llm import LLM
from pimp_tui.measure.sensors.base import EnergyReading, Sensor
from pimp_tui.measure.settings import GenerationSettings, generation_settings, load_key
from pimp_tui.measure.tasks import Prompt, Task
from pimp_tui.variability.model import Value

WARMUP_TOKENS = 2
"""Enough for the first forward passes (allocations, kernels) without doubling a slow run."""
PREFILL_MIN_S = 1.0
"""A prefill window is repeated until it lasts this long (the counter's resolution)."""
PREFILL_MAX_PASSES = 20
ERROR_CHARS = 2000


@dataclass
class RunOutcome:
    """A finished run: 'done' with its metrics (runs-table column -> value), or 'failed'."""

    status: str
    metrics: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    outputs: list[dict[str, Any]] = field(default_factory=list)
    """Per prompt: its text, the reference answer, what was generated, whether it scored."""
    traceback: str | None = None
    requests: list[dict[str, Any]] = field(default_factory=list)
    """A serving run's per-request records (measure.serving.loop.RequestRecord.as_row)."""


@dataclass
class _Clock:
    """Marks when the first token exists: called as a stopping criterion, i.e. after every
    step has appended its token(s), for every decoding strategy (beam search and prompt-lookup
    included, where streamers are refused or a logits processor runs before the first forward
    pass). It never stops generation."""

    synchronize: Callable[[], Any] | None
    on_step: Callable[[], None] | None
    first: float | None = None

    def tick(self) -> None:
        if self.first is None:
            if self.synchronize:
                self.synchronize()
            self.first = time.perf_counter()
        if self.on_step:
            self.on_step()


def _criteria(clock: _Clock) -> Any:
    import torch
    from transformers import StoppingCriteria, StoppingCriteriaList

    class _Tick(StoppingCriteria):
        def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
            clock.tick()
            return torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)

    return StoppingCriteriaList([_Tick()])


def build_inputs(llm: LLM, task: Task, prompts: Sequence[Prompt]) -> dict:
    """Left-padded input tensors, through the chat template when the task uses it and the
    tokenizer has one."""
    tokenizer = llm.tokenizer
    if prompts and all(p.token_ids is not None for p in prompts):
        return _token_inputs(llm, [p.token_ids for p in prompts])  # type: ignore[misc]
    if task.chat and getattr(tokenizer, "chat_template", None):
        texts = [
            tokenizer.apply_chat_template(
                task.messages(p), tokenize=False, add_generation_prompt=True
            )
            for p in prompts
        ]
        special = False
    else:
        texts, special = [task.plain(p) for p in prompts], True
    tokenizer.padding_side = "left"
    enc = tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=special)
    if llm.vocab_size and len(tokenizer) > llm.vocab_size:
        enc["input_ids"] = enc["input_ids"] % llm.vocab_size
    return {k: v.to(llm.device) for k, v in enc.items()}


def _token_inputs(llm: LLM, rows: Sequence[Sequence[int]]) -> dict:
    """Tensors for prompts given as token ids, left-padded to the longest."""
    import torch

    width = max(len(row) for row in rows)
    pad = llm.tokenizer.pad_token_id or 0
    ids = [[pad] * (width - len(row)) + list(row) for row in rows]
    mask = [[0] * (width - len(row)) + [1] * len(row) for row in rows]
    enc = {"input_ids": torch.tensor(ids), "attention_mask": torch.tensor(mask)}
    if llm.vocab_size:
        enc["input_ids"] = enc["input_ids"] % llm.vocab_size
    return {k: v.to(llm.device) for k, v in enc.items()}


def shortened(
    effective: Mapping[str, Value | None], tokens: int, exact: bool
) -> GenerationSettings:
    """The settings of `effective` generating `tokens` new tokens (exactly that many when
    `exact`, else at most): the warm-up and the prefill windows."""
    return generation_settings(
        {**effective, "max_new_tokens": tokens, "min_new_tokens": tokens if exact else None}
    )


def _eos_ids(llm: LLM, model: Any) -> set[int]:
    eos = model.generation_config.eos_token_id
    ids = set(eos if isinstance(eos, list) else [eos] if eos is not None else [])
    if llm.tokenizer.eos_token_id is not None:
        ids.add(llm.tokenizer.eos_token_id)
    return ids


def _count_output(row: Sequence[int], eos: set[int], pad: int | None) -> int:
    """Tokens a sequence really produced: up to and including its first end-of-sequence."""
    for index, token in enumerate(row):
        if token in eos:
            return index + 1
        if pad is not None and token == pad:
            return index
    return len(row)


def run_configuration(
    llm: LLM,
    task: Task,
    effective: Mapping[str, Value | None],
    key: Hashable | None,
    sensor: Sensor,
    *,
    idle_watts: float = 0.0,
    on_step: Callable[[], None] | None = None,
    prefill_split: bool = False,
) -> RunOutcome:
    """Run every prompt of `task` once under the effective configuration (see
    `measure.settings.effective_configuration`); never raises for a generation error or a
    configuration the mapping rejects. `key` names the load-time settings (None: derived).

    With `prefill_split`, a second window times the same batches generating one token only
    (the prefill) and the decode is the rest: prefill + decode = the run's energy."""
    token = None
    settings: GenerationSettings | None = None
    try:
        settings = generation_settings(effective)
        key = load_key(settings) if key is None else key
        model = llm.model_for(settings.load_kwargs, key, device=settings.device, gpus=settings.gpus)
        gen_kwargs = settings.generate_kwargs
        batch = max(1, int(settings.batch_size))
        batches = [task.prompts[i : i + batch] for i in range(0, len(task.prompts), batch)]
        inputs = [build_inputs(llm, task, chunk) for chunk in batches]
        _reset_peak_memory(llm)
        if sensor.synchronize:
            sensor.synchronize()
        token = sensor.open_window()
        t0 = time.perf_counter()
        sequences, timings = [], []
        for enc in inputs:
            out, timing = _generate(model, enc, gen_kwargs, sensor.synchronize, on_step)
            sequences.append(out)
            timings.append(timing)
        if sensor.synchronize:
            sensor.synchronize()
        reading = sensor.close_window(token)
        latency = time.perf_counter() - t0
        token = None
        outcome = _finish(llm, task, batches, inputs, sequences, timings, reading, latency,
                          idle_watts)  # fmt: skip
        if prefill_split:
            prefill = shortened(effective, 1, exact=True).generate_kwargs
            outcome.metrics.update(_prefill_split(model, inputs, prefill, sensor, outcome.metrics))
        outcome.metrics.update(_context(llm, sensor, settings))
        return outcome
    except Exception as exc:
        if token is not None:
            try:
                sensor.close_window(token)
            except Exception:
                pass
        _after_failure(llm, exc)
        text = f"{type(exc).__name__}: {exc}".strip()
        return RunOutcome(
            "failed", _context(llm, sensor, settings), text[:ERROR_CHARS],
            traceback=traceback.format_exc()[-4 * ERROR_CHARS :],
        )  # fmt: skip


def _prefill_split(
    model: Any, inputs: list[dict], kwargs: dict, sensor: Sensor, metrics: dict
) -> dict:
    """Prefill energy and latency from one-token generations of the run's batches (`kwargs`),
    repeated until the window is long enough for the sensor; decode is the run's total minus
    that."""
    if sensor.synchronize:
        sensor.synchronize()
    token = sensor.open_window()
    t0 = time.perf_counter()
    passes = 0
    while passes < PREFILL_MAX_PASSES and (passes == 0 or time.perf_counter() - t0 < PREFILL_MIN_S):
        for enc in inputs:
            _generate(model, enc, kwargs, sensor.synchronize, None)
        passes += 1
    reading = sensor.close_window(token)
    seconds = (time.perf_counter() - t0) / passes
    joules = reading.joules / passes if reading.joules > 0 or not reading.short_window else None
    total, latency = metrics.get("energy_j"), metrics["latency_s"]
    return {
        "prefill_energy_j": joules,
        "decode_energy_j": None if joules is None or total is None else total - joules,
        "prefill_latency_s": seconds,
        "decode_latency_s": latency - seconds,
        "prefill_passes": passes,
        "prefill_short_window": int(reading.short_window),
    }


def _generate(
    model: Any,
    enc: dict,
    gen_kwargs: dict,
    synchronize: Callable[[], Any] | None,
    on_step: Callable[[], None] | None,
) -> tuple[Any, tuple[float, float | None, float, int]]:
    import torch

    clock = _Clock(synchronize, on_step)
    criteria = _criteria(clock)
    start = time.perf_counter()
    with torch.inference_mode():
        out = model.generate(**enc, **gen_kwargs, stopping_criteria=criteria)
    if synchronize:
        synchronize()
    end = time.perf_counter()
    sequences = out.sequences if hasattr(out, "sequences") else out
    return sequences, (start, clock.first, end, sequences.shape[1] - enc["input_ids"].shape[1])


def _finish(
    llm: LLM,
    task: Task,
    batches: list[tuple[Prompt, ...]],
    inputs: list[dict],
    sequences: list[Any],
    timings: list[tuple[float, float | None, float, int]],
    reading: EnergyReading,
    latency: float,
    idle_watts: float,
) -> RunOutcome:
    model = llm.model
    eos = _eos_ids(llm, model)
    pad = llm.tokenizer.pad_token_id
    pad = None if pad in eos else pad
    input_tokens = output_tokens = 0
    outputs: list[dict[str, Any]] = []
    scores: list[tuple[Prompt, bool]] = []
    ttfts, tpots = [], []
    for chunk, enc, seqs, (start, first, end, positions) in zip(
        batches, inputs, sequences, timings, strict=True
    ):
        prompt_len = enc["input_ids"].shape[1]
        input_tokens += int(enc["attention_mask"].sum())
        new = seqs[:, prompt_len:].tolist()
        output_tokens += sum(_count_output(row, eos, pad) for row in new)
        if first is not None:
            ttfts.append(first - start)
            if positions > 1:
                tpots.append((end - first) / (positions - 1))
        per_prompt = max(1, len(new) // len(chunk))
        for prompt, row in zip(chunk, new[::per_prompt], strict=False):
            text = "" if llm.cost_only else llm.tokenizer.decode(row, skip_special_tokens=True)
            scored = None if llm.cost_only or not task.scored else task.score(prompt, text)
            outputs.append(
                {"prompt": prompt.text, "answer": prompt.answer, "output": text, "correct": scored}
            )
            if scored is not None:
                scores.append((prompt, scored))
    requests = len(task.prompts)
    accuracy, correct = task.summarize(scores) if scores else (None, None)
    gross = reading.joules if reading.joules > 0 or not reading.short_window else None
    net = None if gross is None else reading.net_joules(idle_watts)
    metrics = {
        "energy_j": gross,
        "energy_net_j": net,
        "energy_per_token_j": _ratio(gross, output_tokens),
        "energy_net_per_token_j": _ratio(net, output_tokens),
        "energy_per_request_j": _ratio(gross, requests),
        "latency_s": latency,
        "ttft_s": sum(ttfts) / len(ttfts) if ttfts else None,
        "tpot_s": sum(tpots) / len(tpots) if tpots else None,
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "tokens_per_s": output_tokens / latency if latency > 0 else None,
        "accuracy": accuracy,
        "correct": correct,
        "requests": requests,
        "energy_method": reading.method,
        "short_window": int(reading.short_window),
        "window_s": reading.seconds,
    }
    metrics.update(_peak_memory(llm))
    return RunOutcome("done", metrics, None, outputs)


def _ratio(value: float | None, count: int) -> float | None:
    return None if value is None or count <= 0 else value / count


def _context(llm: LLM, sensor: Sensor, settings: GenerationSettings | None) -> dict:
    """What every run records, finished or failed: sensor, the exact arguments (None when the
    configuration could not be mapped), versions."""
    used = None
    if settings is not None:
        used = {
            "load": settings.load_kwargs,
            "generate": settings.generate_kwargs,
            "batch_size": settings.batch_size,
            "device": settings.device or llm.device,
            "gpus": settings.gpus,
        }
    return {
        "sensor": sensor.name,
        "power_source": sensor.power_source,
        "settings": None if used is None else json.dumps(used, sort_keys=True, default=str),
        "versions": json.dumps(library_versions(llm.device), sort_keys=True),
    }


def run_context(llm: LLM) -> dict[str, str | None]:
    """Where a run happens, recorded with it: the device and the hardware behind it."""
    versions = library_versions(llm.device)
    return {"device": llm.device, "hardware": versions.get("gpu") or versions.get("cpu")}


def _reset_peak_memory(llm: LLM) -> None:
    if llm.device.startswith("cuda"):
        import torch

        torch.cuda.reset_peak_memory_stats()


def _peak_memory(llm: LLM) -> dict:
    if llm.device.startswith("cuda"):
        import torch

        # The models kept for other settings sit in the same memory: they are not this run's.
        return {
            "peak_memory_bytes": int(torch.cuda.max_memory_allocated()) - llm.others_size(),
            "memory_source": "cuda max allocated",
        }
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    scale = 1 if sys.platform == "darwin" else 1024
    return {"peak_memory_bytes": int(rss * scale), "memory_source": "process peak rss"}


def _after_failure(llm: LLM, exc: BaseException) -> None:
    """Free what a failed run may hold (a failed load keeps nothing of its model; running out
    of memory drops every loaded model)."""
    if "out of memory" in str(exc).lower():
        llm.release()
    elif llm.device.startswith("cuda"):
        import torch

        torch.cuda.empty_cache()


def warm_up(
    llm: LLM, task: Task, effective: Mapping[str, Value | None], key: Hashable | None = None
) -> None:
    """A short untimed generation so the first window does not pay one-off start-up costs.
    Errors are left for the measured run to report."""
    try:
        settings = shortened(effective, WARMUP_TOKENS, exact=False)
        key = load_key(settings) if key is None else key
        model = llm.model_for(settings.load_kwargs, key, device=settings.device, gpus=settings.gpus)
        enc = build_inputs(llm, task, task.prompts[:1])
        _generate(model, enc, settings.generate_kwargs, None, None)
    except Exception as exc:
        _after_failure(llm, exc)


_VERSIONS: dict[str, dict] = {}


def library_versions(device: str) -> dict:
    """Versions and device behind every figure (computed once per device)."""
    if device not in _VERSIONS:
        import torch
        import transformers

        import pimp_tui

        found = {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "transformers": transformers.__version__,
            "pimp": getattr(pimp_tui, "__version__", None),
            "device": device,
            "machine": platform.machine(),
        }
        if device.startswith("cuda"):
            found["gpu"] = torch.cuda.get_device_name()
            found["cuda"] = torch.version.cuda
        else:
            found["cpu"] = platform.processor() or platform.machine()
        _VERSIONS[device] = found
    return _VERSIONS[device]
