"""What windows and the CLI tell a running campaign, and what it shows them back.

A campaign runs in its own process; any other process of any host that opens the store asks it
to pause, cancel or stop through `campaigns.control`, which the worker reads between runs and at
safe points inside a run. The worker writes its recent power samples to `live_power` so that a
window in another process draws the campaign's own sensor, never its own.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import sqlite_utils

from pimp_tui.errors import PimpError

CONTROLS = ("pause", "cancel", "stop")
"""pause: after the run in flight; cancel: after the run in flight, for good; stop: now, the run
in flight redone on resume."""
LIVE_KEEP_S = 180.0
"""Seconds of live power kept per campaign (the chart shows two minutes)."""


def request(db: sqlite_utils.Database, campaign_id: int, control: str | None) -> None:
    """Ask the campaign's worker to pause, cancel or stop (None withdraws the request)."""
    if control is not None and control not in CONTROLS:
        raise ValueError(f"unknown campaign control {control!r}")
    with db.conn:
        cursor = db.conn.execute(
            "UPDATE campaigns SET control = ? WHERE id = ?", [control, campaign_id]
        )
    if cursor.rowcount == 0:
        raise PimpError(f"no campaign {campaign_id}")


def requested(db: sqlite_utils.Database, campaign_id: int) -> str | None:
    """The control asked for and not yet acted on, if any."""
    row = db.execute("SELECT control FROM campaigns WHERE id = ?", [campaign_id]).fetchone()
    return None if row is None else row[0]


def add_live_power(
    db: sqlite_utils.Database, campaign_id: int, samples: Iterable[tuple[float, int, float]]
) -> None:
    """Append (unix time, device, watts) samples and forget those older than LIVE_KEEP_S."""
    rows = [(campaign_id, t, device, watts) for t, device, watts in samples]
    if not rows:
        return
    with db.conn:
        db.conn.executemany(
            "INSERT INTO live_power (campaign_id, t, device, watts) VALUES (?, ?, ?, ?)", rows
        )
        db.conn.execute(
            "DELETE FROM live_power WHERE campaign_id = ? AND t < ?",
            [campaign_id, rows[-1][1] - LIVE_KEEP_S],
        )


def clear_live_power(db: sqlite_utils.Database, campaign_id: int) -> None:
    with db.conn:
        db.conn.execute("DELETE FROM live_power WHERE campaign_id = ?", [campaign_id])


def live_power(
    db: sqlite_utils.Database, campaign_id: int, after: float = 0.0
) -> list[tuple[float, int, float]]:
    """(unix time, device, watts) samples newer than `after`, in time order."""
    return [
        (t, device, watts)
        for t, device, watts in db.execute(
            "SELECT t, device, watts FROM live_power WHERE campaign_id = ? AND t > ?"
            " ORDER BY t, device",
            [campaign_id, after],
        ).fetchall()
    ]


def abandon_run(db: sqlite_utils.Database, run_id: int) -> None:
    """A run stopped midway goes back to 'pending', to be redone whole on resume."""
    with db.conn:
        db.conn.execute("DELETE FROM traces WHERE run_id = ?", [run_id])
        db.conn.execute(
            "UPDATE runs SET status = 'pending', started_at = NULL WHERE id = ?", [run_id]
        )


def store_run_details(
    db: sqlite_utils.Database,
    run_id: int,
    outputs: Sequence[dict[str, Any]],
    traceback: str | None,
) -> None:
    """What a run generated (per prompt) and, for a failed run, where it raised."""
    with db.conn:
        db.conn.execute(
            "UPDATE runs SET outputs = ?, traceback = ? WHERE id = ?",
            [json.dumps(list(outputs)) if outputs else None, traceback, run_id],
        )
