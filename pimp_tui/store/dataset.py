"""The measured dataset: runs as one polars DataFrame, the one place both front ends read
training data from.

Columns: the run's identifiers (`campaign_id`, `run_id`, ...), its context (`llm`, `task`,
`device`, `hardware`, and `model_id`, the feature model its sample was drawn from), one column
per value of the configuration it ran with (the effective configuration the runner stored; a
feature named like another column gets a 'config.' prefix), and one column per metric.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl
import sqlite_utils

from pimp_tui.store.campaigns import METRIC_COLUMNS, RUN_KEYS, runs_rows

CONTEXT_COLUMNS = ("llm", "task", "device", "hardware")
"""Where a run ran: rows that differ in these are never averaged together."""
NOT_SETTINGS = frozenset((*RUN_KEYS, *METRIC_COLUMNS, "model_id"))


def runs_frame(
    db: sqlite_utils.Database,
    campaign_id: int | None = None,
    statuses: Sequence[str] = ("done",),
) -> pl.DataFrame:
    """Runs of one campaign (or of all) with one of `statuses`, in campaign and plan order."""
    models = dict(
        db.execute(
            "SELECT c.id, s.model_id FROM campaigns c JOIN samples s ON s.id = c.sample_id"
        ).fetchall()
    )
    rows = [r for r in runs_rows(db, campaign_id) if r["status"] in statuses]
    for row in rows:
        row["model_id"] = models.get(row["campaign_id"])
    if not rows:
        return pl.DataFrame(
            schema={name: pl.String for name in (*RUN_KEYS, *METRIC_COLUMNS, "model_id")}
        )
    return pl.DataFrame(rows, infer_schema_length=None, strict=False)


def settings_columns(frame: pl.DataFrame) -> list[str]:
    """The columns of a runs frame that hold configuration values."""
    return [name for name in frame.columns if name not in NOT_SETTINGS]
