"""How the monitor pane words a campaign: its status line, its progress, the run in flight
and the finished runs, as Rich text made from what the monitor service read from the store."""

from __future__ import annotations

import socket
import time
from typing import Any

from rich.text import Text

from pimp_tui.measure.eta import format_duration as duration
from pimp_tui.services.monitor import CampaignState
from pimp_tui.widgets.serving import serving_text

_STATUS_STYLE = {
    "running": "bold green",
    "paused": "bold yellow",
    "done": "bold",
    "failed": "bold red",
    "cancelled": "yellow",
    "planned": "dim",
}


def status_word(camp: dict[str, Any]) -> str:
    """The stored status, except that a 'running' campaign whose process is gone was
    interrupted."""
    if camp["status"] == "running" and not camp["alive"]:
        return "interrupted"
    return str(camp["status"])


def campaign_line(camp: dict[str, Any]) -> Text:
    """Status (with the runner's process while it lives), sample, task, model and sensor."""
    status = status_word(camp)
    if status == "interrupted":
        status += " (r resumes)"
    line = Text()
    line.append(status, style=_STATUS_STYLE.get(camp["status"], ""))
    if camp["alive"]:
        where = "" if camp["host"] == socket.gethostname() else f" on {camp['host']}"
        line.append(f" (pid {camp['pid']}{where})", style="dim")
    if camp.get("control") and camp["alive"]:
        line.append(f" · {camp['control']} asked", style="yellow")
    line.append(f" · sample #{camp['sample_id']} · {camp['task']}×{camp['prompts']}")
    line.append(f" · {camp['repetitions']} rep · {_llm_name(camp['llm'])}")
    line.append(" · sensor ")
    line.append(sensor_label(camp) or "auto", style="bold")
    return line


def progress_text(camp: dict[str, Any], state: CampaignState) -> Text:
    """Runs finished of the total, the failed ones, and the time left while it runs."""
    done = camp["done"] + camp["failed"]
    eta = Text(f"{done}/{camp['total']} runs")
    if camp["failed"]:
        eta.append(f" · {camp['failed']} failed", style="red")
    if state.eta_s is not None and camp["alive"]:
        eta.append(f" · ETA {duration(state.eta_s)}")
    return eta


def now_text(camp: dict[str, Any], state: CampaignState, hidden: set[str], prompt: str) -> Text:
    """The run in flight with one of the task's prompts it runs (or why nothing runs), and
    the cluster's slots."""
    now = Text()
    running = state.running
    if running is not None and camp["alive"]:
        elapsed = time.time() - _unix(running["started_at"])
        now.append(f"▶ run {running['position'] + 1} (cfg {running['configuration_id']} rep "
                   f"{running['repetition'] + 1}, {duration(elapsed)}): ")  # fmt: skip
        now.append(config_summary(running["config"], hidden))
        if prompt:
            now.append(f"\n{camp['prompts']} prompt(s) like: " + prompt.replace("\n", " "),
                       style="italic")  # fmt: skip
        if state.serving is not None:
            now.append("\n")
            now.append_text(serving_text(state.serving))
    if state.slots and camp["alive"]:
        from pimp_tui.services.monitor import slot_lines

        for node_line in slot_lines(state.slots):
            now.append("\n" + node_line, style="cyan")
    elif camp.get("error") and camp["status"] in ("failed", "paused"):
        now.append(f"error: {camp['error']}", style="red")
    elif not camp["alive"] and camp["status"] not in ("done", "cancelled"):
        now.append("not running: r resumes it in a process of its own", style="yellow")
    return now


def run_cells(run: dict[str, Any], hidden: set[str]) -> list[Any]:
    def num(value: Any, fmt: str) -> str:
        return "-" if value is None else format(value, fmt)

    status = Text(run["status"], style="red" if run["status"] == "failed" else "green")
    energy = num(run["energy_j"], ".2f") + ("*" if run.get("short_window") else "")
    return [
        run["position"] + 1,
        run["configuration_id"],
        run["repetition"] + 1,
        status,
        energy,
        num(run["latency_s"], ".2f"),
        num(run["tokens_per_s"], ".1f"),
        num(run["accuracy"], ".2f"),
        config_summary(run["config"], hidden),
    ]


def _llm_name(spec: str) -> str:
    """A model path or hub id shown by its last part."""
    return spec.rstrip("/").rsplit("/", 1)[-1]


def config_summary(config: Any, hidden: set[str]) -> str:
    if isinstance(config, str):
        import json

        config = json.loads(config)
    parts = []
    for key, value in config.items():
        if key in hidden:
            continue
        if value is True:
            parts.append(key)
        elif value not in (False, None):
            parts.append(f"{key}={value}")
    return " ".join(parts)


def _unix(stamp: str | None) -> float:
    from datetime import datetime

    if not stamp:
        return time.time()
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def sensor_label(camp: dict[str, Any]) -> str | None:
    """The campaign's sensor; the estimate with the watts per busy core it assumes."""
    if camp.get("sensor") != "estimate":
        return camp.get("sensor")
    watts = (camp.get("params") or {}).get("cpu_watts")
    from pimp_tui.measure.sensors.estimate import DEFAULT_WATTS_PER_CORE

    return f"estimate {float(watts or DEFAULT_WATTS_PER_CORE):g} W/core"
