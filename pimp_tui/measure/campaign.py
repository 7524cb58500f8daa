"""Campaigns: a sample × a task × repetitions, measured under the protocol of DESIGN.md and
safe against crashes.

Protocol: the idle baseline is measured once per campaign (gross and idle-subtracted energy are
both kept), a warm-up generation precedes the first window after every model load, runs go in
the random order planned with the seed, a cooldown separates runs. Each run is committed when it
finishes, with its power trace; `kill -9` loses at most the run in flight, which a resume redoes.

The loop reports through `on_event` (dataclass events, so a TUI can post them as messages) and
stops between runs when `pause` or `cancel` is set or when any process asks it to through the
store (`store.control`): pause and cancel after the run in flight, stop at the next generation
step, the stopped run going back to the plan. It writes its power samples to the store as they
come, for windows of other processes. It opens its own store connection: call it from the
thread that runs it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pimp_tui.errors import PimpError
from pimp_tui.measure.eta import campaign_remaining_s
from pimp_tui.measure.executors import ExecutorSpec
from pimp_tui.store import campaigns as store
from pimp_tui.store import control
from pimp_tui.store.db import open_store
from pimp_tui.store.requests import set_live_serving
from pimp_tui.store.workloads import find_trace

DEFAULT_COOLDOWN_S = 0.5
DEFAULT_IDLE_S = 2.0
DEFAULT_HZ = 10.0
TRACE_EVERY_S = 0.5
HEARTBEAT_EVERY_S = 5.0
CONTROL_EVERY_S = 0.5
"""How often the loop reads its control state and writes live power while it works."""


@dataclass(frozen=True)
class RunStarted:
    campaign_id: int
    run_id: int
    position: int
    configuration_id: int
    repetition: int
    config: Mapping[str, Any]


@dataclass(frozen=True)
class RunFinished:
    campaign_id: int
    run_id: int
    status: str
    metrics: Mapping[str, Any]
    error: str | None
    configuration_id: int = 0
    repetition: int = 0


@dataclass(frozen=True)
class CampaignProgress:
    campaign_id: int
    done: int
    failed: int
    total: int
    elapsed_s: float
    eta_s: float | None


@dataclass(frozen=True)
class PowerTrace:
    """New power samples (`run_id` None between runs: idle, cooldown)."""

    campaign_id: int
    run_id: int | None
    samples: list = field(default_factory=list)


@dataclass(frozen=True)
class CampaignStatus:
    campaign_id: int
    status: str
    message: str = ""


Event = RunStarted | RunFinished | CampaignProgress | PowerTrace | CampaignStatus
OnEvent = Callable[[Event], None]


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
        loop = _Loop(db, db_path, campaign_id, on_event, pause, cancel, notify)
        loop.executor = executor
        return loop.run()
    finally:
        db.conn.close()


class _Heartbeat:
    """A thread with its own connection that keeps `heartbeat_at` fresh while the campaign
    runs, model loads and long generation steps included."""

    def __init__(self, db_path: str | Path, campaign_id: int) -> None:
        self.db_path, self.id = db_path, campaign_id
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._beat, name="pimp-heartbeat", daemon=True)

    def _beat(self) -> None:
        db = open_store(self.db_path)
        try:
            while not self.stop.wait(HEARTBEAT_EVERY_S):
                store.heartbeat(db, self.id)
        finally:
            db.conn.close()

    def __enter__(self) -> _Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()


class _StopNow(BaseException):
    """Raised at a generation step when 'stop' is asked: the run in flight is abandoned (a
    BaseException, so the runner does not record it as a failed run)."""


class _Loop:
    def __init__(self, db, db_path, campaign_id, on_event, pause, cancel, notify) -> None:  # noqa: ANN001
        self.db, self.db_path, self.id = db, db_path, campaign_id
        self.emit: OnEvent = on_event or (lambda event: None)
        self.pause = pause or threading.Event()
        self.cancel = cancel or threading.Event()
        self.notify = notify or (lambda message: None)
        self.last_trace = 0.0
        self.control: str | None = None
        self.last_control = 0.0
        self.unix_offset = time.time() - time.monotonic()
        self.executor: ExecutorSpec | None = None

    def _stopping(self) -> bool:
        return self.pause.is_set() or self._cancelled() or self.control is not None

    def _cancelled(self) -> bool:
        return self.cancel.is_set() or self.control == "cancel"

    def _check_control(self, force: bool = False) -> None:
        """Read what other processes ask, at most every CONTROL_EVERY_S (always when
        `force`)."""
        now = time.monotonic()
        if force or now - self.last_control >= CONTROL_EVERY_S:
            self.last_control = now
            self.control = control.requested(self.db, self.id)

    def _publish(self, samples: list) -> list:
        """Power samples go to the store for other windows as they are taken."""
        control.add_live_power(
            self.db, self.id, [(s.t + self.unix_offset, s.device, s.watts) for s in samples]
        )
        return samples

    def run(self) -> str:
        camp = store.get_campaign(self.db, self.id)
        if camp["status"] in ("done", "failed") and camp["done"] + camp["failed"] == camp["total"]:
            return camp["status"]
        camp = store.claim(self.db, self.id)
        try:
            return self._claimed(camp)
        finally:
            store.release(self.db, self.id)

    def _claimed(self, camp: dict[str, Any]) -> str:
        again = store.reset_interrupted(self.db, self.id)
        if again:
            self.notify(f"{again} interrupted run(s) will be redone")
        try:
            with _Heartbeat(self.db_path, self.id):
                status = self._execute(camp)
        except KeyboardInterrupt:
            store.set_status(self.db, self.id, "paused", error="interrupted", control=None)
            raise
        except BaseException as exc:
            store.set_status(self.db, self.id, "failed", error=str(exc) or type(exc).__name__,
                             control=None)  # fmt: skip
            self.emit(CampaignStatus(self.id, "failed", str(exc)))
            raise
        finally:
            control.clear_live_power(self.db, self.id)
        # A campaign none of whose runs worked failed, and says why.
        error = store.first_error(self.db, self.id) if status == "failed" else None
        store.set_status(self.db, self.id, status, error=error, control=None)
        self.emit(CampaignStatus(self.id, status, error or ""))
        return status

    def _execute(self, camp: dict[str, Any]) -> str:
        """On this machine, or spread over a Ray cluster's slots."""
        from pimp_tui.store.slots import set_executor

        stored = ExecutorSpec.from_params(camp["params"])
        spec = self.executor or stored
        if spec != stored:
            set_executor(self.db, self.id, spec.to_params())
        if spec.kind == "ray":
            from pimp_tui.measure.executors.ray import run_on_ray

            return run_on_ray(self, camp, spec)
        return self._run(camp)

    def _run(self, camp: dict[str, Any]) -> str:
        from pimp_tui.measure.llm import open_llm
        from pimp_tui.measure.sensors import PowerMonitor, choose_sensor
        from pimp_tui.measure.tasks import load_task
        from pimp_tui.measure.tasks.serving import trace_task, workload_of
        from pimp_tui.measure.tested import untested_transformers

        untested = untested_transformers()
        if untested:
            self.notify(f"warning: {untested}")
        params = camp["params"]
        task = load_task(camp["task"], camp["prompts"], camp["seed"])
        llm = open_llm(camp["llm"], seed=camp["seed"], notify=self.notify)
        self.arrivals: list[float] | None = None
        workload = workload_of(camp["task"])
        if workload is not None:
            trace = find_trace(self.db, workload)
            task, self.arrivals = trace_task(camp["task"], trace, llm.tokenizer, camp["seed"])
        sync = None
        if llm.device.startswith("cuda"):
            import torch

            sync = torch.cuda.synchronize
        # The sensor chosen on the first start is written back, so a resume uses the same one
        # (or stops with a clear error): sensors are never mixed within a campaign.
        sensor = choose_sensor(
            camp["sensor"], synchronize=sync, watts_per_core=params.get("cpu_watts")
        )
        for note in getattr(sensor, "notes", ()):
            self.notify(f"sensor: {note}")
        store.set_status(self.db, self.id, "running", sensor=sensor.name)
        self.emit(CampaignStatus(self.id, "running", f"sensor {sensor.name}"))
        try:
            idle = camp["idle_watts"]
            if idle is None:
                idle = sensor.idle_baseline(
                    float(params.get("idle_s", DEFAULT_IDLE_S)), self.cancel
                )
                store.set_status(self.db, self.id, "running", idle_watts=idle)
            monitor = PowerMonitor(sensor, hz=float(params.get("hz", DEFAULT_HZ)))
            monitor.start()
            try:
                return self._runs(camp, task, llm, sensor, monitor, idle)
            finally:
                monitor.stop()
        finally:
            sensor.close()
            llm.release()

    def _runs(self, camp, task, llm, sensor, monitor, idle: float) -> str:  # noqa: ANN001
        from pimp_tui.measure.execute import (
            effective_of,
            execute,
            hardware_labels,
            prepare,
            trace_rows,
        )
        from pimp_tui.measure.runner import run_context
        from pimp_tui.measure.serving.loop import Live
        from pimp_tui.measure.serving.run import run_serving
        from pimp_tui.measure.tasks.serving import is_serving

        serving = is_serving(camp["task"])

        params = camp["params"]
        pending = store.pending_runs(self.db, self.id)
        counts = store.get_campaign(self.db, self.id)
        total, done, failed = counts["total"], counts["done"], counts["failed"]
        started = time.monotonic()
        eta = campaign_remaining_s(self.db, self.id)
        self.emit(CampaignProgress(self.id, done, failed, total, 0.0, eta))
        context = {"llm": camp["llm"], "task": camp["task"], **run_context(llm)}
        labels = hardware_labels(sensor)
        for run in pending:
            self._check_control(force=True)
            if self._stopping():
                break
            # What this run runs with, written before it starts: every window shows it.
            effective = effective_of(run["config"], params, task, llm.cost_only)
            key = prepare(llm, task, effective, params)
            # Samples since the last run (cooldown, model load, warm-up) are not this run's.
            self.emit(PowerTrace(self.id, None, self._publish(monitor.drain())))
            store.start_run(self.db, self.id, run["id"], effective=effective, context=context)
            self.emit(RunStarted(self.id, run["id"], run["position"], run["configuration_id"],
                                 run["repetition"], effective))  # fmt: skip
            t0 = time.monotonic()
            monitor.sample_now()  # a run shorter than the sampling period is still traced
            trace: list = []

            live = Live() if serving else None

            def on_step(run_id: int = run["id"], trace: list = trace, live=live) -> None:  # noqa: ANN001
                self._during_run(run_id, monitor, trace, live)

            try:
                if serving:
                    outcome = run_serving(
                        llm, task, effective, key, sensor, requests=int(camp["prompts"]),
                        duration_s=params.get("duration_s"), idle_watts=idle, on_step=on_step,
                        seed=f"{camp['seed']}:{run['repetition']}", live=live,
                        arrivals=self.arrivals,
                    )  # fmt: skip
                    outcome.metrics.update(labels)
                else:
                    outcome = execute(llm, task, sensor, effective, key, run["config"], params,
                                      idle, on_step, labels)  # fmt: skip
            except _StopNow:
                set_live_serving(self.db, self.id, run["id"], None)
                control.abandon_run(self.db, run["id"])
                self.notify(f"stopped: run {run['id']} goes back to the plan")
                break
            if serving:
                set_live_serving(self.db, self.id, run["id"], None)
            monitor.sample_now()
            trace.extend(self._publish(monitor.drain()))
            rows = trace_rows(trace, t0)
            control.store_run_details(self.db, run["id"], outcome.outputs, outcome.traceback)
            store.finish_run(self.db, run["id"], outcome.status, outcome.metrics,
                             outcome.error, rows, outcome.requests)  # fmt: skip
            done += outcome.status == "done"
            failed += outcome.status == "failed"
            self.emit(RunFinished(self.id, run["id"], outcome.status, outcome.metrics,
                                  outcome.error, run["configuration_id"],
                                  run["repetition"]))  # fmt: skip
            elapsed = time.monotonic() - started
            left = total - done - failed
            eta = campaign_remaining_s(self.db, self.id)
            self.emit(CampaignProgress(self.id, done, failed, total, elapsed, eta))
            if left:
                self._cooldown(float(params.get("cooldown_s", DEFAULT_COOLDOWN_S)), monitor)
        if self._cancelled():
            return "cancelled"
        if done + failed < total:
            return "paused"
        return "failed" if done == 0 else "done"

    def _during_run(self, run_id: int, monitor: Any, trace: list, live: Any = None) -> None:
        """Called at every generation step (and while a serving run waits for requests): keep
        the run's samples, forward them and a serving run's progress live, and stop here when
        asked to stop now."""
        now = time.monotonic()
        if now - self.last_trace >= TRACE_EVERY_S:
            self.last_trace = now
            fresh = self._publish(monitor.drain())
            trace.extend(fresh)
            self.emit(PowerTrace(self.id, run_id, fresh))
            if live is not None:
                state = {**live.snapshot(time.perf_counter()), "at": time.time()}
                set_live_serving(self.db, self.id, run_id, state)
        self._check_control()
        if self.control == "stop":
            raise _StopNow

    def _cooldown(self, seconds: float, monitor: Any) -> None:
        """Wait between runs, still publishing power (these samples belong to no run)."""
        deadline = time.monotonic() + seconds
        while not self._stopping():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            self.cancel.wait(min(0.1, remaining))
            self._check_control()
            self.emit(PowerTrace(self.id, None, self._publish(monitor.drain())))
