"""Starting campaigns in processes of their own and controlling any campaign of a store: the
rules the workbench and `pimp campaign` share.

A started campaign runs in a worker process in a new session (no controlling terminal, stdin
from /dev/null, output appended to a log file next to the store), so an SSH drop, closing the
app or ctrl+q never stops it. Any process that opens the store controls it through the store.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pimp_tui.errors import CampaignBusy, PimpError
from pimp_tui.measure.campaign_events import CampaignProgress, RunFinished, RunStarted
from pimp_tui.measure.eta import format_duration
from pimp_tui.measure.executors import ExecutorSpec
from pimp_tui.services import open_db

if TYPE_CHECKING:
    import polars as pl

__all__ = ["CampaignProgress", "RunFinished", "RunStarted", "format_duration"]
"""Events a campaign run here reports (`run_here`'s `on_event`) and how durations read."""

WORKER_MODULE = "pimp_tui.cli.worker"
FINISHED = ("done", "cancelled")


@dataclass(frozen=True)
class Detached:
    """A campaign handed to its own process."""

    campaign_id: int
    pid: int
    log: Path

    def how_to_watch(self, db_path: str | Path) -> str:
        db = f" --db {db_path}" if Path(db_path).name != "pimp.db" else ""
        return (
            f"campaign {self.campaign_id} runs in process {self.pid}; log: {self.log}\n"
            f"watch it: pimp{db} (Monitor pane) or tail -f {self.log}\n"
            f"control it: pimp{db} campaign pause|resume|cancel|stop {self.campaign_id}"
        )


def log_path(db_path: str | Path, campaign_id: int) -> Path:
    """Where a detached campaign writes (one line per finished run): beside the store."""
    db = Path(db_path).resolve()
    return db.with_name(f"{db.stem}-campaign-{campaign_id}.log")


def start_detached(db_path: str | Path, campaign_id: int) -> Detached:
    """Run (or resume) a campaign in a new process of its own session; returns at once."""
    db = open_db(db_path)
    try:
        from pimp_tui.store.campaigns import get_campaign

        camp = get_campaign(db, campaign_id)
    finally:
        db.conn.close()
    if camp["alive"]:
        raise CampaignBusy(
            f"campaign {campaign_id} is running in process {camp['pid']} on {camp['host']}"
        )
    log = log_path(db_path, campaign_id)
    command = [sys.executable, "-m", WORKER_MODULE, str(Path(db_path).resolve()), str(campaign_id)]
    with open(log, "ab") as out:
        said = out.tell()
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True, close_fds=True,
        )  # fmt: skip
    _await_claim(db_path, campaign_id, process, log, said)
    # Reap it when it ends while this process lives (no zombie that looks alive to kill(pid, 0)).
    threading.Thread(target=process.wait, name=f"pimp-reap-{process.pid}", daemon=True).start()
    return Detached(campaign_id, process.pid, log)


CLAIM_WAIT_S = 10.0
"""How long a start waits for its worker to take the campaign (it does so before loading any
model, within a second or two of starting)."""


def _await_claim(
    db_path: str | Path, campaign_id: int, process: subprocess.Popen, log: Path, said: int
) -> None:
    """Return once the new worker holds the campaign (or is still starting after
    CLAIM_WAIT_S); a worker that ended first, as when another process took the campaign a
    moment before, raises its own last words with its exit status."""
    from pimp_tui.store.campaigns import get_campaign

    deadline = time.monotonic() + CLAIM_WAIT_S
    while process.poll() is None:
        db = open_db(db_path)
        try:
            if get_campaign(db, campaign_id)["pid"] == process.pid or time.monotonic() > deadline:
                return
        finally:
            db.conn.close()
        time.sleep(0.1)
    if process.returncode == 0:
        return  # nothing was left to do
    with open(log, "rb") as out:
        out.seek(said)
        lines = out.read().decode("utf-8", "replace").strip().splitlines()
    last = lines[-1].removeprefix("pimp: ") if lines else f"exit status {process.returncode}"
    error = PimpError(f"campaign {campaign_id}: its worker {process.pid} ended at once: {last}")
    error.exit_code = process.returncode
    raise error


def control(db_path: str | Path, campaign_id: int, action: str) -> str:
    """Ask campaign `campaign_id` to pause, cancel or stop; returns what will happen.

    A campaign no process runs is cancelled at once; pausing or stopping it is refused, unless
    it is starting (its worker then acts on the request as soon as it reads it)."""
    from pimp_tui.store import control as store_control
    from pimp_tui.store.campaigns import get_campaign, set_status

    if action not in store_control.CONTROLS:
        raise PimpError(f"unknown action {action!r}: pause, resume, cancel or stop")
    db = open_db(db_path)
    try:
        camp = get_campaign(db, campaign_id)
        status = camp["status"]
        if status in FINISHED:
            raise PimpError(f"campaign {campaign_id} is {status}")
        if not camp["alive"]:
            if action == "cancel":
                set_status(db, campaign_id, "cancelled", control=None)
                return f"campaign {campaign_id} cancelled ({camp['done'] + camp['failed']}/" \
                       f"{camp['total']} runs finished)"  # fmt: skip
            if status == "paused":
                raise PimpError(f"campaign {campaign_id} is already paused")
            store_control.request(db, campaign_id, action)
            return f"campaign {campaign_id} is not running ({status}): it will {action} " \
                   "as soon as a worker starts it"  # fmt: skip
        store_control.request(db, campaign_id, action)
    finally:
        db.conn.close()
    return {
        "pause": f"campaign {campaign_id} will pause after the run in flight",
        "cancel": f"campaign {campaign_id} will be cancelled after the run in flight",
        "stop": f"campaign {campaign_id} stops now; the run in flight is redone on resume",
    }[action]


def resume(db_path: str | Path, campaign_id: int) -> tuple[str, Detached | None]:
    """Carry on: withdraw a pause not yet acted on, or start a worker for the pending runs."""
    from pimp_tui.store import control as store_control
    from pimp_tui.store.campaigns import get_campaign

    db = open_db(db_path)
    try:
        camp = get_campaign(db, campaign_id)
        if camp["total"] and camp["done"] + camp["failed"] == camp["total"]:
            raise PimpError(f"campaign {campaign_id} has no run left to do")
        store_control.request(db, campaign_id, None)
    finally:
        db.conn.close()
    if camp["alive"]:
        if camp["control"]:
            return f"campaign {campaign_id} carries on ({camp['control']} withdrawn)", None
        raise CampaignBusy(
            f"campaign {campaign_id} is running in process {camp['pid']} on {camp['host']}"
        )
    started = start_detached(db_path, campaign_id)
    return f"campaign {campaign_id} resumed in process {started.pid}", started


def stored_sample_id(db_path: str | Path, ref: str) -> int:
    """The stored sample named by id or by name (a name held by samples of two models is
    refused: give the id)."""
    from pimp_tui.store.samples import list_samples

    db = open_db(db_path)
    try:
        samples = list_samples(db)
    finally:
        db.conn.close()
    if ref.isdigit() and any(s["id"] == int(ref) for s in samples):
        return int(ref)
    named = [s for s in samples if s["name"] == ref]
    if len(named) == 1:
        return int(named[0]["id"])
    if named:
        ids = ", ".join(str(s["id"]) for s in named)
        raise PimpError(f"several stored samples are named {ref!r} (ids {ids}): give the id")
    raise PimpError(f"no stored sample {ref!r}: `pimp sample ... --db DB --name NAME` stores one")


@dataclass(frozen=True)
class CampaignRequest:
    """A campaign to plan: on a stored sample (`sample`: id or name) or on a new sample of
    `feature_model` (drawn with `algorithm`, `t`, `size` and `seed`, fixed to this host first).
    None for cooldown, idle and hz: the measurement defaults."""

    db_path: str | Path
    sample: str | int | None = None
    feature_model: str | None = None
    algorithm: str = "twise"
    t: int = 2
    size: int | None = None
    task: str = "arith"
    prompts: int = 10
    requests: int | None = None
    """A serving task's requests per run (instead of `prompts`)."""
    duration_s: float | None = None
    """A serving task's arrivals after this many seconds are dropped."""
    repetitions: int = 3
    llm: str = "smollm2"
    sensor: str | None = None
    seed: int = 0
    max_new_tokens: int | None = None
    warmup: bool = True
    prefill_split: bool = False
    name: str | None = None
    cooldown_s: float | None = None
    idle_s: float | None = None
    hz: float | None = None
    cpu_watts: float | None = None
    """The estimate sensor's watts per busy core (None: its default)."""
    executor: ExecutorSpec = field(default_factory=ExecutorSpec)
    """Where the runs execute: here, or the slots of a Ray cluster (services.cluster)."""


@dataclass
class Planned:
    campaign_id: int
    host_fixes: list[str] = field(default_factory=list)
    """Constraints the host added before sampling, each with its reason."""
    sample_id: int = 0
    drawn: str | None = None
    """The name of the sample drawn and stored for it; None when it measures a stored one."""


def plan_campaign(request: CampaignRequest) -> Planned:
    """Check everything cheap first (model file, LLM, task), then sample if asked and plan
    every run in the store."""
    from pimp_tui.measure.campaign import create_campaign

    if bool(request.feature_model) == bool(request.sample):
        raise PimpError("measure: give FEATURE_MODEL or --sample ID|NAME (or --resume ID)")
    if request.prompts < 1 or request.repetitions < 1:
        raise PimpError("measure: --prompts and --repetitions must be at least 1")
    if request.requests is not None:
        from pimp_tui.measure.tasks.serving import is_serving

        if not is_serving(request.task) or request.requests < 1:
            raise PimpError("measure: --requests N (at least 1) is for --task serving[:TASK]")
        request = dataclasses.replace(request, prompts=request.requests)
    fixes: list[str] = []
    drawn: str | None = None
    if request.sample:
        sample_id = stored_sample_id(request.db_path, str(request.sample))
    else:
        sample_id, drawn, fixes = _sample_for(request)
    options = {"cooldown_s": request.cooldown_s, "idle_s": request.idle_s, "hz": request.hz,
               "cpu_watts": request.cpu_watts}  # fmt: skip
    campaign_id = create_campaign(
        request.db_path, sample_id=sample_id, task=request.task, prompts=request.prompts,
        repetitions=request.repetitions, llm=request.llm, sensor=request.sensor,
        seed=request.seed, max_new_tokens=request.max_new_tokens, warmup=request.warmup,
        name=request.name, prefill_split=request.prefill_split, duration_s=request.duration_s,
        executor=request.executor.to_params(),
        **{k: v for k, v in options.items() if v is not None},
    )  # fmt: skip
    return Planned(campaign_id, fixes, sample_id, drawn)


def _sample_for(request: CampaignRequest) -> tuple[int, str, list[str]]:
    """Draw and store the sample a new campaign measures (only what this host runs): its id,
    its name, and the host's constraints."""
    from pimp_tui.measure.llm import resolve
    from pimp_tui.measure.tasks import load_task
    from pimp_tui.sampling import draw
    from pimp_tui.services.cluster import sampling_host
    from pimp_tui.services.sampling import fix_to_host, store_model
    from pimp_tui.store.samples import save_sample
    from pimp_tui.variability.io import load_model

    assert request.feature_model is not None
    base = load_model(request.feature_model)
    resolve(request.llm)
    load_task(request.task, request.prompts, request.seed)
    params: dict[str, Any] = {"t": request.t, "size": request.size, "seed": request.seed}
    # Only what this host (or one slot of the cluster) runs is sampled.
    model, fixes = fix_to_host(base, sampling_host(request.executor))
    host = [f"{fix.constraint} ({fix.reason})" for fix in fixes]
    if host:
        params["host"] = host
    drawn = draw(model, request.algorithm, t=request.t, size=request.size, seed=request.seed)
    if not drawn.configs:
        raise PimpError(f"measure: the {request.algorithm} sample is empty")
    db = open_db(request.db_path)
    try:
        model_id = store_model(db, base, None, base.root.name)
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S.%f")
        name = f"measure-{request.algorithm}-{stamp}"
        sample_id = save_sample(
            db, model_id, name, request.algorithm, params, drawn.configs, None, drawn.lower_bound
        )
    finally:
        db.close()
    return sample_id, name, host


def start_campaign(request: CampaignRequest) -> Detached:
    """Plan a campaign and hand it to a process of its own (what the Monitor pane does)."""
    return start_detached(request.db_path, plan_campaign(request).campaign_id)


def run_here(
    db_path: str | Path,
    campaign_id: int,
    *,
    withdraw: bool = False,
    on_event: Callable[[object], None] | None = None,
    notify: Callable[[str], None] | None = None,
) -> str:
    """Run (or resume) a campaign in this process; returns its final status. `withdraw` first
    withdraws an earlier pause or stop request (a resume)."""
    from pimp_tui.measure.campaign import run_campaign

    if withdraw:
        from pimp_tui.store import control as store_control

        db = open_db(db_path)
        try:
            store_control.request(db, campaign_id, None)
        finally:
            db.close()
    return run_campaign(db_path, campaign_id, on_event=on_event, notify=notify)


def campaign(db_path: str | Path, campaign_id: int) -> dict[str, Any]:
    """One campaign's row: status, counts, process, sensor..."""
    from pimp_tui.store.campaigns import get_campaign

    db = open_db(db_path)
    try:
        return get_campaign(db, campaign_id)
    finally:
        db.close()


def campaigns(db_path: str | Path) -> list[dict[str, Any]]:
    """Every campaign, with `shown_status`: a running campaign no process runs any more reads
    as interrupted."""
    from pimp_tui.store.campaigns import list_campaigns

    db = open_db(db_path)
    try:
        rows = list_campaigns(db)
    finally:
        db.close()
    for row in rows:
        interrupted = row["status"] == "running" and not row["alive"]
        row["shown_status"] = "interrupted (measure --resume)" if interrupted else row["status"]
    return rows


def last_settings(db_path: str | Path) -> dict[str, Any]:
    """The newest campaign's settings, named as the new-campaign form names them: reopening
    pimp, a user starts from what they last ran ({} in a store without campaigns)."""
    rows = campaigns(db_path)
    if not rows:
        return {}
    camp = max(rows, key=lambda row: row["id"])
    params, executor = camp["params"], ExecutorSpec.from_params(camp["params"])
    settings = {key: camp[key] for key in ("task", "prompts", "repetitions", "llm")}
    settings.update({key: params[key] for key in ("max_new_tokens", "cooldown_s", "cpu_watts")
                     if params.get(key) is not None})  # fmt: skip
    settings.update(sensor=camp["sensor"] or "", executor=executor.kind,
                    address=executor.address, gpus_per_run=executor.gpus_per_run)  # fmt: skip
    return settings


def runs_frame(db_path: str | Path, campaign_id: int | None = None) -> pl.DataFrame:
    """The measured runs (of one campaign, or all) as exported: one row per run."""
    import polars as pl

    from pimp_tui.store.campaigns import get_campaign, runs_rows

    db = open_db(db_path)
    try:
        if campaign_id is not None:
            get_campaign(db, campaign_id)
        rows = runs_rows(db, campaign_id)
    finally:
        db.close()
    return pl.DataFrame(rows, infer_schema_length=None, strict=False)


def requests_frame(db_path: str | Path, campaign_id: int | None = None) -> pl.DataFrame:
    """The requests of the finished serving runs (of one campaign, or all) as exported: one
    row per request, with its run's identifiers and its queue wait, TTFT, TPOT and latency."""
    import polars as pl

    from pimp_tui.store.campaigns import get_campaign
    from pimp_tui.store.requests import REQUEST_COLUMNS, request_rows

    db = open_db(db_path)
    try:
        if campaign_id is not None:
            get_campaign(db, campaign_id)
        rows = request_rows(db, campaign_id)
    finally:
        db.close()
    if not rows:
        names = ("campaign_id", "run_id", "configuration_id", "repetition", *REQUEST_COLUMNS)
        return pl.DataFrame({name: [] for name in names})
    return pl.DataFrame(rows, infer_schema_length=None, strict=False)
