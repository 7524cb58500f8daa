"""The ray executor: a campaign's runs spread over the device slots of a Ray cluster.

This process (the driver) holds the campaign's lease, connects to the cluster, checks that the
LLM is on every node, starts one `SlotWorker` actor per slot (K whole GPUs each, or CPUs on a
CPU-only cluster) and hands each free slot the next pending run in the campaign's randomised
plan, so the repetitions of a configuration spread over slots. It is the only writer of the
store: it commits each result as it arrives, exactly as the local executor does, with the node,
slot, GPU model and driver of the slot that ran it, and publishes every slot's power (polled in
small batches) and state for the Monitor.

Faults: a slot that dies (node lost, out of memory, process killed) has its run in flight put
back at the head of the plan for another slot, and a replacement slot is started; a run whose
slot died under it MAX_LOSSES times is recorded failed. A run that fails for its own reason
comes back as a failed run and is recorded once, like any run. Pause and cancel act after the
runs in flight; stop abandons them (they go back to the plan).
"""

from __future__ import annotations

import logging
import os
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from pimp_tui.errors import PimpError
from pimp_tui.measure.executors import ExecutorSpec, require_ray
from pimp_tui.measure.executors.slot import SlotWorker, check_llm

POLL_S = 0.2
TELEMETRY_EVERY_S = 0.5
MAX_LOSSES = 2
"""A run whose slot died under it this many times is recorded failed, not retried again."""


@dataclass
class _Slot:
    index: int
    actor: Any
    label: str = ""
    node: str = ""
    ready: Any = None  # the prepare() call while the slot starts
    run: dict | None = None
    call: Any = None  # the run() call in flight
    telemetry: Any = None
    last_poll: float = 0.0
    stopping: bool = False
    info: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.label or f"slot {self.index}"


def connect(ray: Any, address: str | None) -> bool:
    """Join the cluster at `address` (or RAY_ADDRESS, or start a local one); True when this
    call connected (and so must disconnect)."""
    if ray.is_initialized():
        return False
    options: dict[str, Any] = {"logging_level": logging.WARNING, "log_to_driver": False}
    if address is None and not os.environ.get("RAY_ADDRESS"):
        options["include_dashboard"] = False
    try:
        ray.init(address=address, **options)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        where = address or os.environ.get("RAY_ADDRESS") or "this machine"
        raise PimpError(f"cannot reach the Ray cluster at {where}: {exc}") from None
    return True


def slot_shape(ray: Any, spec: ExecutorSpec) -> tuple[int, int, int]:
    """(GPUs per slot, CPUs per slot, how many slots the cluster's live nodes hold)."""
    nodes = [n for n in ray.nodes() if n.get("Alive")]
    gpus = sum(int(n.get("Resources", {}).get("GPU", 0)) for n in nodes)
    per_run = spec.gpus_per_run if spec.gpus_per_run is not None else (1 if gpus else 0)
    cpus = spec.cpus_per_run
    if per_run:
        count = sum(int(n.get("Resources", {}).get("GPU", 0)) // per_run for n in nodes)
        what = f"{per_run} GPU(s) per slot; the cluster has {gpus} GPU(s)"
    else:
        count = sum(int(n.get("Resources", {}).get("CPU", 0)) // cpus for n in nodes)
        what = f"{cpus} CPU(s) per slot"
    if count == 0:
        raise PimpError(f"the Ray cluster has no room for one slot ({what})")
    if spec.slots is not None:
        count = min(count, spec.slots)
    return per_run, cpus, count


def slot_actor(ray: Any, gpus: int, cpus: int) -> Any:
    """The actor class of a slot of `gpus` whole GPUs (0: a CPU slot) and `cpus` CPUs; two
    calls at once, so telemetry and stop reach a slot while it runs."""
    return ray.remote(SlotWorker).options(
        num_gpus=gpus, num_cpus=cpus, max_concurrency=2, max_restarts=0,
        scheduling_strategy="SPREAD",
    )  # fmt: skip


def check_nodes(ray: Any, llm: str) -> None:
    """Refuse to start when a live node lacks the LLM, naming every such node."""
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    probe = ray.remote(num_cpus=0)(check_llm)
    calls = [
        probe.options(
            scheduling_strategy=NodeAffinitySchedulingStrategy(node["NodeID"], soft=False)
        ).remote(llm)
        for node in ray.nodes()
        if node.get("Alive")
    ]
    missing = [f"{node}: {why}" for node, why in ray.get(calls) if why]
    if missing:
        raise PimpError("the LLM is missing on a node of the cluster: " + "; ".join(missing))


def worker_spec(camp: dict[str, Any], cpus: int) -> dict[str, Any]:
    """What a slot needs to measure the campaign (a local path made absolute: models are at
    the same place on every node)."""
    llm = camp["llm"]
    if os.path.exists(llm):
        llm = os.path.abspath(llm)
    return {"llm": llm, "task": camp["task"], "prompts": camp["prompts"], "seed": camp["seed"],
            "params": camp["params"], "sensor": camp["sensor"], "cpus": cpus}  # fmt: skip


def run_on_ray(loop: Any, camp: dict[str, Any], spec: ExecutorSpec) -> str:
    """Run the campaign's pending runs on the cluster; returns its status (like the local
    loop: done, failed, paused or cancelled)."""
    ray = require_ray()
    owned = connect(ray, spec.address)
    try:
        return _Driver(ray, loop, camp, spec).run()
    finally:
        if owned:
            ray.shutdown()


class _Driver:
    def __init__(self, ray: Any, loop: Any, camp: dict[str, Any], spec: ExecutorSpec) -> None:
        from pimp_tui.measure.executors import cluster_store

        self.ray, self.loop, self.camp, self.spec = ray, loop, camp, spec
        self.io = cluster_store.ClusterStore(loop.db, loop.id)
        self.slots: list[_Slot] = []
        self.next_index = 0
        self.losses: dict[int, int] = {}
        self.sensor: str | None = camp["sensor"]
        self.remote: Any = None

    # -- slots ----------------------------------------------------------------------------

    def _start_slot(self) -> None:
        slot = _Slot(self.next_index, self.remote.remote(self.worker, self.next_index))
        self.next_index += 1
        slot.ready = slot.actor.prepare.remote()
        self.slots.append(slot)

    def _drop(self, slot: _Slot, state: str, message: str) -> None:
        self.slots.remove(slot)
        if slot.label:
            self.io.slot(slot.label, slot.node, state=state, run_id=None, message=message)
        try:
            self.ray.kill(slot.actor, no_restart=True)
        except Exception:
            pass

    def _ready(self, slot: _Slot) -> None:
        """A slot finished starting: check it measures like the campaign, then use it."""
        try:
            info = self.ray.get(slot.ready)
        except self.ray.exceptions.RayError as exc:
            info = {"error": f"{slot.name}: lost while starting ({type(exc).__name__})"}
        slot.ready, slot.info = None, info
        slot.label, slot.node = info.get("slot", ""), info.get("node", "")
        if info.get("error"):
            self.failed_starts.append(info["error"])
            self.loop.notify(f"slot {info['error']}")
            self._drop(slot, "lost", info["error"])
            return
        if self.sensor is None:
            self.sensor = info["sensor"]
            self.io.first_sensor(info["sensor"], info["idle_watts"])
        elif info["sensor"] != self.sensor:
            why = f"measures with {info['sensor']}, the campaign with {self.sensor}: pass --sensor"
            self.loop.notify(f"slot {slot.label} {why}")
            self._drop(slot, "lost", why)
            return
        for note in info.get("notes", ()):
            self.loop.notify(f"{slot.label}: {note}")
        devices = f" devices {info['devices']}" if info.get("devices") else ""
        self.loop.notify(
            f"slot {slot.label}{devices}: sensor {info['sensor']}, idle {info['idle_watts']:.1f} W"
        )
        self.io.slot(slot.label, slot.node, state="idle", pid=info.get("pid"),
                     devices=info.get("devices"),
                     gpu_model=info.get("gpu_model"), sensor=info["sensor"],
                     idle_watts=info["idle_watts"])  # fmt: skip

    def _lost(self, slot: _Slot, exc: BaseException) -> None:
        """The slot died: its run goes back to the head of the plan, a new slot starts."""
        run = slot.run
        why = f"{type(exc).__name__}"
        self._drop(slot, "lost", why)
        if run is not None:
            losses = self.losses.get(run["id"], 0) + 1
            self.losses[run["id"]] = losses
            if losses >= MAX_LOSSES:
                error = f"its slot died {losses} times while running it (last: {why})"
                self.loop.notify(f"slot {slot.name} lost ({why}): run {run['id']} failed, {error}")
                self._record(slot, run, {"status": "failed", "metrics": {}, "error": error})
            else:
                self.io.abandon(run["id"])
                self.queue.appendleft(run)
                self.loop.notify(
                    f"slot {slot.name} lost ({why}): run {run['id']} goes to another slot"
                )
        else:
            self.loop.notify(f"slot {slot.name} lost ({why})")
        if self.replacements > 0 and self.queue and not self.loop._stopping():
            self.replacements -= 1
            self._start_slot()

    # -- runs -----------------------------------------------------------------------------

    def _hand(self, slot: _Slot, run: dict) -> None:
        """Give the slot a run, written first with the configuration it runs with."""
        from pimp_tui.measure.campaign_events import RunStarted
        from pimp_tui.measure.execute import effective_of

        camp = self.camp
        effective = effective_of(run["config"], camp["params"], camp["task"], self.cost_only)
        context = {"llm": camp["llm"], "task": camp["task"], **slot.info["context"]}
        self.io.start_run(run["id"], slot.label, slot.node, effective, context)
        slot.run = run
        slot.call = slot.actor.run.remote({**run, "effective": effective})
        started = RunStarted(self.loop.id, run["id"], run["position"], run["configuration_id"],
                             run["repetition"], effective)  # fmt: skip
        self.loop.emit(started)

    def _finished(self, slot: _Slot) -> None:
        run, call = slot.run, slot.call
        assert run is not None
        try:
            result = self.ray.get(call)
        except self.ray.exceptions.RayTaskError as exc:  # the slot's code raised: the run failed
            result = {"status": "failed", "metrics": {"sensor": self.sensor},
                      "error": str(exc).strip().splitlines()[-1][:2000]}  # fmt: skip
        except self.ray.exceptions.RayError as exc:
            self._lost(slot, exc)
            return
        slot.run = slot.call = None
        if result["status"] == "stopped":
            self.io.abandon(run["id"])
            self.io.slot(slot.label, slot.node, state="idle", run_id=None)
            self.loop.notify(f"stopped: run {run['id']} goes back to the plan")
            return
        self._record(slot, run, result)
        self.io.slot(slot.label, slot.node, state="idle", run_id=None)

    def _record(self, slot: _Slot, run: dict, result: dict) -> None:
        from pimp_tui.measure.campaign_events import CampaignProgress, RunFinished

        metrics = dict(result.get("metrics") or {})
        for key in ("node", "slot", "gpu_driver"):
            metrics.setdefault(key, slot.info.get(key))
        self.io.finish_run(run["id"], result["status"], metrics, result.get("error"),
                           result.get("outputs") or [], result.get("traceback"),
                           result.get("trace") or [])  # fmt: skip
        self.done += result["status"] == "done"
        self.failed += result["status"] == "failed"
        self.loop.emit(RunFinished(self.loop.id, run["id"], result["status"], metrics,
                                   result.get("error"), run["configuration_id"],
                                   run["repetition"]))  # fmt: skip
        working = max(1, sum(1 for s in self.slots if s.ready is None))
        eta = self.io.remaining_s()
        self.loop.emit(CampaignProgress(self.loop.id, self.done, self.failed, self.total,
                                        time.monotonic() - self.started,
                                        None if eta is None else eta / working))  # fmt: skip

    def _poll_telemetry(self, slot: _Slot, now: float) -> None:
        if slot.telemetry is not None:
            ready, _ = self.ray.wait([slot.telemetry], timeout=0)
            if not ready:
                return
            try:
                samples = self.ray.get(slot.telemetry)
            except self.ray.exceptions.RayError:
                samples = []
            slot.telemetry = None
            self.io.power(slot.label, samples)
        if now - slot.last_poll >= TELEMETRY_EVERY_S:
            slot.last_poll = now
            slot.telemetry = slot.actor.telemetry.remote()

    # -- the loop -------------------------------------------------------------------------

    def run(self) -> str:
        from pimp_tui.measure.campaign_events import CampaignProgress, CampaignStatus
        from pimp_tui.measure.llm import resolve
        from pimp_tui.measure.tasks.serving import is_serving

        if is_serving(self.camp["task"]):
            raise PimpError("the serving task runs with the local executor (--executor local)")
        ray, loop = self.ray, self.loop
        self.cost_only = resolve(self.camp["llm"]).cost_only
        check_nodes(ray, self.camp["llm"])
        gpus, cpus, count = slot_shape(ray, self.spec)
        self.queue: deque = deque(self.io.pending())
        counts = self.io.counts()
        self.total, self.done, self.failed = counts["total"], counts["done"], counts["failed"]
        self.started = time.monotonic()
        count = min(count, max(1, len(self.queue)))
        self.replacements = 2 * count
        self.failed_starts: list[str] = []
        self.worker = worker_spec(self.camp, cpus)
        self.remote = slot_actor(ray, gpus, cpus)
        self.io.begin(self.sensor)
        shape = f"{gpus} GPU(s)" if gpus else f"{cpus} CPU(s)"
        loop.notify(f"ray: {count} slot(s) of {shape} on {len(ray.nodes())} node(s)")
        loop.emit(CampaignStatus(loop.id, "running", f"ray, {count} slot(s)"))
        loop.emit(CampaignProgress(loop.id, self.done, self.failed, self.total, 0.0,
                                   self.io.remaining_s()))  # fmt: skip
        for _ in range(count):
            self._start_slot()
        try:
            self._loop()
        finally:
            for slot in list(self.slots):
                self._drop(slot, "done", "")
            self.io.end()
        if loop._cancelled():
            return "cancelled"
        if self.done + self.failed < self.total:
            return "paused"
        return "failed" if self.done == 0 else "done"

    def _loop(self) -> None:
        ray, loop = self.ray, self.loop
        while True:
            loop._check_control()
            stopping = loop._stopping()
            if loop.control == "stop":
                for slot in self.slots:
                    if slot.call is not None and not slot.stopping:
                        slot.stopping = True
                        slot.actor.stop_now.remote()
            for slot in list(self.slots):
                if slot.ready is None and slot.call is None and self.queue and not stopping:
                    self._hand(slot, self.queue.popleft())
            busy = [s for s in self.slots if s.call is not None]
            if not busy and (stopping or not self.queue):
                return
            if not self.slots:
                raise PimpError(
                    "no slot of the Ray cluster can measure this campaign"
                    + (f": {self.failed_starts[0]}" if self.failed_starts else "")
                )
            waiting = {s.ready: s for s in self.slots if s.ready is not None}
            waiting.update({s.call: s for s in busy})
            ready, _ = ray.wait(list(waiting), num_returns=1, timeout=POLL_S)
            if ready:
                ready, _ = ray.wait(list(waiting), num_returns=len(waiting), timeout=0)
            for ref in ready:
                slot = waiting[ref]
                if ref == slot.ready:
                    self._ready(slot)
                else:
                    self._finished(slot)
            now = time.monotonic()
            for slot in list(self.slots):
                if slot.ready is None:
                    self._poll_telemetry(slot, now)
