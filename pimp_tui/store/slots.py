"""The slots of a campaign run on a cluster, their live power, and the executor a campaign
uses.

The driver of a cluster campaign is the only process that writes here: each slot's state (what
it runs, its devices, sensor and idle baseline) and the slots' recent power samples, labelled
with the slot, for windows of other processes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import sqlite_utils

from pimp_tui.store.control import LIVE_KEEP_S

NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
SLOT_FIELDS = ("node", "state", "run_id", "pid", "devices", "gpu_model", "sensor",
               "idle_watts", "message")  # fmt: skip


def save_slot(db: sqlite_utils.Database, campaign_id: int, slot: str, **fields: Any) -> None:
    """Insert or update one slot's row with `fields` (names from SLOT_FIELDS)."""
    unknown = set(fields) - set(SLOT_FIELDS)
    if unknown:
        raise ValueError(f"unknown slot field(s): {', '.join(sorted(unknown))}")
    names = list(fields)
    updates = ", ".join(f"{name} = excluded.{name}" for name in names)
    fields.setdefault("node", "")
    fields.setdefault("state", "starting")
    columns = ", ".join(fields)
    with db.conn:
        db.conn.execute(
            f"INSERT INTO campaign_slots (campaign_id, slot, {columns}, updated_at)"
            f" VALUES (?, ?, {', '.join('?' for _ in fields)}, {NOW})"
            f" ON CONFLICT (campaign_id, slot) DO UPDATE SET"
            f" {updates + ', ' if updates else ''}updated_at = excluded.updated_at",
            [campaign_id, slot, *fields.values()],
        )


def campaign_slots(db: sqlite_utils.Database, campaign_id: int) -> list[dict[str, Any]]:
    """The campaign's slots, by node then slot."""
    return list(
        db.query(
            "SELECT * FROM campaign_slots WHERE campaign_id = ? ORDER BY node, slot",
            [campaign_id],
        )
    )


def clear_slots(db: sqlite_utils.Database, campaign_id: int) -> None:
    """Forget the slots of an earlier start (a resume starts new ones)."""
    with db.conn:
        db.conn.execute("DELETE FROM campaign_slots WHERE campaign_id = ?", [campaign_id])


def add_slot_power(
    db: sqlite_utils.Database,
    campaign_id: int,
    samples: Iterable[tuple[float, int, float, str]],
) -> None:
    """Append (unix time, device, watts, slot) samples; forget those older than LIVE_KEEP_S."""
    rows = [(campaign_id, t, device, watts, slot) for t, device, watts, slot in samples]
    if not rows:
        return
    newest = max(row[1] for row in rows)
    with db.conn:
        db.conn.executemany(
            "INSERT INTO live_power (campaign_id, t, device, watts, slot) VALUES (?, ?, ?, ?, ?)",
            rows,
        )
        db.conn.execute(
            "DELETE FROM live_power WHERE campaign_id = ? AND t < ?",
            [campaign_id, newest - LIVE_KEEP_S],
        )


def latest_slot_power(db: sqlite_utils.Database, campaign_id: int) -> dict[str, float]:
    """Each slot's latest power: the sum over its devices of their newest samples (W)."""
    cursor = db.execute(
        "SELECT slot, device, watts FROM live_power l WHERE campaign_id = ? AND slot IS NOT NULL"
        " AND t = (SELECT MAX(t) FROM live_power m WHERE m.campaign_id = l.campaign_id"
        " AND m.slot = l.slot AND m.device = l.device)",
        [campaign_id],
    )
    found: dict[str, float] = {}
    for slot, _device, watts in cursor.fetchall():
        found[slot] = found.get(slot, 0.0) + float(watts)
    return found


def set_executor(db: sqlite_utils.Database, campaign_id: int, executor: Mapping[str, Any]) -> None:
    """Record the executor a campaign runs with (kept in its params, so a resume from any
    window uses it)."""
    row = db.execute("SELECT params FROM campaigns WHERE id = ?", [campaign_id]).fetchone()
    if row is None:
        return
    params = json.loads(row[0] or "{}")
    params["executor"] = dict(executor)
    with db.conn:
        db.conn.execute(
            "UPDATE campaigns SET params = ? WHERE id = ?",
            [json.dumps(params, sort_keys=True), campaign_id],
        )
