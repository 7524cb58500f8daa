"""Per-request records of serving runs (table run_requests) and the serving columns of runs."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import sqlite_utils

SERVING_COLUMNS = (
    "energy_net_per_request_j",
    "latency_p50_s",
    "latency_p90_s",
    "latency_p99_s",
    "ttft_p50_s",
    "ttft_p99_s",
    "queue_wait_mean_s",
    "queue_wait_p99_s",
    "requests_per_s",
)
"""Run metrics only a serving run has (NULL for the others)."""

REQUEST_COLUMNS = (
    "position",
    "arrival_s",
    "release_s",
    "start_s",
    "first_token_s",
    "finish_s",
    "input_tokens",
    "output_tokens",
    "correct",
)


def replace_requests(
    db: sqlite_utils.Database, run_id: int, rows: Iterable[Mapping[str, Any]]
) -> None:
    """A run's request records, replacing any an interrupted attempt left (call inside the
    transaction that finishes the run)."""
    rows = list(rows)
    db.conn.execute("DELETE FROM run_requests WHERE run_id = ?", [run_id])
    if rows:
        marks = ", ".join("?" for _ in ("run_id", *REQUEST_COLUMNS))
        db.conn.executemany(
            f"INSERT INTO run_requests (run_id, {', '.join(REQUEST_COLUMNS)}) VALUES ({marks})",
            ([run_id, *(row.get(c) for c in REQUEST_COLUMNS)] for row in rows),
        )


def request_rows(db: sqlite_utils.Database, campaign_id: int | None = None) -> list[dict]:
    """Every request of the finished runs (of one campaign), with its run's identifiers and
    the derived queue wait, TTFT, TPOT and latency (seconds)."""
    where = "WHERE r.status = 'done'" + (" AND r.campaign_id = ?" if campaign_id else "")
    columns = ", ".join(f"q.{c}" for c in REQUEST_COLUMNS)
    cursor = db.execute(
        f"""SELECT r.campaign_id, q.run_id, r.configuration_id, r.repetition, {columns},
                   q.start_s - q.arrival_s AS queue_wait_s,
                   q.first_token_s - q.arrival_s AS ttft_s,
                   CASE WHEN q.output_tokens > 1
                        THEN (q.finish_s - q.first_token_s) / (q.output_tokens - 1) END AS tpot_s,
                   q.finish_s - q.arrival_s AS latency_s
            FROM run_requests q JOIN runs r ON r.id = q.run_id
            {where} ORDER BY r.campaign_id, r.position, q.position""",
        [campaign_id] if campaign_id else [],
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def request_rows_of_run(db: sqlite_utils.Database, run_id: int) -> list[dict]:
    """The request records of one run, in stream order."""
    cursor = db.execute(
        f"SELECT {', '.join(REQUEST_COLUMNS)} FROM run_requests WHERE run_id = ? ORDER BY position",
        [run_id],
    )
    return [dict(zip(REQUEST_COLUMNS, row, strict=True)) for row in cursor.fetchall()]


def set_live_serving(
    db: sqlite_utils.Database, campaign_id: int, run_id: int, state: Mapping[str, Any] | None
) -> None:
    """What the serving run in flight has done so far (None: no serving run in flight)."""
    with db.conn:
        if state is None:
            db.conn.execute("DELETE FROM live_serving WHERE campaign_id = ?", [campaign_id])
        else:
            db.conn.execute(
                "INSERT OR REPLACE INTO live_serving (campaign_id, run_id, state) VALUES (?, ?, ?)",
                [campaign_id, run_id, json.dumps(dict(state))],
            )


def live_serving(db: sqlite_utils.Database, campaign_id: int) -> dict[str, Any] | None:
    """The serving run in flight: its run id and state, or None."""
    row = db.execute(
        "SELECT run_id, state FROM live_serving WHERE campaign_id = ?", [campaign_id]
    ).fetchone()
    return None if row is None else {"run_id": row[0], **json.loads(row[1])}
