"""Campaigns, their planned runs and per-run power traces.

Every run is planned up front, one row per (configuration, repetition), so a crash can only
leave rows 'pending' or 'running' — never missing or duplicated. A finished run is written in one
transaction together with its power trace.
"""

from __future__ import annotations

import json
import os
import random
import socket
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlite_utils

from pimp_tui.errors import CampaignBusy, PimpError
from pimp_tui.store.requests import SERVING_COLUMNS, replace_requests

NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
STATUSES = ("planned", "running", "paused", "done", "cancelled", "failed")
STALE_AFTER_S = 30.0
"""A 'running' campaign whose heartbeat is older than this has lost its process."""

TRACE_COLUMNS = (
    "run_id",
    "t",
    "device",
    "watts",
    "temperature_c",
    "sm_clock_mhz",
    "utilisation_pct",
    "memory_used_mib",
)
METRIC_COLUMNS = (
    "energy_j",
    "energy_net_j",
    "energy_per_token_j",
    "energy_net_per_token_j",
    "energy_per_request_j",
    "latency_s",
    "ttft_s",
    "tpot_s",
    "input_tokens",
    "output_tokens",
    "tokens_per_s",
    "peak_memory_bytes",
    "memory_source",
    "accuracy",
    "correct",
    "requests",
    "sensor",
    "energy_method",
    "power_source",
    "short_window",
    "window_s",
    "settings",
    "versions",
    "prefill_energy_j",
    "decode_energy_j",
    "prefill_latency_s",
    "decode_latency_s",
    "prefill_passes",
    "prefill_short_window",
    *SERVING_COLUMNS,
    "node",
    "slot",
    "gpu_driver",
)


def create_campaign(
    db: sqlite_utils.Database,
    *,
    sample_id: int,
    task: str,
    prompts: int,
    repetitions: int,
    llm: str,
    sensor: str | None = None,
    seed: int = 0,
    params: Mapping[str, Any] | None = None,
    name: str | None = None,
) -> int:
    """Insert a campaign and plan its runs in rounds, one per repetition: every configuration
    once, in a random order fixed by `seed`, then again in another. Randomised within a round
    (drift is not confounded with a setting), each configuration is measured early and late,
    a campaign stopped after its first round has measured every configuration, and the later
    rounds' cost is known from the first (the time-left estimate prices a run by its
    configuration's finished runs)."""
    if repetitions < 1 or prompts < 1:
        raise PimpError("a campaign needs at least one prompt and one repetition")
    config_ids = [
        row[0]
        for row in db.execute(
            "SELECT id FROM configurations WHERE sample_id = ? ORDER BY position", [sample_id]
        ).fetchall()
    ]
    if not config_ids:
        raise PimpError(f"sample {sample_id} does not exist or has no configurations")
    rng = random.Random(seed)
    plan = []
    for rep in range(repetitions):  # one round per repetition, each in its own random order
        round_order = list(config_ids)
        rng.shuffle(round_order)
        plan += [(cid, rep) for cid in round_order]
    with db.conn:
        cursor = db.conn.execute(
            "INSERT INTO campaigns (sample_id, name, task, prompts, repetitions, llm, sensor,"
            " seed, params) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [sample_id, name, task, prompts, repetitions, llm, sensor, seed,
             json.dumps(dict(params or {}), sort_keys=True)],
        )  # fmt: skip
        campaign_id = int(cursor.lastrowid)  # type: ignore[arg-type]
        db.conn.executemany(
            "INSERT INTO runs (campaign_id, configuration_id, repetition, position)"
            " VALUES (?, ?, ?, ?)",
            [(campaign_id, cid, rep, pos) for pos, (cid, rep) in enumerate(plan)],
        )
    return campaign_id


def get_campaign(db: sqlite_utils.Database, campaign_id: int) -> dict[str, Any]:
    """The campaign row (params decoded), with run counts and whether its process is alive."""
    rows = list_campaigns(db, campaign_id)
    if not rows:
        raise PimpError(f"no campaign {campaign_id}")
    return rows[0]


def list_campaigns(db: sqlite_utils.Database, campaign_id: int | None = None) -> list[dict]:
    """Every campaign (or one), newest first, with done/failed/pending counts."""
    where = "WHERE c.id = ?" if campaign_id is not None else ""
    sql = f"""
        SELECT c.*,
            (SELECT COUNT(*) FROM runs r WHERE r.campaign_id = c.id) AS total,
            (SELECT COUNT(*) FROM runs r WHERE r.campaign_id = c.id AND r.status = 'done')
                AS done,
            (SELECT COUNT(*) FROM runs r WHERE r.campaign_id = c.id AND r.status = 'failed')
                AS failed,
            (julianday('now') - julianday(c.heartbeat_at)) * 86400.0 AS heartbeat_age_s
        FROM campaigns c {where} ORDER BY c.id DESC
    """
    cursor = db.execute(sql, [campaign_id] if campaign_id is not None else [])
    names = [d[0] for d in cursor.description]
    rows = []
    for values in cursor.fetchall():
        row = dict(zip(names, values, strict=True))
        row["params"] = json.loads(row["params"] or "{}")
        row["alive"] = _alive(row)
        rows.append(row)
    return rows


def _alive(row: Mapping[str, Any]) -> bool:
    """Whether a process is still running the campaign: on this host, its pid says so at once
    (a `kill -9` leaves a fresh heartbeat behind); elsewhere, a recent heartbeat does."""
    if row["status"] != "running":
        return False
    if row["host"] == socket.gethostname() and row["pid"]:
        try:
            os.kill(row["pid"], 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass
    age = row["heartbeat_age_s"]
    return age is not None and age < STALE_AFTER_S


def claim(db: sqlite_utils.Database, campaign_id: int) -> dict[str, Any]:
    """Take the campaign's run lease for this process and mark it running, in one write
    transaction that first checks no live process holds it: of two processes resuming one
    campaign, whatever the timing, exactly one gets it. A lease left by a process that is gone
    (or whose heartbeat went stale) is taken over. Returns the campaign as it was before."""
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        camp = get_campaign(db, campaign_id)
        if camp["alive"]:
            raise CampaignBusy(
                f"campaign {campaign_id} is running in process {camp['pid']} on {camp['host']}"
            )
        db.conn.execute(
            f"UPDATE campaigns SET status = 'running', pid = ?, host = ?, claimed_at = {NOW},"
            f" heartbeat_at = {NOW}, started_at = COALESCE(started_at, {NOW}) WHERE id = ?",
            [os.getpid(), socket.gethostname(), campaign_id],
        )
        db.conn.execute("COMMIT")
    except BaseException:
        db.conn.execute("ROLLBACK")
        raise
    return camp


def release(db: sqlite_utils.Database, campaign_id: int) -> None:
    """Let go of the run lease this process holds (its final status is set apart)."""
    with db.conn:
        db.conn.execute(
            "UPDATE campaigns SET claimed_at = NULL WHERE id = ? AND pid = ? AND host = ?",
            [campaign_id, os.getpid(), socket.gethostname()],
        )


def first_error(db: sqlite_utils.Database, campaign_id: int) -> str | None:
    """The error of the campaign's first failed run, in plan order."""
    row = db.execute(
        "SELECT error FROM runs WHERE campaign_id = ? AND status = 'failed'"
        " ORDER BY position LIMIT 1",
        [campaign_id],
    ).fetchone()
    return row[0] if row else None


def set_status(db: sqlite_utils.Database, campaign_id: int, status: str, **fields: Any) -> None:
    """Change a campaign's status (and any of its other columns) and beat its heartbeat."""
    if status not in STATUSES:
        raise ValueError(f"unknown campaign status {status!r}")
    fields["status"] = status
    if status == "running":
        fields.setdefault("pid", os.getpid())
        fields.setdefault("host", socket.gethostname())
    assignments = ", ".join(f"{name} = ?" for name in fields)
    stamp = ", started_at = COALESCE(started_at, " + NOW + ")" if status == "running" else ""
    if status in ("done", "cancelled", "failed"):
        stamp = f", finished_at = {NOW}"
    with db.conn:
        db.conn.execute(
            f"UPDATE campaigns SET {assignments}, heartbeat_at = {NOW}{stamp} WHERE id = ?",
            [*fields.values(), campaign_id],
        )


def heartbeat(db: sqlite_utils.Database, campaign_id: int) -> None:
    """Say 'still running' (a watcher treats a stale heartbeat as a dead process)."""
    with db.conn:
        db.conn.execute(f"UPDATE campaigns SET heartbeat_at = {NOW} WHERE id = ?", [campaign_id])


def reset_interrupted(db: sqlite_utils.Database, campaign_id: int) -> int:
    """Runs left 'running' by a killed process go back to 'pending' (their partial traces
    dropped), so resuming redoes them exactly once. Returns how many."""
    with db.conn:
        db.conn.execute(
            "DELETE FROM traces WHERE run_id IN"
            " (SELECT id FROM runs WHERE campaign_id = ? AND status = 'running')",
            [campaign_id],
        )
        cursor = db.conn.execute(
            "UPDATE runs SET status = 'pending', started_at = NULL"
            " WHERE campaign_id = ? AND status = 'running'",
            [campaign_id],
        )
    return cursor.rowcount


def pending_runs(db: sqlite_utils.Database, campaign_id: int) -> list[dict[str, Any]]:
    """Runs still to do, in plan order, each with its configuration decoded."""
    cursor = db.execute(
        "SELECT r.id, r.configuration_id, r.repetition, r.position, c.config"
        " FROM runs r JOIN configurations c ON c.id = r.configuration_id"
        " WHERE r.campaign_id = ? AND r.status = 'pending' ORDER BY r.position",
        [campaign_id],
    )
    return [
        {"id": rid, "configuration_id": cid, "repetition": rep, "position": pos,
         "config": json.loads(config)}
        for rid, cid, rep, pos, config in cursor.fetchall()
    ]  # fmt: skip


CONTEXT_COLUMNS = ("llm", "task", "device", "hardware")
"""Where a run ran, written with its effective configuration when it starts."""


def start_run(
    db: sqlite_utils.Database,
    campaign_id: int,
    run_id: int,
    *,
    effective: Mapping[str, Any] | None = None,
    context: Mapping[str, Any] | None = None,
) -> None:
    """Mark a run as in flight (a crash now leaves it 'running', reset on resume), with the
    effective configuration it runs with, its context (CONTEXT_COLUMNS) and the worker session
    (the campaign's claim) that runs it."""
    context = context or {}
    values = [context.get(name) for name in CONTEXT_COLUMNS]
    with db.conn:
        db.conn.execute(
            f"UPDATE runs SET status = 'running', started_at = {NOW}, effective = ?,"
            " effective_source = ?, llm = ?, task = ?, device = ?, hardware = ?,"
            " session = (SELECT claimed_at FROM campaigns WHERE id = ?) WHERE id = ?",
            [None if effective is None else json.dumps(dict(effective)),
             None if effective is None else "runner", *values, campaign_id, run_id],
        )  # fmt: skip
        db.conn.execute(f"UPDATE campaigns SET heartbeat_at = {NOW} WHERE id = ?", [campaign_id])


def finish_run(
    db: sqlite_utils.Database,
    run_id: int,
    status: str,
    metrics: Mapping[str, Any],
    error: str | None = None,
    trace: Iterable[Sequence[Any]] = (),
    requests: Iterable[Mapping[str, Any]] = (),
) -> None:
    """Store a finished run, its trace rows (TRACE_COLUMNS minus run_id) and a serving run's
    request records (store.requests.REQUEST_COLUMNS) in one commit."""
    if status not in ("done", "failed"):
        raise ValueError(f"a finished run is 'done' or 'failed', not {status!r}")
    values = {name: metrics.get(name) for name in METRIC_COLUMNS}
    assignments = ", ".join(f"{name} = ?" for name in values)
    placeholders = ", ".join("?" for _ in TRACE_COLUMNS)
    with db.conn:
        db.conn.execute(
            f"UPDATE runs SET status = ?, error = ?, finished_at = {NOW}, {assignments}"
            " WHERE id = ?",
            [status, error, *values.values(), run_id],
        )
        db.conn.executemany(
            f"INSERT INTO traces ({', '.join(TRACE_COLUMNS)}) VALUES ({placeholders})",
            ((run_id, *row) for row in trace),
        )
        replace_requests(db, run_id, requests)


def run_trace(db: sqlite_utils.Database, run_id: int) -> list[dict[str, Any]]:
    """A run's stored power trace, in time order."""
    return list(db.query("SELECT * FROM traces WHERE run_id = ? ORDER BY t, device", [run_id]))


RUN_KEYS = (
    "campaign_id", "run_id", "configuration_id", "repetition", "position", "status", "error",
    "started_at", "finished_at", "llm", "task", "prompts", "device", "hardware",
    "effective_source",
)  # fmt: skip
"""The columns of `runs_rows` that are neither configuration values nor metrics."""


def runs_rows(db: sqlite_utils.Database, campaign_id: int | None = None) -> list[dict[str, Any]]:
    """One dict per run: identifiers, status, its context (model, task, device, hardware),
    every value of the configuration it ran with (feature columns: the effective configuration
    the runner stored, the sampled one for a run not started yet) and every metric. A feature
    named like a run column gets a 'config.' prefix."""
    where = "WHERE r.campaign_id = ?" if campaign_id is not None else ""
    cursor = db.execute(
        f"""SELECT r.campaign_id, r.id AS run_id, r.configuration_id, r.repetition, r.position,
                   r.status, r.error, r.started_at, r.finished_at,
                   COALESCE(r.llm, ca.llm) AS llm, COALESCE(r.task, ca.task) AS task,
                   ca.prompts, r.device, r.hardware, r.effective_source,
                   {", ".join("r." + name for name in METRIC_COLUMNS)},
                   COALESCE(r.effective, c.config) AS config
            FROM runs r JOIN configurations c ON c.id = r.configuration_id
                        JOIN campaigns ca ON ca.id = r.campaign_id
            {where} ORDER BY r.campaign_id, r.position""",
        [campaign_id] if campaign_id is not None else [],
    )
    names = [d[0] for d in cursor.description]
    rows = []
    for values in cursor.fetchall():
        row = dict(zip(names, values, strict=True))
        config = json.loads(row.pop("config"))
        front = {k: row[k] for k in names[:9] if k in row}
        for feature, value in config.items():
            front[f"config.{feature}" if feature in row else feature] = value
        front.update({k: v for k, v in row.items() if k not in front})
        rows.append(front)
    return rows
