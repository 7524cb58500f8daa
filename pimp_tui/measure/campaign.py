"""Campaigns: a sample × a task × repetitions. `create_campaign` checks the names and plans
every run in the store; `run_campaign` runs (or resumes) the pending ones in
`measure.campaign_loop`, reporting through `on_event` (`measure.campaign_events`) and
controlled through the store (`measure.campaign_control`). It opens its own store connection:
call it from the thread that runs it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pimp_tui.errors import PimpError
from pimp_tui.measure.campaign_events import OnEvent
from pimp_tui.measure.campaign_loop import (
    DEFAULT_COOLDOWN_S,
    DEFAULT_HZ,
    DEFAULT_IDLE_S,
    CampaignLoop,
)
from pimp_tui.measure.executors import ExecutorSpec
from pimp_tui.store import campaigns as store
from pimp_tui.store.db import open_store
from pimp_tui.store.workloads import find_trace


def create_campaign(
    db_path: str | Path,
    *,
    sample_id: int,
    task: str,
    prompts: int,
    repetitions: int = 3,
    llm: str = "smollm2",
    sensor: str | None = None,
    seed: int = 0,
    max_new_tokens: int | None = None,
    cooldown_s: float = DEFAULT_COOLDOWN_S,
    idle_s: float = DEFAULT_IDLE_S,
    warmup: bool = True,
    hz: float = DEFAULT_HZ,
    name: str | None = None,
    prefill_split: bool = False,
    executor: Mapping[str, Any] | None = None,
    cpu_watts: float | None = None,
    duration_s: float | None = None,
) -> int:
    """Check the task, model and sensor names, then plan every run in the store. `cpu_watts`
    is the estimate sensor's figure per busy core (stored with the campaign, shown with it).

    A `lengths` task plans every configuration at every point of its grid (a derived sample)
    and splits prefill from decode energy; `prefill_split` asks the same of any task."""
    from pimp_tui.measure.llm import anchored
    from pimp_tui.measure.sensors import SENSOR_NAMES
    from pimp_tui.measure.tasks import anchored as anchored_task
    from pimp_tui.measure.tasks import load_task

    if sensor is not None and sensor not in SENSOR_NAMES:
        raise PimpError(f"unknown sensor {sensor!r}: choose one of {', '.join(SENSOR_NAMES)}")
    if max_new_tokens is not None and max_new_tokens < 1:
        raise PimpError("--max-new-tokens must be at least 1")
    if cpu_watts is not None and not 0 < cpu_watts < 10_000:
        raise PimpError(f"--cpu-watts {cpu_watts:g}: watts per busy core, above 0")
    if cooldown_s < 0 or idle_s < 0 or hz <= 0:
        raise PimpError("cooldown and idle time must be >= 0 and the sampling rate > 0")
    from pimp_tui.measure.tasks import lengths
    from pimp_tui.measure.tasks.serving import is_serving, workload_of

    if duration_s is not None and (not is_serving(task) or duration_s <= 0):
        raise PimpError("--duration S bounds a serving task's runs: a positive number of "
                        "seconds with --task serving[:TASK]")  # fmt: skip
    load_task(task, prompts, seed)
    llm, task = anchored(llm), anchored_task(task)  # resumable from any directory
    workload = workload_of(task)
    grid = lengths.is_lengths(task)
    if grid and max_new_tokens is not None:
        raise PimpError("the lengths task pins output lengths from its grid: drop --max-new-tokens")
    params: dict[str, Any] = {
        "max_new_tokens": max_new_tokens,
        "cooldown_s": cooldown_s,
        "idle_s": idle_s,
        "warmup": warmup,
        "hz": hz,
        "prefill_split": prefill_split or grid,
    }
    if executor is not None and executor.get("kind", "local") != "local":
        params["executor"] = dict(executor)
    if cpu_watts is not None:
        params["cpu_watts"] = float(cpu_watts)
    if duration_s is not None:
        params["duration_s"] = duration_s
    db = open_store(db_path)
    try:
        if workload is not None:
            find_trace(db, workload)  # a missing workload is refused now, not at run time
        if grid:
            sample_id = lengths.expand_sample(db, sample_id, task, lengths.context_length(llm))
        return store.create_campaign(
            db, sample_id=sample_id, task=task, prompts=prompts, repetitions=repetitions,
            llm=llm, sensor=sensor, seed=seed, params=params, name=name,
        )  # fmt: skip
    finally:
        db.conn.close()


def run_campaign(
    db_path: str | Path,
    campaign_id: int,
    *,
    on_event: OnEvent | None = None,
    pause: threading.Event | None = None,
    cancel: threading.Event | None = None,
    notify: Callable[[str], None] | None = None,
    executor: ExecutorSpec | None = None,
) -> str:
    """Run (or resume) every pending run; returns the campaign's final status.

    `executor` (default: the one the campaign was started with, else local) is recorded in
    the campaign, so later resumes use it too."""
    db = open_store(db_path)
    try:
        loop = CampaignLoop(db, db_path, campaign_id, on_event, pause, cancel, notify)
        loop.executor = executor
        return loop.run()
    finally:
        db.conn.close()
