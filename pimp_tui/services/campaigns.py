"""Starting campaigns in processes of their own and controlling any campaign of a store: the
rules the workbench and `pimp campaign` share.

A started campaign runs in a worker process in a new session (no controlling terminal, stdin
from /dev/null, output appended to a log file next to the store), so an SSH drop, closing the
app or ctrl+q never stops it. Any process that opens the store controls it through the store.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from pimp_tui.errors import PimpError
from pimp_tui.services import open_db

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
        raise PimpError(
            f"campaign {campaign_id} is running in process {camp['pid']} on {camp['host']}"
        )
    log = log_path(db_path, campaign_id)
    command = [sys.executable, "-m", WORKER_MODULE, str(Path(db_path).resolve()), str(campaign_id)]
    with open(log, "ab") as out:
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True, close_fds=True,
        )  # fmt: skip
    # Reap it when it ends while this process lives (no zombie that looks alive to kill(pid, 0)).
    threading.Thread(target=process.wait, name=f"pimp-reap-{process.pid}", daemon=True).start()
    return Detached(campaign_id, process.pid, log)


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
        raise PimpError(
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
