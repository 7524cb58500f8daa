"""How long a campaign has left, from what its finished runs took: the one estimate the CLI, the
log and the workbench all show.

Repetitions of a configuration cost about the same (campaigns plan one round of every
configuration before the next), so a remaining run is priced by its configuration's finished
runs (their mean duration). A configuration not yet run is priced by its cost shape, its
decoding strategy and output length: by the finished runs that share both, else by those that
share its strategy (seconds per output token allowed), else by all (the same, over every
strategy). Between two runs the campaign also spends a gap (cooldown, warm-up, model reloads);
the median gap seen so far is added per remaining run (before two runs have finished, the
campaign's planned cooldown). Start-up (model load, idle baseline) is no run's cost, and the
time between the runs of two worker processes (a pause, a crash, then a resume) is no gap, so
neither inflates the estimate.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlite_utils

from pimp_tui.errors import PimpError
from pimp_tui.measure.settings import STRATEGIES, effective_configuration


@dataclass(frozen=True)
class RunTiming:
    """A planned run as the estimate sees it: its cost shape and, once started, its times."""

    position: int
    status: str
    strategy: str | None
    max_new_tokens: int | None
    started: float | None = None
    """Unix time the run's window opened (None while pending)."""
    finished: float | None = None
    configuration: int | None = None
    """The stored configuration it runs (its repetitions share it); None where unknown."""
    session: str | None = None
    """The worker process that ran it (the campaign's claim); None where unknown."""


def cost_shape(config: Mapping[str, Any]) -> tuple[str | None, int | None]:
    """(decoding strategy, output length) of an effective configuration."""
    strategy = next((name for name in STRATEGIES if config.get(name) is True), None)
    length = config.get("max_new_tokens")
    return strategy, int(length) if isinstance(length, int | float) else None


def remaining_s(
    runs: Sequence[RunTiming], now: float | None = None, cooldown_s: float = 0.0
) -> float | None:
    """Seconds until every unfinished run is done; None before the first run has finished.
    `cooldown_s`, the pause planned between runs, stands for the gap until one has been seen."""
    now = time.time() if now is None else now
    finished = [
        r
        for r in runs
        if r.status in ("done", "failed") and r.started is not None and r.finished is not None
    ]
    if not finished:
        return None
    durations = {r.position: max(r.finished - r.started, 0.0) for r in finished}  # type: ignore[operator]
    price = _Pricer(finished, durations)
    gaps = _gaps(finished)
    gap = statistics.median(gaps) if gaps else cooldown_s
    left = 0.0
    for run in runs:
        if run.status in ("done", "failed"):
            continue
        cost = price(run)
        if run.status == "running" and run.started is not None:
            left += max(cost - (now - run.started), 0.0)
        else:
            left += gap + cost
    return left


class _Pricer:
    """Expected duration of a run from finished runs of its configuration, else of the same
    shape, or the nearest one."""

    def __init__(self, finished: Sequence[RunTiming], durations: Mapping[int, float]) -> None:
        self.by_configuration: dict[int | None, list[float]] = {}  # never None
        self.by_shape: dict[tuple, list[float]] = {}
        self.rate_by_strategy: dict[str | None, list[float]] = {}
        self.all = list(durations.values())
        rate_seconds = rate_tokens = 0.0
        for run in finished:
            seconds = durations[run.position]
            if run.configuration is not None:
                self.by_configuration.setdefault(run.configuration, []).append(seconds)
            self.by_shape.setdefault((run.strategy, run.max_new_tokens), []).append(seconds)
            if run.max_new_tokens:
                pair = self.rate_by_strategy.setdefault(run.strategy, [0.0, 0.0])
                pair[0] += seconds
                pair[1] += run.max_new_tokens
                rate_seconds += seconds
                rate_tokens += run.max_new_tokens
        self.rate = rate_seconds / rate_tokens if rate_tokens else None

    def __call__(self, run: RunTiming) -> float:
        same = self.by_configuration.get(run.configuration) or self.by_shape.get(
            (run.strategy, run.max_new_tokens)
        )
        if same:
            return statistics.fmean(same)
        if run.max_new_tokens:
            pair = self.rate_by_strategy.get(run.strategy)
            if pair and pair[1]:
                return pair[0] / pair[1] * run.max_new_tokens
            if self.rate is not None:
                return self.rate * run.max_new_tokens
        return statistics.fmean(self.all)


def _gaps(finished: Sequence[RunTiming]) -> list[float]:
    """Idle time between one run's end and the next run's start, in the order they ran, where
    one worker process ran both."""
    ordered = sorted(finished, key=lambda r: r.started)  # type: ignore[arg-type, return-value]
    return [
        max(b.started - a.finished, 0.0)  # type: ignore[operator]
        for a, b in zip(ordered, ordered[1:], strict=False)
        if a.session == b.session
    ]


def campaign_remaining_s(
    db: sqlite_utils.Database, campaign_id: int, now: float | None = None
) -> float | None:
    """The estimate for a stored campaign (None before its first run has finished)."""
    try:
        runs, cooldown_s = campaign_runs(db, campaign_id)
    except PimpError:
        return None
    return remaining_s(runs, now, cooldown_s)


def campaign_runs(db: sqlite_utils.Database, campaign_id: int) -> tuple[list[RunTiming], float]:
    """A stored campaign's runs as the estimate sees them, and its planned cooldown."""
    from pimp_tui.measure.tasks.lengths import pinned_values
    from pimp_tui.store.runs import run_timings

    campaign, rows = run_timings(db, campaign_id)
    override = campaign["params"].get("max_new_tokens")
    runs = []
    for row in rows:
        config = row["config"]
        if not row["effective"]:  # not started: what it will run with
            pinned = pinned_values(campaign["task"], config)
            config = effective_configuration(config, max_new_tokens=override, pinned=pinned)
        strategy, length = cost_shape(config)
        runs.append(
            RunTiming(row["position"], row["status"], strategy, length,
                      _unix(row["started_at"]), _unix(row["finished_at"]),
                      row["configuration_id"], row["session"])
        )  # fmt: skip
    return runs, float(campaign["params"].get("cooldown_s") or 0.0)


def _unix(stamp: str | None) -> float | None:
    if not stamp:
        return None
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def format_duration(seconds: float | None) -> str:
    """h:mm:ss, the way the CLI, the log and the workbench all write a time left."""
    if seconds is None:
        return "-"
    whole = int(round(max(seconds, 0.0)))
    hours, rest = divmod(whole, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"
