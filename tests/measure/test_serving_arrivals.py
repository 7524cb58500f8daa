"""Serving: arrival processes and the batching loops, on a fake clock and a fake sensor."""

from __future__ import annotations

import math
import statistics

import pytest

from pimp_tui.errors import PimpError
from pimp_tui.measure.sensors import NvmlSensor
from pimp_tui.measure.serving.arrivals import ServingSettings, schedule, serving_settings
from pimp_tui.measure.serving.loop import (
    Served,
    aggregates,
    percentile,
    serve_continuous,
    serve_static,
)
from tests.fakes.fake_pynvml import FakeGpu, ManualClock


class FakeClock:
    """The serving loops' clock over a ManualClock: sleeping moves time on."""

    def __init__(self, manual: ManualClock) -> None:
        self.manual = manual

    def now(self) -> float:
        return self.manual()

    def sleep_until(self, moment: float) -> None:
        if moment > self.manual():
            self.manual.advance(moment - self.manual())


def test_poisson_inter_arrival_times_have_mean_one_over_rate() -> None:
    rate, n = 4.0, 4001
    stream = schedule(ServingSettings(arrival="poisson", rate=rate), n, seed=7)
    gaps = [b.arrival - a.arrival for a, b in zip(stream, stream[1:], strict=False)]
    mean = statistics.fmean(gaps)
    # Exponential gaps: the sample mean of 4,000 has standard error (1/rate)/sqrt(4000), about
    # 0.004 s; 4 standard errors leave a correct generator a 6e-5 chance of failing (the seed
    # is fixed, so the check is repeatable) and catch a rate off by 7% or more.
    assert abs(mean - 1 / rate) < 4 * (1 / rate) / math.sqrt(len(gaps))
    # and they are exponential, not evenly spaced: standard deviation equal to the mean
    assert statistics.stdev(gaps) / mean == pytest.approx(1.0, abs=0.1)
    assert all(a.release == a.arrival for a in stream)
    # the same seed replays the same stream, another draws another
    assert schedule(ServingSettings(arrival="poisson", rate=rate), n, seed=7) == stream
    assert schedule(ServingSettings(arrival="poisson", rate=rate), n, seed=8) != stream


def test_shaped_arrivals_release_in_the_stated_groups() -> None:
    shaped = ServingSettings(arrival="shaped", rate=10.0, group_size=4, max_hold_s=100.0)
    stream = schedule(shaped, 10, seed=3)
    poisson = schedule(ServingSettings(arrival="poisson", rate=10.0), 10, seed=3)
    assert [a.arrival for a in stream] == [a.arrival for a in poisson]
    groups = [stream[0:4], stream[4:8], stream[8:10]]
    for group in groups[:2]:  # full groups leave with their fourth member
        assert {a.release for a in group} == {group[-1].arrival}
    # the last group never fills: it leaves when its first member has been held max_hold_s
    assert {a.release for a in groups[2]} == {groups[2][0].arrival + 100.0}
    assert len({a.release for a in stream}) == 3


def test_shaped_groups_close_when_the_hold_expires() -> None:
    shaped = ServingSettings(arrival="shaped", rate=1.0, group_size=8, max_hold_s=0.5)
    stream = schedule(shaped, 200, seed=1)
    for a in stream:
        assert a.arrival <= a.release <= a.arrival + 0.5 + 1e-12
    sizes: dict[float, int] = {}
    for a in stream:
        sizes[a.release] = sizes.get(a.release, 0) + 1
    assert max(sizes.values()) <= 8
    assert len(sizes) > 200 / 8  # at one request a second, most groups close on the hold


def test_bursts_and_offline() -> None:
    bursts = schedule(ServingSettings(arrival="bursts", burst_size=3, burst_interval_s=2.0), 7, 0)
    assert [a.arrival for a in bursts] == [0, 0, 0, 2, 2, 2, 4]
    assert [a.arrival for a in schedule(ServingSettings(), 3, 0)] == [0, 0, 0]
    pairs = ServingSettings(arrival="bursts", burst_size=2, burst_interval_s=1.0)
    cut = schedule(pairs, 10, 0, duration=2.5)
    assert [a.arrival for a in cut] == [0, 0, 1, 1, 2, 2]


def test_settings_of_a_composed_configuration() -> None:
    config = {"gen.GreedySearch": True, "ContinuousBatching": True, "max_batch_tokens": 256,
              "Shaped": True, "shaped_rate": 4.0, "group_size": 2, "max_hold_s": 0.5}  # fmt: skip
    settings = serving_settings(config)
    assert (settings.batching, settings.arrival, settings.group_size) == ("continuous", "shaped", 2)
    assert serving_settings({"gen.GreedySearch": True}) == ServingSettings()
    with pytest.raises(PimpError, match="arrival_rate"):
        serving_settings({"Poisson": True, "arrival_rate": 0})


def test_queue_wait_is_measured_from_arrival(fake_nvml) -> None:
    """Static batches of 2 taking 1 s each on a fake clock, inside a fake GPU's energy window."""
    manual = ManualClock()
    fake_nvml([FakeGpu(power=100.0)], clock=manual)
    sensor = NvmlSensor(clock=manual)
    clock = FakeClock(manual)
    stream = schedule(ServingSettings(arrival="bursts", burst_size=1, burst_interval_s=0.25), 4, 0)

    def run_batch(chunk):  # noqa: ANN001, ANN202
        start = clock.now()
        manual.advance(0.2)
        first = clock.now()
        manual.advance(0.8)
        return [Served(start, first, clock.now(), 5) for _ in chunk]

    manual.advance(1.0)
    token = sensor.open_window()
    records, _ = serve_static(stream, 2, run_batch, clock, lambda i: 10)
    reading = sensor.close_window(token)
    # arrivals 0, .25, .5, .75; batch 1 starts when its 2nd member arrives (0.25) and ends at
    # 1.25; batch 2 waits for the model, starts at 1.25 and ends at 2.25
    assert [r.arrival for r in records] == [0, 0.25, 0.5, 0.75]
    assert [r.start for r in records] == pytest.approx([0.25, 0.25, 1.25, 1.25])
    assert [r.queue_wait for r in records] == pytest.approx([0.25, 0.0, 0.75, 0.5])
    assert [r.ttft for r in records] == pytest.approx([0.45, 0.2, 0.95, 0.7])
    assert [r.latency for r in records] == pytest.approx([1.25, 1.0, 1.75, 1.5])
    assert records[0].tpot == pytest.approx(0.8 / 4)
    figures = aggregates(records, reading.seconds)
    assert figures["latency_p50_s"] == pytest.approx(1.375)
    assert figures["queue_wait_mean_s"] == pytest.approx(0.375)
    assert figures["requests_per_s"] == pytest.approx(4 / 2.25)
    assert reading.joules == pytest.approx(100.0 * 2.25, rel=0.05)


def test_continuous_loop_submits_at_release_and_waits_from_arrival() -> None:
    """A fake engine that serves each request in 0.5 s, one at a time: queue wait counts the
    shaper's hold and the time behind the previous request."""
    manual = ManualClock()
    clock = FakeClock(manual)
    shaped = ServingSettings(arrival="shaped", rate=2.0, group_size=2, max_hold_s=10.0)
    stream = schedule(shaped, 4, seed=5)

    class Engine:
        def __init__(self) -> None:
            self.queue: list = []
            self.free_at = 0.0
            self.submitted: list[tuple[int, float]] = []

        def submit(self, arrival) -> None:  # noqa: ANN001
            self.submitted.append((arrival.index, clock.now()))
            self.queue.append(arrival.index)

        def collect(self, until):  # noqa: ANN001, ANN202
            if not self.queue:
                clock.sleep_until(until)
                return []
            index = self.queue.pop(0)
            start = max(clock.now(), self.free_at)
            self.free_at = start + 0.5
            clock.sleep_until(self.free_at)
            return [(index, Served(start, start + 0.1, self.free_at, 3))]

    engine = Engine()
    t0 = manual()
    records, _ = serve_continuous(stream, engine, clock, lambda i: 1)
    for (index, when), arrival in zip(engine.submitted, stream, strict=True):
        assert index == arrival.index
        assert when - t0 >= arrival.release - 1e-9  # never before its group is released
    for record in records:
        assert record.queue_wait >= record.release - record.arrival - 1e-9
        assert record.latency == pytest.approx(record.queue_wait + 0.5)


def test_percentile_interpolates_like_numpy() -> None:
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile([5.0], 99) == 5.0
    assert percentile([], 50) is None
    assert percentile(list(range(101)), 99) == pytest.approx(99.0)
