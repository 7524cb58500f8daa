"""The time-left estimate: priced per decoding strategy and output length from finished runs,
gaps between runs counted, start-up never counted, the run in flight credited for its progress;
and the same figure for the CLI and the workbench."""

from __future__ import annotations

import statistics

import pytest

from pimp_tui.measure.eta import RunTiming, cost_shape, format_duration, remaining_s
from pimp_tui.measure.settings import effective_configuration


def finished(position, strategy, tokens, start, seconds):  # type: ignore[no-untyped-def]
    return RunTiming(position, "done", strategy, tokens, start, start + seconds)


def pending(position, strategy, tokens):  # type: ignore[no-untyped-def]
    return RunTiming(position, "pending", strategy, tokens)


def test_nothing_to_say_before_the_first_run_finishes():
    assert remaining_s([pending(0, "GreedySearch", 32)]) is None


def test_start_up_before_the_first_run_is_not_a_run_cost():
    # the first run starts 100 s after the campaign (model load): the estimate ignores that
    runs = [finished(0, "GreedySearch", 32, 1000.0, 2.0), pending(1, "GreedySearch", 32)]
    assert remaining_s(runs, now=1002.0) == pytest.approx(2.0)


def test_each_remaining_run_is_priced_by_its_strategy_and_length():
    runs = [
        finished(0, "GreedySearch", 32, 0.0, 1.0),
        finished(1, "BeamSearch", 32, 1.5, 4.0),  # gap 0.5 s
        finished(2, "GreedySearch", 128, 6.0, 4.0),  # gap 0.5 s
        pending(3, "BeamSearch", 32),  # seen: 4 s
        pending(4, "GreedySearch", 256),  # greedy: 5 s per 160 tokens -> 8 s
        pending(5, "MultinomialSampling", 64),  # unseen: 9 s per 192 tokens -> 3 s
    ]
    assert remaining_s(runs, now=10.0) == pytest.approx(3 * 0.5 + 4.0 + 8.0 + 3.0)


def test_the_run_in_flight_counts_only_what_it_has_left():
    runs = [
        finished(0, "GreedySearch", 32, 0.0, 10.0),
        RunTiming(1, "running", "GreedySearch", 32, started=10.0),
        pending(2, "GreedySearch", 32),
    ]
    assert remaining_s(runs, now=14.0) == pytest.approx(6.0 + 10.0)
    assert remaining_s(runs, now=30.0) == pytest.approx(10.0)  # overdue: never negative


def test_cost_shape_takes_the_campaign_override_of_the_output_length():
    config = {"GreedySearch": False, "BeamSearch": True, "max_new_tokens": 256}
    assert cost_shape(config) == ("BeamSearch", 256)
    assert cost_shape(effective_configuration(config, max_new_tokens=8)) == ("BeamSearch", 8)
    assert cost_shape({"a": 1}) == (None, None)


def test_durations_are_written_the_same_way_everywhere():
    assert format_duration(348.4) == "0:05:48"
    assert format_duration(3725) == "1:02:05"
    assert format_duration(None) == "-"


def test_before_a_gap_is_seen_the_planned_cooldown_stands_for_it():
    # short runs, a 2 s cooldown: after the first run, the cooldown is most of what is left
    runs = [
        finished(0, "GreedySearch", 32, 1000.0, 0.1),
        pending(1, "GreedySearch", 32),
        pending(2, "GreedySearch", 32),
    ]
    assert remaining_s(runs, now=1000.1, cooldown_s=2.0) == pytest.approx(2 * (2.0 + 0.1))
    # once a gap has been seen, the measured gap counts
    runs = [
        finished(0, "GreedySearch", 32, 0.0, 0.1),
        finished(1, "GreedySearch", 32, 3.1, 0.1),  # gap 3 s
        pending(2, "GreedySearch", 32),
    ]
    assert remaining_s(runs, now=3.2, cooldown_s=2.0) == pytest.approx(3.0 + 0.1)


def test_the_time_between_two_worker_processes_is_no_gap_between_runs():
    # two runs 0.2 s apart, a 10-minute pause, then a resumed process ran a third one
    def run(position, start, session):  # type: ignore[no-untyped-def]
        return RunTiming(position, "done", "GreedySearch", 32, start, start + 1.0, 1, session)

    runs = [run(0, 0.0, "a"), run(1, 1.2, "a"), run(2, 602.2, "b"),
            RunTiming(3, "pending", "GreedySearch", 32, configuration=1)]  # fmt: skip
    assert remaining_s(runs, now=603.2) == pytest.approx(0.2 + 1.0)
    # the same three runs by one process: the 10 minutes were a gap, and count
    runs = [run(0, 0.0, "a"), run(1, 1.2, "a"), run(2, 602.2, "a"), runs[3]]
    assert remaining_s(runs, now=603.2) == pytest.approx(statistics.median([0.2, 600.0]) + 1.0)


def test_a_stored_run_knows_the_worker_process_that_ran_it(tmp_path):
    from pimp_tui.measure.eta import campaign_runs
    from pimp_tui.store import campaigns

    db, cid = stored_campaign(tmp_path / "a.db")
    claims, started = ["2026-01-01T00:00:00.000Z", "2026-01-02T00:00:00.000Z"], []
    for claimed in claims:  # a process ran one run, the campaign was paused, another resumed it
        db.execute("UPDATE campaigns SET claimed_at = ?", [claimed])  # as claim() stamps it
        db.conn.commit()
        run = campaigns.pending_runs(db, cid)[0]
        campaigns.start_run(db, cid, run["id"])
        campaigns.finish_run(db, run["id"], "done", {"latency_s": 1.0})
        started.append(run["position"])
    sessions = {r.position: r.session for r in campaign_runs(db, cid)[0]}
    db.conn.close()
    assert [sessions[p] for p in started] == claims


def stored_campaign(db_path, params=None, fixed_times=False):  # type: ignore[no-untyped-def]
    """A store with three greedy configurations x 2 repetitions, the first run finished."""
    import json

    from pimp_tui.store import campaigns
    from pimp_tui.store.db import open_store

    db = open_store(db_path)
    db.execute("INSERT INTO feature_models (name, uvl) VALUES ('m', 'features')")
    db.execute("INSERT INTO samples (model_id, name, algorithm) VALUES (1, 's', 'uniform')")
    for position in range(3):
        config = {"GreedySearch": True, "max_new_tokens": 32 * (position + 1)}
        db.execute(
            "INSERT INTO configurations (sample_id, position, config) VALUES (1, ?, ?)",
            [position, json.dumps(config)],
        )
    db.conn.commit()
    cid = campaigns.create_campaign(db, sample_id=1, task="arith", prompts=1, repetitions=2,
                                    llm="x", params=params)  # fmt: skip
    campaigns.set_status(db, cid, "running")
    first = campaigns.pending_runs(db, cid)[0]
    campaigns.start_run(db, cid, first["id"])
    campaigns.finish_run(db, first["id"], "done", {"latency_s": 1.0})
    if fixed_times:  # a run of exactly 1 s, whenever the test runs
        db.execute(
            "UPDATE runs SET started_at = '2026-01-01T00:00:00.000Z', "
            "finished_at = '2026-01-01T00:00:01.000Z' WHERE id = ?", [first["id"]],
        )  # fmt: skip
        db.conn.commit()
    return db, cid


def test_cli_and_workbench_show_the_same_estimate(tmp_path):
    """The monitor's state and the worker's progress events both come from
    `campaign_remaining_s` on the store."""
    from pimp_tui.measure.eta import campaign_remaining_s
    from pimp_tui.services.monitor import campaign_state

    db_path = tmp_path / "pimp.db"
    db, cid = stored_campaign(db_path)
    expected = campaign_remaining_s(db, cid)
    assert expected is not None and expected >= 0
    state = campaign_state(db_path, cid, 0)
    assert state.eta_s == pytest.approx(expected, abs=0.5)
    db.conn.close()


def test_a_stored_campaign_counts_its_cooldown_after_the_first_run(tmp_path):
    from pimp_tui.measure.eta import campaign_remaining_s, campaign_runs

    db, cid = stored_campaign(tmp_path / "a.db", fixed_times=True)
    without = campaign_remaining_s(db, cid, now=0.0)
    first = next(r for r in campaign_runs(db, cid)[0] if r.status == "done")
    db.conn.close()
    db, cid = stored_campaign(tmp_path / "b.db", params={"cooldown_s": 2.0}, fixed_times=True)
    with_cooldown = campaign_remaining_s(db, cid, now=0.0)
    db.conn.close()
    # the first run allowed `tokens` in 1 s: its repetition takes 1 s, the other two
    # configurations (32 + 64 + 96 - tokens, twice) 1 s per `tokens`
    tokens = first.max_new_tokens
    assert tokens in (32, 64, 96)
    expected = 1.0 + 2 * (192 - tokens) / tokens
    assert without == pytest.approx(expected)
    assert with_cooldown == pytest.approx(expected + 5 * 2.0)  # each after a 2 s pause


def test_a_configuration_already_run_is_priced_by_its_own_runs_not_by_its_shape():
    # two beam-search configurations of the same shape, one slow (no cache), one fast
    runs = [
        RunTiming(0, "done", "BeamSearch", 256, 0.0, 9.0, configuration=1),
        RunTiming(1, "done", "BeamSearch", 256, 9.0, 10.0, configuration=2),
        RunTiming(2, "pending", "BeamSearch", 256, configuration=2),
        RunTiming(3, "pending", "BeamSearch", 256, configuration=2),
        RunTiming(4, "pending", "BeamSearch", 256, configuration=3),  # unseen: by its shape
    ]
    assert remaining_s(runs, now=10.0) == pytest.approx(1.0 + 1.0 + 5.0)
