"""One serving run on a real model: the configuration's request stream through static or
continuous batching inside one energy window.

The window opens when the first request may arrive and closes when the last one finishes, so
the energy of a slow arrival process includes the time the model waits for work; the
idle-subtracted figure takes the campaign's idle baseline out of it.
"""

from __future__ import annotations

import contextlib
import copy
import time
import traceback
import zlib
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any

from pimp_tui.measure.device_memory import free_after_failure, peak_memory, reset_peak_memory
from pimp_tui.measure.generation import build_inputs, count_output, eos_ids, timed_generate
from pimp_tui.measure.llm import LLM
from pimp_tui.measure.provenance import run_provenance
from pimp_tui.measure.runner import ERROR_CHARS, RunOutcome, ratio
from pimp_tui.measure.sensors.base import Sensor
from pimp_tui.measure.serving.arrivals import (
    Arrival,
    RealClock,
    replayed,
    schedule,
    serving_settings,
)
from pimp_tui.measure.serving.loop import Live, Served, aggregates, serve_continuous, serve_static
from pimp_tui.measure.settings import GenerationSettings, generation_settings, load_key
from pimp_tui.measure.tasks import Prompt, Task

CB_PAGE_SIZE = 64
"""Tokens per page of the continuous-batching cache (transformers' minimum is 4)."""


def run_serving(
    llm: LLM,
    task: Task,
    effective: Mapping[str, Any],
    key: Hashable | None,
    sensor: Sensor,
    *,
    requests: int,
    duration_s: float | None = None,
    seed: int | str = 0,
    idle_watts: float = 0.0,
    on_step: Callable[[], None] | None = None,
    live: Live | None = None,
    arrivals: Sequence[float] | None = None,
) -> RunOutcome:
    """Serve `requests` prompts of `task` (cycled) as the configuration says, or at the given
    `arrivals` (a replayed trace's, one per prompt); never raises for a generation error."""
    settings: GenerationSettings | None = None
    token = None
    try:
        settings = generation_settings(effective)
        serving = serving_settings(effective)
        key = load_key(settings) if key is None else key
        model = llm.model_for(settings.load_kwargs, key, device=settings.device, gpus=settings.gpus)
        stream = schedule(serving, requests, seed, duration_s)
        if arrivals is not None:
            stream = replayed(arrivals[:requests], duration_s)
        prompts = [task.prompts[a.index % len(task.prompts)] for a in stream]
        ids = {a.index: _ids(llm, task, p) for a, p in zip(stream, prompts, strict=True)}
        clock = RealClock(on_step)
        continuous = serving.batching == "continuous"
        engine = _Continuous(model, settings, serving.max_batch_tokens, ids, llm, seed)
        engine.tick = on_step
        reset_peak_memory(llm)
        # the manager starts and stops outside the window: it measures serving only
        with engine if continuous else contextlib.nullcontext():
            if sensor.synchronize:
                sensor.synchronize()
            token = sensor.open_window()
            t0 = time.perf_counter()
            if continuous:
                records, served = serve_continuous(
                    stream, engine, clock, lambda i: len(ids[i]), live
                )
            else:
                run_batch = _static_batches(llm, task, model, settings, prompts, stream, on_step)
                records, served = serve_static(
                    stream, settings.batch_size, run_batch, clock, lambda i: len(ids[i]), live
                )
            if sensor.synchronize:
                sensor.synchronize()
            reading = sensor.close_window(token)
            window = time.perf_counter() - t0
            token = None
        outputs = _score(llm, task, records, served, prompts)
        metrics = _metrics(records, reading, window, idle_watts, task, outputs)
        metrics.update(peak_memory(llm))
        metrics.update(run_provenance(llm, sensor, settings))
        return RunOutcome("done", metrics, None, outputs, requests=[r.as_row() for r in records])
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


def _ids(llm: LLM, task: Task, prompt: Prompt) -> list[int]:
    """A prompt's input tokens as one request sends them (no padding)."""
    return [int(i) for i in build_inputs(llm, task, [prompt])["input_ids"][0].tolist()]


def _static_batches(
    llm: LLM, task: Task, model: Any, settings: GenerationSettings,
    prompts: Sequence[Prompt], stream: Sequence[Arrival], on_step: Callable[[], None] | None,
) -> Callable[[Sequence[Arrival]], list[Served]]:  # fmt: skip
    """generate() on a batch of requests, left-padded as an offline run pads them."""
    position = {a.index: i for i, a in enumerate(stream)}
    eos = eos_ids(llm, model)
    pad = llm.tokenizer.pad_token_id
    pad = None if pad in eos else pad

    def run_batch(chunk: Sequence[Arrival]) -> list[Served]:
        enc = build_inputs(llm, task, [prompts[position[a.index]] for a in chunk])
        sequences, (start, first, end, _) = timed_generate(
            model, enc, settings.generate_kwargs, None, on_step
        )
        width = enc["input_ids"].shape[1]
        rows = sequences[:, width:].tolist()
        step = max(1, len(rows) // len(chunk))  # num_return_sequences > 1: the first of each
        return [
            Served(start, first, end, count_output(row, eos, pad), row)
            for row in rows[::step][: len(chunk)]
        ]

    return run_batch


class _Continuous:
    """transformers' ContinuousBatchingManager as a serving engine: at most batch_size requests
    per forward pass, per-token timestamps recorded."""

    def __init__(
        self, model: Any, settings: GenerationSettings, max_batch_tokens: int | None,
        ids: Mapping[int, list[int]], llm: LLM, seed: int | str,
    ) -> None:  # fmt: skip
        self.model, self.settings, self.max_batch_tokens = model, settings, max_batch_tokens
        self.ids, self.llm, self.seed = ids, llm, seed
        self.manager: Any = None
        self.new = 0
        self.tick: Callable[[], None] | None = None

    def __enter__(self) -> _Continuous:
        from transformers.generation.configuration_utils import ContinuousBatchingConfig

        model, settings, llm, ids = self.model, self.settings, self.llm, self.ids
        max_batch_tokens, seed = self.max_batch_tokens, self.seed
        kwargs = dict(settings.generate_kwargs)
        for ignored in ("use_cache", "cache_implementation", "min_new_tokens"):
            kwargs.pop(ignored, None)
        config = copy.deepcopy(model.generation_config)
        config.update(**kwargs)
        if llm.cost_only or config.eos_token_id is None:
            config.eos_token_id = -1  # random weights: exactly max_new_tokens, as generate() runs
        longest = max(len(v) for v in ids.values())
        new = int(config.max_new_tokens or 20)
        pages = -(-(longest + new) // CB_PAGE_SIZE)
        batch = max(1, settings.batch_size)
        self.cb = ContinuousBatchingConfig(
            page_size=CB_PAGE_SIZE,
            num_blocks=max(pages * batch, 1) + batch,
            max_batch_tokens=max_batch_tokens or max(longest, CB_PAGE_SIZE) * batch,
            max_requests_per_batch=batch,
            allow_block_sharing=False,
            drop_unsupported_processors=False,
            seed=zlib.crc32(str(seed).encode()),
        )
        self.new = new
        self.manager = model.init_continuous_batching(
            generation_config=config, continuous_batching_config=self.cb
        )
        self.manager.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.manager.stop(block=True, timeout=30)
        self.manager.destroy()

    def submit(self, arrival: Arrival) -> None:
        self.manager.add_request(
            self.ids[arrival.index], request_id=str(arrival.index), max_new_tokens=self.new,
            record_timestamps=True,
        )  # fmt: skip

    def collect(self, until: float | None) -> list[tuple[int, Served]]:
        found: list[tuple[int, Served]] = []
        while True:
            if self.tick:
                self.tick()
            left = 1.0 if until is None else until - time.perf_counter()
            if left <= 0 and not found:
                return found
            result = self.manager.get_result(timeout=max(0.0, min(left, 0.05)) or 0.001)
            if result is None:
                if found or (until is not None and time.perf_counter() >= until):
                    return found
                if not self.manager.is_running():
                    raise RuntimeError("the continuous-batching loop stopped")
                continue
            if not result.is_finished():
                continue
            if result.error is not None:
                raise RuntimeError(f"request {result.request_id}: {result.error}")
            stamps = result.timestamps or []
            start, finish = result.lifespan
            tokens = list(result.generated_tokens)
            found.append(
                (int(result.request_id), Served(start, stamps[0] if stamps else None, finish,
                                                len(tokens), tokens))
            )  # fmt: skip


def _score(
    llm: LLM, task: Task, records: Sequence[Any], served: Sequence[Served],
    prompts: Sequence[Prompt],
) -> list[dict[str, Any]]:  # fmt: skip
    """Per request: prompt, answer, output, whether it scored (records gain `correct`)."""
    outputs = []
    for record, done in zip(records, served, strict=True):
        prompt = prompts[record.index]
        text = ""
        if not llm.cost_only:
            text = llm.tokenizer.decode(done.output_ids, skip_special_tokens=True)
        scored = None if llm.cost_only or not task.scored else task.score(prompt, text)
        record.correct = scored
        outputs.append(
            {"prompt": prompt.text, "answer": prompt.answer, "output": text, "correct": scored}
        )
    return outputs


def _metrics(
    records: Sequence[Any], reading: Any, window: float, idle_watts: float, task: Task,
    outputs: Sequence[dict[str, Any]],
) -> dict[str, Any]:  # fmt: skip
    n = len(records)
    tokens_in = sum(r.input_tokens for r in records)
    tokens_out = sum(r.output_tokens for r in records)
    gross = reading.joules if reading.joules > 0 or not reading.short_window else None
    net = None if gross is None else reading.net_joules(idle_watts)
    scored = [o["correct"] for o in outputs if o["correct"] is not None]
    return {
        "energy_j": gross,
        "energy_net_j": net,
        "energy_per_token_j": ratio(gross, tokens_out),
        "energy_net_per_token_j": ratio(net, tokens_out),
        "energy_per_request_j": ratio(gross, n),
        "energy_net_per_request_j": ratio(net, n),
        "latency_s": window,
        "input_tokens": tokens_in,
        "output_tokens": tokens_out,
        "tokens_per_s": tokens_out / window if window > 0 else None,
        "accuracy": sum(scored) / len(scored) if scored else None,
        "correct": sum(scored) if scored else None,
        "requests": n,
        "energy_method": reading.method,
        "short_window": int(reading.short_window),
        "window_s": reading.seconds,
        **aggregates(records, window),
    }
