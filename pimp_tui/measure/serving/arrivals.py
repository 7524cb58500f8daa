"""A configuration's serving settings (the Serving part of sample_models/hf_serving.uvl) and
the arrival schedule they give: when each request arrives and when the server releases it to
the batcher.

Offline: every request arrives at 0. Poisson: exponential inter-arrival times of mean
1/arrival_rate. Bursts: burst_size requests at 0, burst_interval_s, 2*burst_interval_s, ...
Shaped: Poisson arrivals at shaped_rate, held and released in groups of group_size, a group
leaving when its last member arrives or when its first has waited max_hold_s, whichever comes
first. Everywhere but Shaped a request is released when it arrives. Times are seconds from the
start of the run's window; the draw is seeded, so a configuration's repetition replays the same
stream. A `--duration S` bound drops the requests arriving after S.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from pimp_tui.errors import PimpError

ARRIVALS = ("Offline", "Poisson", "Bursts", "Shaped")
BATCHING = ("StaticBatching", "ContinuousBatching")


@dataclass(frozen=True)
class ServingSettings:
    """How requests reach the model and how they are batched."""

    batching: str = "static"
    """'static' (generate() on full batches) or 'continuous'."""
    max_batch_tokens: int | None = None
    arrival: str = "offline"
    """'offline', 'poisson', 'bursts' or 'shaped'."""
    rate: float | None = None
    """Requests per second (poisson, shaped)."""
    burst_size: int | None = None
    burst_interval_s: float | None = None
    group_size: int | None = None
    max_hold_s: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


def serving_settings(config: Mapping[str, Any]) -> ServingSettings:
    """The serving settings of a configuration (keys may carry an import alias); a
    configuration without a Serving part is served offline in static batches."""
    plain = {key.rpartition(".")[2]: value for key, value in config.items()}
    batching = "continuous" if plain.get("ContinuousBatching") is True else "static"
    tokens = plain.get("max_batch_tokens")
    common: dict[str, Any] = {
        "batching": batching,
        "max_batch_tokens": None if tokens is None else int(tokens),
    }
    if plain.get("Poisson") is True:
        return ServingSettings(**common, arrival="poisson", rate=_positive(plain, "arrival_rate"))
    if plain.get("Bursts") is True:
        return ServingSettings(
            **common, arrival="bursts", burst_size=int(_positive(plain, "burst_size")),
            burst_interval_s=_positive(plain, "burst_interval_s"),
        )  # fmt: skip
    if plain.get("Shaped") is True:
        return ServingSettings(
            **common, arrival="shaped", rate=_positive(plain, "shaped_rate"),
            group_size=int(_positive(plain, "group_size")),
            max_hold_s=_positive(plain, "max_hold_s", zero=True),
        )  # fmt: skip
    return ServingSettings(**common)


def _positive(plain: Mapping[str, Any], name: str, zero: bool = False) -> float:
    value = plain.get(name)
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise PimpError(f"{name} must be a number, not {value!r}") from None
    if number < 0 or (number == 0 and not zero):
        raise PimpError(f"{name} must be positive, not {value!r}")
    return number


@dataclass(frozen=True)
class Arrival:
    """One request of the stream: its index into the prompts, when it arrives and when the
    server hands it to the batcher (seconds from the window's start)."""

    index: int
    arrival: float
    release: float


def schedule(
    settings: ServingSettings, requests: int, seed: int | str, duration: float | None = None
) -> list[Arrival]:
    """The run's request stream, in release order."""
    if requests < 1:
        raise PimpError("a serving run needs at least one request")
    rng = random.Random(f"arrivals:{seed}")
    kind = settings.arrival
    if kind == "offline":
        times = [0.0] * requests
    elif kind in ("poisson", "shaped"):
        times, t = [], 0.0
        for _ in range(requests):
            times.append(t)
            t += rng.expovariate(float(settings.rate))  # type: ignore[arg-type]
    elif kind == "bursts":
        size, every = int(settings.burst_size or 1), float(settings.burst_interval_s or 0.0)
        times = [(i // size) * every for i in range(requests)]
    else:
        raise PimpError(f"unknown arrival process {kind!r}")
    if duration is not None:
        times = [t for t in times if t <= duration] or times[:1]
    releases = _shaped(times, settings) if kind == "shaped" else list(times)
    return [Arrival(i, a, r) for i, (a, r) in enumerate(zip(times, releases, strict=True))]


def replayed(times: Sequence[float], duration: float | None = None) -> list[Arrival]:
    """A recorded stream: request i arrives (and is released) at times[i], in time order."""
    kept = [(t, i) for i, t in enumerate(times) if duration is None or t <= duration]
    if not kept:
        raise PimpError("no traced request arrives within --duration")
    return [Arrival(i, t, t) for t, i in sorted(kept)]


def _shaped(times: list[float], settings: ServingSettings) -> list[float]:
    """Release times of requests held in groups: a group closes with its group_size-th member
    or when its first member has waited max_hold_s."""
    size, hold = int(settings.group_size or 1), float(settings.max_hold_s or 0.0)
    releases: list[float] = []
    start = 0
    while start < len(times):
        deadline = times[start] + hold
        end = start + 1
        while end < len(times) and end - start < size and times[end] <= deadline:
            end += 1
        # a full group leaves with its last member; otherwise the hold expires (the server
        # cannot know the stream has ended)
        release = times[end - 1] if end - start == size else deadline
        releases += [release] * (end - start)
        start = end
    return releases


class Clock(Protocol):
    """Time as the serving loops see it (seconds; only differences matter)."""

    def now(self) -> float: ...

    def sleep_until(self, moment: float) -> None: ...


class RealClock:
    """time.perf_counter (the clock transformers stamps continuous-batching results with);
    waits in short slices, calling `tick` between them (power trace, stop requests)."""

    def __init__(self, tick: Callable[[], None] | None = None, slice_s: float = 0.05) -> None:
        self.tick, self.slice_s = tick, slice_s

    def now(self) -> float:
        return time.perf_counter()

    def sleep_until(self, moment: float) -> None:
        while True:
            left = moment - time.perf_counter()
            if left <= 0:
                return
            time.sleep(min(left, self.slice_s))
            if self.tick:
                self.tick()
