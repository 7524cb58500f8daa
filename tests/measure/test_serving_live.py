"""A serving run in flight as the Monitor sees it: progress written by the campaign, read back
through the monitor service with J/request from the live power, rendered as one line."""

from __future__ import annotations

import time

from pimp_tui.measure.serving.arrivals import ServingSettings, schedule
from pimp_tui.measure.serving.loop import Live, Served, serve_static
from pimp_tui.services.monitor import campaign_state
from pimp_tui.store import campaigns as store
from pimp_tui.store.control import add_live_power
from pimp_tui.store.db import open_store
from pimp_tui.store.requests import set_live_serving
from pimp_tui.widgets.serving import histogram, serving_text
from tests.fakes.fake_pynvml import ManualClock
from tests.measure.test_serving_arrivals import FakeClock


def test_live_progress_counts_arrivals_in_flight_and_finished() -> None:
    manual = ManualClock()
    clock = FakeClock(manual)
    stream = schedule(ServingSettings(arrival="bursts", burst_size=2, burst_interval_s=1.0), 6, 0)
    live = Live()
    seen = []

    def run_batch(chunk):  # noqa: ANN001, ANN202
        seen.append(live.snapshot(clock.now()))
        start = clock.now()
        manual.advance(1.5)
        return [Served(start, start + 0.5, clock.now(), 4) for _ in chunk]

    serve_static(stream, 2, run_batch, clock, lambda i: 3, live)
    # batch 1 at 0 (2 arrived), batch 2 at 1.5 (4 arrived, 2 done), batch 3 at 3.0 (6, 4 done)
    assert [(s["arrived"], s["finished"], s["in_flight"]) for s in seen] == [
        (2, 0, 2), (4, 2, 2), (6, 4, 2),
    ]  # fmt: skip
    final = live.snapshot(clock.now())
    assert final["finished"] == 6 and final["latencies"][:2] == [1.5, 1.5]


def test_monitor_reads_a_serving_run_in_flight(tmp_path) -> None:
    path = tmp_path / "pimp.db"
    db = open_store(path)
    db.execute("INSERT INTO feature_models (name, uvl) VALUES ('s', 'features')")
    db.execute("INSERT INTO samples (model_id, name, algorithm) VALUES (1, 's', 'csv')")
    db.execute("INSERT INTO configurations (sample_id, position, config) VALUES (1, 0, '{}')")
    db.conn.commit()
    cid = store.create_campaign(db, sample_id=1, task="serving", prompts=4, repetitions=1,
                                llm="tiny")  # fmt: skip
    store.set_status(db, cid, "running")
    run_id = store.pending_runs(db, cid)[0]["id"]
    store.start_run(db, cid, run_id)
    now = time.time()
    add_live_power(db, cid, [(now - 2.0, 0, 50.0), (now - 1.0, 0, 50.0), (now, 0, 50.0)])
    state = {"arrived": 3, "finished": 2, "in_flight": 1, "total": 4, "elapsed_s": 2.0,
             "latencies": [0.4, 0.8], "at": now}  # fmt: skip
    set_live_serving(db, cid, run_id, state)
    db.conn.close()

    serving = campaign_state(path, cid, 0).serving
    assert serving is not None and serving["in_flight"] == 1
    assert abs(serving["joules_per_request"] - 100.0 / 2) < 1e-6  # 50 W for 2 s, 2 finished
    line = serving_text(serving).plain
    assert "3/4 arrived · 1 in flight · 2 done" in line
    assert "p50 0.60 s" in line and "50 J/request" in line

    db = open_store(path)
    set_live_serving(db, cid, run_id, None)
    db.conn.close()
    assert campaign_state(path, cid, 0).serving is None


def test_histogram_bars() -> None:
    assert histogram([]) == ""
    bars = histogram([0.1, 0.1, 0.1, 1.0], bins=4)
    assert len(bars) == 4 and bars[0] == "█" and bars[-1] != " " and bars[1] == " "
