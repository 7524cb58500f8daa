"""What the predictor pane's sweet-spot view shows: the lengths campaigns of the store and,
for one of them, each configuration's J/output-token grid, analytical fit, most efficient
output length per input length, and held-out MAPEs (analytical next to learned)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pimp_tui.services import open_db

VIEW_LEARNER = "rf"
"""The learned predictor the view compares with (fast enough for a pane; the CLI can take
any learner)."""


def lengths_campaigns(db_path: str | Path) -> list[tuple[int, str]]:
    """(id, label) of campaigns on the lengths task, newest first."""
    from pimp_tui.measure.tasks.lengths import is_lengths
    from pimp_tui.store.campaigns import list_campaigns

    db = open_db(db_path)
    try:
        rows = list_campaigns(db)
    finally:
        db.conn.close()
    return [
        (row["id"], f"#{row['id']} {row['task']} ({row['done']}/{row['total']} runs)")
        for row in rows
        if is_lengths(row["task"])
    ]


def sweetspot_report(db_path: str | Path, campaign_id: int) -> list[Any]:
    """The sweet spots of every configuration of a lengths campaign."""
    from pimp_tui.predict.sweetspot import sweetspots
    from pimp_tui.predict.workload import campaign_runs

    db = open_db(db_path)
    try:
        runs, groups = campaign_runs(db, campaign_id)
    finally:
        db.conn.close()
    return sweetspots(runs, groups, learner=VIEW_LEARNER)
