"""Reading runs one at a time or as a campaign's progress: what the monitor, `pimp runs show`
and the time estimate need."""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

from pimp_tui.errors import PimpError
from pimp_tui.store.campaigns import METRIC_COLUMNS

FINISHED_COLUMNS = (
    "id", "position", "repetition", "configuration_id", "status", "error", "energy_j",
    "energy_net_j", "latency_s", "tokens_per_s", "accuracy", "sensor", "short_window",
)  # fmt: skip
CONFIG = "COALESCE(r.effective, c.config) AS config"
"""A run's configuration as shown: the effective one it stored when it started, else (a run
not started yet) the sampled one."""


def run_timings(
    db: sqlite_utils.Database, campaign_id: int
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(the campaign: its task and params, every run's position, status, configuration id and
    configuration, whether that is the effective one the run stored, start/finish stamps and
    worker session)."""
    row = db.execute("SELECT task, params FROM campaigns WHERE id = ?", [campaign_id]).fetchone()
    if row is None:
        raise PimpError(f"no campaign {campaign_id}")
    campaign = {"task": row[0], "params": json.loads(row[1] or "{}")}
    rows = [
        {"position": position, "status": status, "configuration_id": configuration_id,
         "config": json.loads(effective or config), "effective": effective is not None,
         "started_at": started, "finished_at": finished, "session": session}
        for position, status, configuration_id, config, effective, started, finished, session
        in db.execute(
            "SELECT r.position, r.status, r.configuration_id, c.config, r.effective,"
            " r.started_at, r.finished_at, r.session"
            " FROM runs r JOIN configurations c ON c.id = r.configuration_id"
            " WHERE r.campaign_id = ?",
            [campaign_id],
        ).fetchall()
    ]  # fmt: skip
    return campaign, rows


def finished_runs(db: sqlite_utils.Database, campaign_id: int, seen: int) -> list[dict[str, Any]]:
    """Runs finished after the first `seen` ones, in finishing order, each with the
    configuration it ran with."""
    columns = ", ".join(f"r.{name}" for name in FINISHED_COLUMNS)
    cursor = db.execute(
        f"SELECT {columns}, {CONFIG} FROM runs r JOIN configurations c"
        " ON c.id = r.configuration_id WHERE r.campaign_id = ? AND r.status IN ('done', 'failed')"
        " ORDER BY r.finished_at, r.id LIMIT -1 OFFSET ?",
        [campaign_id, seen],
    )
    return [_with_config(dict(zip((*FINISHED_COLUMNS, "config"), row, strict=True)))
            for row in cursor.fetchall()]  # fmt: skip


def running_run(db: sqlite_utils.Database, campaign_id: int) -> dict[str, Any] | None:
    """The run in flight, with the configuration it runs with and its start stamp."""
    row = db.execute(
        "SELECT r.id, r.position, r.repetition, r.configuration_id, r.started_at, "
        + CONFIG
        + " FROM runs r JOIN configurations c ON c.id = r.configuration_id"
        " WHERE r.campaign_id = ? AND r.status = 'running' LIMIT 1",
        [campaign_id],
    ).fetchone()
    if row is None:
        return None
    names = ("id", "position", "repetition", "configuration_id", "started_at", "config")
    return _with_config(dict(zip(names, row, strict=True)))


def run_details(db: sqlite_utils.Database, run_id: int) -> dict[str, Any]:
    """Everything stored about one run: identifiers, sampled and effective configurations,
    the arguments it ran with, metrics, outputs per prompt, error and traceback, its task,
    model, device and hardware, and its power trace."""
    columns = ", ".join(f"r.{name}" for name in METRIC_COLUMNS)
    cursor = db.execute(
        f"""SELECT r.id, r.campaign_id, r.configuration_id, r.repetition, r.position, r.status,
                   r.error, r.traceback, r.outputs, r.started_at, r.finished_at, {columns},
                   c.config, r.effective, r.effective_source, COALESCE(r.task, ca.task) AS task,
                   ca.prompts, COALESCE(r.llm, ca.llm) AS llm, r.device, r.hardware, ca.params,
                   ca.idle_watts,
                   (SELECT COUNT(*) FROM runs x WHERE x.campaign_id = r.campaign_id) AS total
            FROM runs r JOIN configurations c ON c.id = r.configuration_id
                        JOIN campaigns ca ON ca.id = r.campaign_id
            WHERE r.id = ?""",
        [run_id],
    )
    row = cursor.fetchone()
    if row is None:
        raise PimpError(f"no run {run_id}")
    names = [d[0] for d in cursor.description]
    run = _with_config(dict(zip(names, row, strict=True)))
    for key in ("settings", "versions", "outputs", "params", "effective"):
        run[key] = json.loads(run[key]) if run[key] else None
    run["trace"] = [
        dict(zip(("t", "device", "watts"), values, strict=True))
        for values in db.execute(
            "SELECT t, device, watts FROM traces WHERE run_id = ? ORDER BY t, device", [run_id]
        ).fetchall()
    ]
    return run


def _with_config(row: dict[str, Any]) -> dict[str, Any]:
    row["config"] = json.loads(row["config"])
    return row
