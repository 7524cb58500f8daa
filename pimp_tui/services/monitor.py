"""What the monitor pane reads from the store: a campaign's state and its newly finished runs,
so a campaign running in this process and one running headless (`pimp measure run`) look the
same."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pimp_tui.services import open_db


@dataclass
class CampaignState:
    campaign: dict[str, Any] | None
    finished: list[dict[str, Any]] = field(default_factory=list)
    """Runs finished since the caller's `seen` count, in finishing order."""
    running: dict[str, Any] | None = None
    """The run in flight (position, configuration) when the campaign is running."""
    trace: dict[int, list[float]] = field(default_factory=dict)
    """Watts per device of the most recent finished run (for a campaign run elsewhere)."""
    eta_s: float | None = None


def campaign_state(
    db_path: str | Path, campaign_id: int | None, seen: int, with_trace: bool = False
) -> CampaignState:
    from pimp_tui.store.campaigns import get_campaign, list_campaigns

    db = open_db(db_path)
    try:
        if campaign_id is None:
            rows = list_campaigns(db)
            if not rows:
                return CampaignState(None)
            camp = rows[0]
        else:
            camp = get_campaign(db, campaign_id)
        cid = camp["id"]
        finished = list(
            db.query(
                "SELECT id, position, repetition, configuration_id, status, error, energy_j,"
                " energy_net_j, latency_s, tokens_per_s, accuracy, sensor, short_window"
                " FROM runs WHERE campaign_id = ? AND status IN ('done', 'failed')"
                " ORDER BY finished_at, id LIMIT -1 OFFSET ?",
                [cid, seen],
            )
        )
        state = CampaignState(camp, finished)
        running = next(
            db.query(
                "SELECT r.id, r.position, r.repetition, c.config FROM runs r"
                " JOIN configurations c ON c.id = r.configuration_id"
                " WHERE r.campaign_id = ? AND r.status = 'running' LIMIT 1",
                [cid],
            ),
            None,
        )
        state.running = running
        state.eta_s = _eta(db, camp)
        if with_trace:
            last = next(
                db.query(
                    "SELECT id FROM runs WHERE campaign_id = ? AND status = 'done'"
                    " ORDER BY finished_at DESC LIMIT 1",
                    [cid],
                ),
                None,
            )
            if last is not None:
                for row in db.query(
                    "SELECT device, watts FROM traces WHERE run_id = ? ORDER BY t", [last["id"]]
                ):
                    state.trace.setdefault(row["device"], []).append(row["watts"])
        return state
    finally:
        db.close()


def _eta(db, camp: dict[str, Any]) -> float | None:  # type: ignore[no-untyped-def]
    """Seconds left, from the pace of the runs finished so far."""
    left = camp["total"] - camp["done"] - camp["failed"]
    if camp["status"] != "running" or left <= 0:
        return None
    row = next(
        db.query(
            "SELECT MIN(started_at) AS a, MAX(finished_at) AS b, COUNT(*) AS n FROM runs"
            " WHERE campaign_id = ? AND status IN ('done', 'failed') AND started_at IS NOT NULL",
            [camp["id"]],
        ),
        None,
    )
    if not row or not row["n"] or not row["a"] or not row["b"]:
        return None
    span = (_ts(row["b"]) - _ts(row["a"])) / row["n"]
    return span * left


def _ts(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def campaign_choices(db_path: str | Path) -> list[tuple[str, str]]:
    from pimp_tui.store.campaigns import list_campaigns

    db = open_db(db_path)
    try:
        return [
            (
                str(c["id"]),
                f"#{c['id']} {c['name'] or ''} {c['status']} {c['done'] + c['failed']}/"
                f"{c['total']} · {c['task']} · {c['llm']}",
            )
            for c in list_campaigns(db)
        ]
    finally:
        db.close()


def prompt_preview(task: str, prompts: int, seed: int) -> str:
    """The first prompt of the task, shown while a campaign runs."""
    from pimp_tui.measure.tasks import load_task

    try:
        return load_task(task, prompts, seed).prompts[0].text
    except Exception:  # noqa: BLE001 - a preview only
        return ""


def abstract_features(db_path: str | Path, campaign_id: int) -> set[str]:
    """Abstract features of the model the campaign's sample was drawn from."""
    from pimp_tui.store.samples import load_model_by_id

    db = open_db(db_path)
    try:
        row = next(
            db.query(
                "SELECT s.model_id FROM campaigns c JOIN samples s ON s.id = c.sample_id"
                " WHERE c.id = ?",
                [campaign_id],
            ),
            None,
        )
        if row is None:
            return set()
        model = load_model_by_id(db, row["model_id"])
    except Exception:  # noqa: BLE001 - only trims what is shown
        return set()
    finally:
        db.close()
    return {f.name for f in model.features() if f.abstract}


def open_power_monitor(sensor_name: str | None, hz: float = 10.0):  # type: ignore[no-untyped-def]
    """A live power monitor for the pane while no campaign of this process is sampling."""
    from pimp_tui.measure.sensors import PowerMonitor, choose_sensor

    sensor = choose_sensor(sensor_name)
    monitor = PowerMonitor(sensor, hz=hz, capacity=int(hz * 600))
    monitor.start()
    return monitor
