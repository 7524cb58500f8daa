"""The loop that measures a campaign's pending runs on this machine (or hands them to a Ray
cluster's slots), under the protocol of DESIGN.md and safe against crashes.

Protocol: the idle baseline is measured once per campaign (gross and idle-subtracted energy are
both kept), a warm-up generation precedes the first window after every model load, runs go in
the random order planned with the seed, a cooldown separates runs. Each run is committed when it
finishes, with its power trace; `kill -9` loses at most the run in flight, which a resume redoes.

The loop reports through `on_event` and stops between runs when pause or cancel is asked (see
`measure.campaign_control`): pause and cancel after the run in flight, stop at the next
generation step, the stopped run going back to the plan. It writes its power samples to the
store as they come, for windows of other processes."""

from __future__ import annotations

import time
from typing import Any

from pimp_tui.measure.campaign_control import ControlPoll, Heartbeat, StopNow
from pimp_tui.measure.campaign_events import (
    CampaignProgress,
    CampaignStatus,
    OnEvent,
    PowerTrace,
    RunFinished,
    RunStarted,
)
from pimp_tui.measure.eta import campaign_remaining_s
from pimp_tui.measure.executors import ExecutorSpec
from pimp_tui.store import campaigns as store
from pimp_tui.store import control
from pimp_tui.store.requests import set_live_serving
from pimp_tui.store.workloads import find_trace

DEFAULT_COOLDOWN_S = 0.5
DEFAULT_IDLE_S = 2.0
DEFAULT_HZ = 10.0
TRACE_EVERY_S = 0.5


class CampaignLoop(ControlPoll):
    def __init__(self, db, db_path, campaign_id, on_event, pause, cancel, notify) -> None:  # noqa: ANN001
        super().__init__(db, campaign_id, pause, cancel)
        self.db_path = db_path
        self.emit: OnEvent = on_event or (lambda event: None)
        self.notify = notify or (lambda message: None)
        self.last_trace = 0.0
        self.unix_offset = time.time() - time.monotonic()
        self.executor: ExecutorSpec | None = None

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
            with Heartbeat(self.db_path, self.id):
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
        from pimp_tui.measure.provenance import run_context
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
            except StopNow:
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
            raise StopNow

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
