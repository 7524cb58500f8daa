"""What the monitor pane reads from the store: a campaign's state, its newly finished runs, its
live power and its time left. Campaigns run in processes of their own, so every window sees
every campaign the same way, whichever process started it."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
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
    live: list[tuple[float, int, float]] = field(default_factory=list)
    """(unix time, device, watts) the campaign's sensor took since the caller's `live_after`."""
    eta_s: float | None = None
    prompt: str | None = None
    """The task's first prompt (asked for with `context`)."""
    serving: dict[str, Any] | None = None
    """The serving run in flight: requests arrived, in flight and finished, latencies so far,
    and `joules_per_request` (the live power integrated since the run started, per finished
    request: None until one has finished)."""
    slots: list[dict[str, Any]] = field(default_factory=list)
    """On a Ray cluster: every slot (node, slot, state, run in flight, latest watts), by node."""
    hidden: set[str] | None = None
    """Abstract features of the sample's model, left out of configuration summaries (asked for
    with `context`)."""


def campaign_state(
    db_path: str | Path,
    campaign_id: int | None,
    seen: int,
    live_after: float = 0.0,
    context: bool = False,
) -> CampaignState:
    """The campaign asked for (None: the newest, preferring one that runs)."""
    from pimp_tui.measure.eta import campaign_remaining_s
    from pimp_tui.store.campaigns import get_campaign, list_campaigns
    from pimp_tui.store.control import live_power
    from pimp_tui.store.runs import finished_runs, running_run

    db = open_db(db_path)
    try:
        if campaign_id is None:
            rows = list_campaigns(db)
            if not rows:
                return CampaignState(None)
            camp = next((row for row in rows if row["alive"]), rows[0])
        else:
            camp = get_campaign(db, campaign_id)
        cid = camp["id"]
        state = CampaignState(camp, finished_runs(db, cid, seen))
        if context:
            state.prompt = prompt_preview(camp["task"], camp["prompts"], camp["seed"])
            state.hidden = abstract_features(db_path, cid)
        if camp["status"] == "running":
            state.running = running_run(db, cid)
            state.live = live_power(db, cid, live_after)
            state.eta_s = campaign_remaining_s(db, cid)
            state.serving = _serving(db, cid, state.running)
            state.slots = _slots(db, cid)
        return state
    finally:
        db.close()


def _slots(db: Any, campaign_id: int) -> list[dict[str, Any]]:
    from pimp_tui.store.slots import campaign_slots, latest_slot_power

    watts = latest_slot_power(db, campaign_id)
    return [{**row, "watts": watts.get(row["slot"])} for row in campaign_slots(db, campaign_id)]


def slot_lines(slots: list[dict[str, Any]]) -> list[str]:
    """One line per node: each slot's state, run in flight and latest power."""
    by_node: dict[str, list[str]] = {}
    for slot in slots:
        name = slot["slot"].rsplit("/", 1)[-1]
        what = f"run {slot['run_id']}" if slot["state"] == "running" else slot["state"]
        power = "" if slot.get("watts") is None else f" {slot['watts']:.0f} W"
        by_node.setdefault(slot["node"], []).append(f"{name} {what}{power}")
    return [f"{node}: " + " · ".join(parts) for node, parts in sorted(by_node.items())]


def _serving(db: Any, campaign_id: int, running: dict[str, Any] | None) -> dict | None:
    from pimp_tui.store.control import live_power
    from pimp_tui.store.requests import live_serving

    live = live_serving(db, campaign_id)
    if live is None or running is None or live["run_id"] != running["id"]:
        return None
    since = float(live.get("at") or time.time()) - float(live.get("elapsed_s") or 0.0)
    samples = live_power(db, campaign_id, since - 1e-3)  # the window's first sample too
    joules = 0.0
    by_device: dict[int, list[tuple[float, float]]] = {}
    for t, device, watts in samples:
        by_device.setdefault(device, []).append((t, watts))
    for points in by_device.values():
        joules += sum((b[0] - a[0]) * (a[1] + b[1]) / 2 for a, b in zip(points, points[1:],
                                                                       strict=False))  # fmt: skip
    finished = int(live.get("finished") or 0)
    live["joules_per_request"] = joules / finished if finished and joules > 0 else None
    return live


def running_campaigns(db_path: str | Path) -> list[dict[str, Any]]:
    """Campaigns of the store a live process is running (what quitting the app leaves)."""
    from pimp_tui.store.campaigns import list_campaigns

    db = open_db(db_path)
    try:
        return [row for row in list_campaigns(db) if row["alive"]]
    finally:
        db.close()


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
    from pimp_tui.store.samples import campaign_model_id, load_model_by_id

    db = open_db(db_path)
    try:
        model_id = campaign_model_id(db, campaign_id)
        if model_id is None:
            return set()
        model = load_model_by_id(db, model_id)
    except Exception:  # noqa: BLE001 - only trims what is shown
        return set()
    finally:
        db.close()
    return {f.name for f in model.features() if f.abstract}


def open_gpu_idle_monitor(hz: float = 2.0):
    """The GPUs' own power while no campaign runs, or None without NVML: the pane never shows
    another sensor (this process's CPU estimate says nothing about any campaign)."""
    from pimp_tui.errors import PimpError
    from pimp_tui.measure.sensors import PowerMonitor, choose_sensor

    try:
        sensor = choose_sensor("nvml")
    except PimpError:
        return None
    monitor = PowerMonitor(sensor, hz=hz, capacity=int(hz * 120))
    monitor.start()
    return monitor
