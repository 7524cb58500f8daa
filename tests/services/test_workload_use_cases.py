"""Workload use cases on a store with a finished lengths campaign: importing and listing a
trace, pricing it (the cheapest above an accuracy floor), sweet spots, and what the sweet-spot
view shows."""

from __future__ import annotations

import pytest

from pimp_tui.errors import PimpError
from pimp_tui.services import workloads
from pimp_tui.store.db import open_store


def write_trace(path, rows):
    path.write_text("input_tokens,output_tokens,timestamp\n" + "".join(
        f"{a},{b},{t}\n" for a, b, t in rows))  # fmt: skip
    return path


def test_imported_trace_is_listed_and_priced_by_name(lengths_db, tmp_path) -> None:
    db_path, campaign = lengths_db
    trace = write_trace(tmp_path / "t.csv", [(40, 40, 0), (100, 200, 60), (200, 60, 7200)])
    done = workloads.import_workload(workloads.ImportRequest(db_path, trace, "day"))
    assert (done.requests, done.span_s) == (3, 7200.0)
    assert done.bins == 3
    listed = workloads.list_workloads(db_path)
    assert [(w["id"], w["name"], w["requests"]) for w in listed] == [(done.workload_id, "day", 3)]
    priced = workloads.price(workloads.PriceRequest(db_path, "day", campaign))
    assert priced.requests == 3 and len(priced.estimates) == 2
    cheapest = min(priced.estimates, key=lambda e: e.energy_j)
    assert priced.cheapest is cheapest
    assert cheapest.group.config["Precision"] == "BFloat16"


def test_an_accuracy_floor_picks_the_accurate_configuration(lengths_db, tmp_path) -> None:
    db_path, campaign = lengths_db
    trace = write_trace(tmp_path / "t.csv", [(64, 64, 0)] * 5)
    request = workloads.PriceRequest(db_path, str(trace), campaign, accuracy_floor=0.5)
    priced = workloads.price(request)
    assert priced.cheapest is not None
    assert priced.cheapest.group.config["Precision"] == "Float32"
    none = workloads.price(
        workloads.PriceRequest(db_path, str(trace), campaign, accuracy_floor=0.9)
    )
    assert none.cheapest is None


def test_unknown_source_and_workload_are_refused(lengths_db) -> None:
    db_path, campaign = lengths_db
    with pytest.raises(PimpError, match="unknown source"):
        workloads.price(workloads.PriceRequest(db_path, "x", campaign, source="guessed"))
    with pytest.raises(PimpError, match="no workload 'x'"):
        workloads.price(workloads.PriceRequest(db_path, "x", campaign))


def test_sweet_spots_and_the_view_report(lengths_db) -> None:
    db_path, campaign = lengths_db
    spots = workloads.sweetspots(workloads.SweetSpotRequest(db_path, campaign, learner="cart"))
    assert len(spots) == 2
    assert all(spot.held_out > 0 and spot.mape_analytical is not None for spot in spots)
    assert workloads.lengths_campaigns(db_path)[0][0] == campaign
    assert workloads.phases(db_path, campaign)["prefill_share"].to_list() == pytest.approx(
        [0.2, 0.2]
    )


def test_the_view_of_a_store_without_lengths_campaigns_is_empty(tmp_path) -> None:
    path = tmp_path / "pimp.db"
    open_store(path).close()
    report = workloads.newest_sweetspots(path)
    assert report.spots == [] and report.learner == workloads.VIEW_LEARNER
