"""The two batching loops over an arrival schedule, and what a run reports.

Both take a clock, so tests drive them with a fake one. Static batching takes the requests in
release order in full batches of `batch_size` (the last may be smaller): a batch starts when
its last member has been released and the model is free, and every member finishes when the
batch does (one generate() call). Continuous batching hands each request to an engine the
moment it is released and collects results as the engine finishes them.

Per request (seconds from the window's start): arrival, release, start (taken into a batch or
scheduled by the engine), first token, finish. Queue wait is start - arrival (so a shaped
request's hold counts), TTFT first token - arrival, TPOT (finish - first token) / (output
tokens - 1), latency finish - arrival.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from pimp_tui.measure.serving.arrivals import Arrival, Clock


@dataclass
class Served:
    """What the model did for one request (absolute clock times)."""

    start: float
    first_token: float | None
    finish: float
    output_tokens: int
    output_ids: Sequence[int] = ()


@dataclass
class RequestRecord:
    """One request of a run, times in seconds from the window's start."""

    index: int
    arrival: float
    release: float
    start: float
    first_token: float | None
    finish: float
    input_tokens: int
    output_tokens: int
    correct: bool | None = None

    @property
    def queue_wait(self) -> float:
        return self.start - self.arrival

    @property
    def ttft(self) -> float | None:
        return None if self.first_token is None else self.first_token - self.arrival

    @property
    def tpot(self) -> float | None:
        if self.first_token is None or self.output_tokens < 2:
            return None
        return (self.finish - self.first_token) / (self.output_tokens - 1)

    @property
    def latency(self) -> float:
        return self.finish - self.arrival

    def as_row(self) -> dict[str, Any]:
        return {
            "position": self.index, "arrival_s": self.arrival, "release_s": self.release,
            "start_s": self.start, "first_token_s": self.first_token, "finish_s": self.finish,
            "input_tokens": self.input_tokens, "output_tokens": self.output_tokens,
            "correct": None if self.correct is None else int(self.correct),
        }  # fmt: skip


class Live:
    """A serving run's progress as other windows see it: requests arrived, in flight and
    finished, and the latencies so far (read from another thread; updated by the loops)."""

    def __init__(self) -> None:
        self.t0: float | None = None
        self.arrivals: list[float] = []
        self.latencies: list[float] = []

    def start(self, t0: float, stream: Sequence[Arrival]) -> None:
        self.t0, self.arrivals = t0, sorted(a.arrival for a in stream)

    def snapshot(self, now: float) -> dict[str, Any]:
        arrived = 0 if self.t0 is None else bisect.bisect_right(self.arrivals, now - self.t0)
        finished = len(self.latencies)
        return {
            "arrived": arrived, "finished": finished, "in_flight": max(0, arrived - finished),
            "total": len(self.arrivals), "elapsed_s": 0.0 if self.t0 is None else now - self.t0,
            "latencies": [round(x, 4) for x in self.latencies],
        }  # fmt: skip


RunBatch = Callable[[Sequence[Arrival]], list[Served]]
"""Serve a batch of requests at once (blocking); one Served per request, in order."""


def serve_static(
    stream: Sequence[Arrival],
    batch_size: int,
    run_batch: RunBatch,
    clock: Clock,
    input_tokens: Callable[[int], int],
    live: Live | None = None,
) -> tuple[list[RequestRecord], list[Served]]:
    """Full batches in release order, each started once its last member is released."""
    t0 = clock.now()
    live = live or Live()
    live.start(t0, stream)
    records, served_all = [], []
    batch_size = max(1, batch_size)
    for first in range(0, len(stream), batch_size):
        chunk = stream[first : first + batch_size]
        clock.sleep_until(t0 + max(a.release for a in chunk))
        for arrival, served in zip(chunk, run_batch(chunk), strict=True):
            records.append(_record(arrival, served, t0, input_tokens(arrival.index)))
            served_all.append(served)
            live.latencies.append(records[-1].latency)
    return records, served_all


class Engine(Protocol):
    """A continuous batcher: requests go in as they are released, results come out as they
    finish."""

    def submit(self, arrival: Arrival) -> None: ...

    def collect(self, until: float | None) -> list[tuple[int, Served]]:
        """Finished requests (index, what was served), waiting at most until `until` (clock
        time; None: until at least one finishes)."""
        ...


def serve_continuous(
    stream: Sequence[Arrival],
    engine: Engine,
    clock: Clock,
    input_tokens: Callable[[int], int],
    live: Live | None = None,
) -> tuple[list[RequestRecord], list[Served]]:
    """Each request submitted at its release time; returns when every one has finished."""
    t0 = clock.now()
    live = live or Live()
    live.start(t0, stream)
    by_index = {a.index: a for a in stream}
    finished: dict[int, Served] = {}
    pending = sorted(stream, key=lambda a: (a.release, a.index))
    next_up = 0
    while len(finished) < len(stream):
        now = clock.now()
        while next_up < len(pending) and t0 + pending[next_up].release <= now:
            engine.submit(pending[next_up])
            next_up += 1
        until = t0 + pending[next_up].release if next_up < len(pending) else None
        for index, served in engine.collect(until):
            finished[index] = served
            live.latencies.append(served.finish - t0 - by_index[index].arrival)
        if until is not None and clock.now() < until and len(finished) < len(stream):
            clock.sleep_until(until)
    order = sorted(finished)
    records = [_record(by_index[i], finished[i], t0, input_tokens(i)) for i in order]
    return records, [finished[i] for i in order]


def _record(arrival: Arrival, served: Served, t0: float, n_in: int) -> RequestRecord:
    first = None if served.first_token is None else served.first_token - t0
    return RequestRecord(
        arrival.index, arrival.arrival, arrival.release, served.start - t0, first,
        served.finish - t0, n_in, served.output_tokens,
    )  # fmt: skip


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0..100), linear between order statistics (numpy's default)."""
    data = sorted(values)
    if not data:
        return None
    position = (len(data) - 1) * q / 100.0
    low, high = math.floor(position), math.ceil(position)
    return data[low] + (data[high] - data[low]) * (position - low)


def aggregates(records: Sequence[RequestRecord], window_s: float) -> dict[str, float | None]:
    """A run's latency figures (the runs-table columns of a serving run)."""
    latency = [r.latency for r in records]
    ttft = [t for r in records if (t := r.ttft) is not None]
    tpot = [t for r in records if (t := r.tpot) is not None]
    wait = [r.queue_wait for r in records]
    return {
        "latency_p50_s": percentile(latency, 50),
        "latency_p90_s": percentile(latency, 90),
        "latency_p99_s": percentile(latency, 99),
        "ttft_s": sum(ttft) / len(ttft) if ttft else None,
        "ttft_p50_s": percentile(ttft, 50),
        "ttft_p99_s": percentile(ttft, 99),
        "tpot_s": sum(tpot) / len(tpot) if tpot else None,
        "queue_wait_mean_s": sum(wait) / len(wait) if wait else None,
        "queue_wait_p99_s": percentile(wait, 99),
        "requests_per_s": len(records) / window_s if window_s > 0 else None,
    }
