"""Workload use cases: import and list request traces, price a trace under each configuration
of a campaign (measured, analytical or learned), split a campaign's energy into prefill and
decode, and find the efficiency sweet spots of a lengths campaign. `pimp workload`,
`pimp sweetspot` and the Predict pane's sweet-spot view all call these."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pimp_tui.errors import PimpError
from pimp_tui.services import open_db

if TYPE_CHECKING:
    import polars as pl

    from pimp_tui.workload.pricing import Estimate
    from pimp_tui.workload.sweetspot import SweetSpot

SOURCES = ("measured", "analytical", "learned")
VIEW_LEARNER = "rf"
"""The learned predictor the sweet-spot view compares with (fast enough for a pane; the CLI can
take any learner)."""


@dataclass(frozen=True)
class ImportRequest:
    db_path: str | Path
    trace: str | Path
    name: str | None = None
    """Default: the trace's file name."""


@dataclass(frozen=True)
class Imported:
    workload_id: int
    requests: int
    bins: int
    """log2 bins of both lengths the trace falls in."""
    span_s: float | None


def import_workload(request: ImportRequest) -> Imported:
    """Read a trace file and store it as a named workload."""
    from pimp_tui.store.workloads import save_workload
    from pimp_tui.workload.bins import bin_trace
    from pimp_tui.workload.trace import read_trace, span_seconds

    trace = read_trace(request.trace)
    span = span_seconds(trace)
    db = open_db(request.db_path)
    try:
        name = request.name or Path(request.trace).name
        workload_id = save_workload(db, name, str(request.trace), trace, span)
    finally:
        db.close()
    return Imported(workload_id, len(trace), len(bin_trace(trace)), span)


def list_workloads(db_path: str | Path) -> list[dict[str, Any]]:
    """Every stored workload, newest first (id, name, requests, span_s, source, created_at)."""
    from pimp_tui.store import workloads

    db = open_db(db_path)
    try:
        return workloads.list_workloads(db)
    finally:
        db.close()


def _campaign_runs(db_path: str | Path, campaign_id: int) -> tuple[pl.DataFrame, list]:
    from pimp_tui.workload.runs import campaign_runs

    db = open_db(db_path)
    try:
        return campaign_runs(db, campaign_id)
    finally:
        db.close()


def phases(db_path: str | Path, campaign_id: int) -> pl.DataFrame:
    """Per configuration: prefill and decode energy per request, decode energy per token and the
    prefill share (runs measured with the prefill split)."""
    from pimp_tui.workload.runs import phase_table

    return phase_table(*_campaign_runs(db_path, campaign_id))


@dataclass(frozen=True)
class PriceRequest:
    """Price `workload` (a stored workload's id or name, or a trace file) under every
    configuration of `campaign_id`."""

    db_path: str | Path
    workload: str
    campaign_id: int
    source: str = "measured"
    bins: str = "log2"
    input_bins: str | None = None
    output_bins: str | None = None
    learner: str = "auto"
    seed: int = 0
    accuracy_campaign: int | None = None
    """Campaign whose measured accuracy the configurations get (None: the pricing campaign)."""
    accuracy_floor: float | None = None
    """For `cheapest`: the lowest acceptable accuracy."""


@dataclass
class Priced:
    requests: int
    estimates: list[Estimate]
    cheapest: Estimate | None
    """The lowest-energy configuration meeting the accuracy floor (any, without a floor)."""


def price(request: PriceRequest) -> Priced:
    from pimp_tui.store.campaigns import get_campaign, runs_rows
    from pimp_tui.store.workloads import find_workload, load_requests
    from pimp_tui.workload import pricing
    from pimp_tui.workload.bins import parse_bins
    from pimp_tui.workload.runs import RUN_FIELDS, accuracy_by_group, campaign_runs
    from pimp_tui.workload.trace import read_trace

    if request.source not in SOURCES:
        raise PimpError(f"unknown source {request.source!r}: {', '.join(SOURCES)}")
    inputs = parse_bins(request.input_bins or request.bins)
    outputs = parse_bins(request.output_bins or request.bins)
    db = open_db(request.db_path)
    try:
        if Path(request.workload).is_file():
            trace = read_trace(request.workload)
        else:
            trace = load_requests(db, find_workload(db, request.workload)["id"])
        runs, groups = campaign_runs(db, request.campaign_id)
        accuracy_rows = None
        if request.accuracy_campaign is not None:
            get_campaign(db, request.accuracy_campaign)
            keep = RUN_FIELDS - {"status"}
            accuracy_rows = [
                {k: v for k, v in row.items() if k not in keep}
                for row in runs_rows(db, request.accuracy_campaign)
                if row["status"] == "done"
            ]
    finally:
        db.close()
    model = request_model(request.source, runs, groups, request.learner, request.seed)
    estimates = pricing.estimate_trace(trace, model, groups, inputs, outputs)
    if accuracy_rows is None:
        measured = accuracy_by_group(runs)
        for estimate in estimates:
            estimate.accuracy = measured.get(estimate.group.key)
    else:
        pricing.attach_accuracy(estimates, accuracy_rows)
    return Priced(len(trace), estimates, pricing.cheapest(estimates, request.accuracy_floor))


def request_model(source: str, runs: pl.DataFrame, groups: list, learner: str, seed: int) -> Any:
    """The per-request model of `source`: measured (interpolated), analytical or learned."""
    if source == "measured":
        from pimp_tui.workload.pricing import MeasuredModel

        return MeasuredModel(runs)
    from pimp_tui.workload.models import AnalyticalModel, LearnedModel

    if source == "analytical":
        return AnalyticalModel(runs)
    return LearnedModel(runs, groups, learner=learner, seed=seed)


@dataclass(frozen=True)
class SweetSpotRequest:
    db_path: str | Path
    campaign_id: int
    folds: int = 4
    seed: int = 0
    learner: str = "auto"


def sweetspots(request: SweetSpotRequest) -> list[SweetSpot]:
    """The sweet spots of every configuration of a lengths campaign, with the held-out MAPEs of
    the analytical fit and of the learner."""
    from pimp_tui.workload.sweetspot import sweetspots as compute

    runs, groups = _campaign_runs(request.db_path, request.campaign_id)
    return compute(runs, groups, folds=request.folds, seed=request.seed, learner=request.learner)


@dataclass
class SweetSpotReport:
    """What the sweet-spot view shows: the newest lengths campaign's report."""

    spots: list[SweetSpot]
    learner: str
    title: str = ""


def lengths_campaigns(db_path: str | Path) -> list[tuple[int, str]]:
    """(id, label) of campaigns on the lengths task, newest first."""
    from pimp_tui.measure.tasks.lengths import is_lengths
    from pimp_tui.store.campaigns import list_campaigns

    db = open_db(db_path)
    try:
        rows = list_campaigns(db)
    finally:
        db.close()
    return [
        (row["id"], f"#{row['id']} {row['task']} ({row['done']}/{row['total']} runs)")
        for row in rows
        if is_lengths(row["task"])
    ]


def newest_sweetspots(db_path: str | Path) -> SweetSpotReport:
    """The sweet spots of the newest lengths campaign (none: an empty view)."""
    campaigns = lengths_campaigns(db_path)
    if not campaigns:
        return SweetSpotReport([], VIEW_LEARNER)
    campaign_id, label = campaigns[0]
    spots = sweetspots(SweetSpotRequest(db_path, campaign_id, learner=VIEW_LEARNER))
    return SweetSpotReport(spots, VIEW_LEARNER, label)
