"""Imported request traces (workloads): one row per request, in trace order."""

from __future__ import annotations

from typing import Any

import polars as pl
import sqlite_utils

from pimp_tui.errors import PimpError


def save_workload(
    db: sqlite_utils.Database,
    name: str,
    source: str | None,
    trace: pl.DataFrame,
    span_s: float | None,
) -> int:
    """Store a normalised trace (input_tokens, output_tokens, timestamp: see
    workload.trace.read_trace) spanning `span_s` seconds under a new name."""
    if db.execute("SELECT 1 FROM workloads WHERE name = ?", [name]).fetchone():
        raise PimpError(f"a workload named {name!r} exists already (choose another --name)")
    with db.conn:
        cursor = db.conn.execute(
            "INSERT INTO workloads (name, source, requests, span_s) VALUES (?, ?, ?, ?)",
            [name, source, len(trace), span_s],
        )
        workload_id = int(cursor.lastrowid)  # type: ignore[arg-type]
        db.conn.executemany(
            "INSERT INTO workload_requests (workload_id, position, input_tokens, output_tokens,"
            " timestamp) VALUES (?, ?, ?, ?, ?)",
            (
                (workload_id, position, n_in, n_out, stamp)
                for position, (n_in, n_out, stamp) in enumerate(
                    trace.select("input_tokens", "output_tokens", "timestamp").iter_rows()
                )
            ),
        )
    return workload_id


def list_workloads(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Every workload, newest first."""
    return list(db.query("SELECT * FROM workloads ORDER BY id DESC"))


def find_workload(db: sqlite_utils.Database, ref: str) -> dict[str, Any]:
    """A workload by id or by name."""
    row = None
    if ref.isdigit():
        row = next(db.query("SELECT * FROM workloads WHERE id = ?", [int(ref)]), None)
    if row is None:
        row = next(db.query("SELECT * FROM workloads WHERE name = ?", [ref]), None)
    if row is None:
        raise PimpError(f"no workload {ref!r} (see pimp workload list)")
    return row


def load_requests(db: sqlite_utils.Database, workload_id: int) -> pl.DataFrame:
    """A stored trace as input_tokens, output_tokens and timestamp columns."""
    cursor = db.execute(
        "SELECT input_tokens, output_tokens, timestamp FROM workload_requests"
        " WHERE workload_id = ? ORDER BY position",
        [workload_id],
    )
    return pl.DataFrame(
        cursor.fetchall(),
        schema={"input_tokens": pl.Int64, "output_tokens": pl.Int64, "timestamp": pl.Float64},
        orient="row",
    )


def find_trace(db: sqlite_utils.Database, ref: str) -> list[tuple[int, int, float | None]]:
    """A workload's requests (by id or name) as (input tokens, output tokens, timestamp)."""
    workload = find_workload(db, ref)
    return [
        (int(n_in), int(n_out), stamp)
        for n_in, n_out, stamp in db.execute(
            "SELECT input_tokens, output_tokens, timestamp FROM workload_requests"
            " WHERE workload_id = ? ORDER BY position",
            [workload["id"]],
        ).fetchall()
    ]
