"""One run: a task's prompts through `generate()` under one effective configuration, inside
one energy window, with the metrics the store keeps per run.

The runner maps the effective configuration with `measure.settings.generation_settings` (the
one mapping) and passes the result to `from_pretrained()` and `generate()` untouched; its
warm-up and prefill windows map the same configuration with a shorter output.

Any exception while loading or generating (out of memory, settings transformers rejects) makes
a failed run carrying the error text; the caller goes on with the next run.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pimp_tui.measure.device_memory import free_after_failure, peak_memory, reset_peak_memory
from pimp_tui.measure.generation import build_inputs, count_output, eos_ids, timed_generate
from pimp_tui.measure.llm import LLM
from pimp_tui.measure.provenance import run_provenance
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


def shortened(
    effective: Mapping[str, Value | None], tokens: int, exact: bool
) -> GenerationSettings:
    """The settings of `effective` generating `tokens` new tokens (exactly that many when
    `exact`, else at most): the warm-up and the prefill windows."""
    return generation_settings(
        {**effective, "max_new_tokens": tokens, "min_new_tokens": tokens if exact else None}
    )


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
        reset_peak_memory(llm)
        if sensor.synchronize:
            sensor.synchronize()
        token = sensor.open_window()
        t0 = time.perf_counter()
        sequences, timings = [], []
        for enc in inputs:
            out, timing = timed_generate(model, enc, gen_kwargs, sensor.synchronize, on_step)
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
        outcome.metrics.update(run_provenance(llm, sensor, settings))
        return outcome
    except Exception as exc:
        if token is not None:
            try:
                sensor.close_window(token)
            except Exception:
                pass
        free_after_failure(llm, exc)
        text = f"{type(exc).__name__}: {exc}".strip()
        return RunOutcome(
            "failed", run_provenance(llm, sensor, settings), text[:ERROR_CHARS],
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
            timed_generate(model, enc, kwargs, sensor.synchronize, None)
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
    eos = eos_ids(llm, model)
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
        output_tokens += sum(count_output(row, eos, pad) for row in new)
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
        "energy_per_token_j": ratio(gross, output_tokens),
        "energy_net_per_token_j": ratio(net, output_tokens),
        "energy_per_request_j": ratio(gross, requests),
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
    metrics.update(peak_memory(llm))
    return RunOutcome("done", metrics, None, outputs)


def ratio(value: float | None, count: int) -> float | None:
    return None if value is None or count <= 0 else value / count


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
        timed_generate(model, enc, settings.generate_kwargs, None, None)
    except Exception as exc:
        free_after_failure(llm, exc)
