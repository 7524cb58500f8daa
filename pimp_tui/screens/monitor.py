"""Monitor pane: start campaigns in processes of their own; pause, resume, cancel or stop any
campaign of the store; watch its power, progress and finished runs; open a run.

Everything is read from the store, so a campaign started here, by `pimp measure` in another
shell, or by another window is watched and controlled the same way, and closing this window
never stops one."""

from __future__ import annotations

import socket
import time
from collections import deque
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.timer import Timer
from textual.widgets import DataTable, Footer, ProgressBar, Static

from pimp_tui.measure.eta import format_duration as duration
from pimp_tui.screens.base import PaneScreen, background
from pimp_tui.screens.campaign_form import CampaignForm
from pimp_tui.screens.dialogs import ChoiceScreen, ConfirmScreen
from pimp_tui.services.monitor import CampaignState
from pimp_tui.widgets.plot import decimate
from pimp_tui.widgets.power_chart import PowerChart
from pimp_tui.widgets.serving import serving_text

POLL_S = 1.0
"""How often the store is read while the pane is shown."""
IDLE_CHART_S = 1.0
"""How often the GPU's idle power is looked at (redrawn only when it has new samples)."""
LIVE_WINDOW_S = 120.0
"""Seconds of live power the chart shows."""


class MonitorScreen(PaneScreen):
    PANE = "monitor"
    TITLE = "Monitor"
    HELP = """
[b]Monitor[/b] — measure a sample: every configuration × the task's prompts × repetitions.

New campaign (n) asks for the stored sample, the task (arith, gsm8k, jsonl:PATH), the model
(smollm2, a local directory such as sample_models/tiny-llama, a cached HF id, config:PATH) and
the sensor, then starts it [b]in a process of its own[/b]: closing this window, quitting pimp or
losing the SSH connection never stops it, and its log (one line per run) is written next to the
store. Reopen pimp to watch it again.

Any campaign of the store, whoever started it, is controlled from here or from a shell
(`pimp campaign pause|resume|cancel|stop ID`): pause (p) and cancel (c) act after the run in
flight, stop now (s) abandons the run in flight (resume redoes it), resume (r) carries on with
the pending runs. Open (o) picks another campaign to watch; enter opens the selected run
(settings, metrics, sensor caveats, trace, generated texts, error).

The chart is the watched campaign's power, from its own sensor, named on its first line:
[b]nvml[/b] (GPU counters), [b]rapl[/b] (CPU package) or [b]estimate[/b] (CPU time × a stated
power figure: a labelled estimate, never a measurement). With no campaign running it shows the
GPUs' idle power (labelled), or says that nothing runs.
"""
    BINDINGS = [
        Binding("n", "new", "New", tooltip="Plan and start a campaign on a stored sample"),
        Binding("p", "pause", "Pause", tooltip="Pause after the current run"),
        Binding("r", "resume", "Resume", tooltip="Resume the campaign shown"),
        Binding("c", "cancel_campaign", "Cancel", tooltip="Cancel after the current run"),
        Binding("s", "stop", "Stop", tooltip="Stop now; the run in flight is redone on resume"),
        Binding("o", "open", "Open", tooltip="Watch another campaign"),
        Binding(
            "e", "report", "Report", show=False, tooltip="Export the campaign as an HTML report"
        ),  # fmt: skip
    ]
    DEFAULT_CSS = """
    MonitorScreen #campaign-line { height: 1; padding: 0 1; }
    MonitorScreen #progress-row { height: 1; padding: 0 1; }
    MonitorScreen ProgressBar { width: 42; }
    MonitorScreen #eta { width: 1fr; padding: 0 0 0 1; }
    MonitorScreen #now { height: 3; padding: 0 1; color: $text-muted; }
    MonitorScreen PowerChart { height: 7; padding: 0 1; }
    MonitorScreen DataTable { height: 1fr; border: round $primary-darken-2; }
    MonitorScreen DataTable:focus { border: round $accent; }
    """

    class Polled(Message):
        def __init__(self, state: CampaignState) -> None:
            super().__init__()
            self.state = state

    def __init__(self) -> None:
        super().__init__()
        self.campaign_id: int | None = None
        self._campaign: dict[str, Any] | None = None
        self._seen: set[int] = set()
        """Finished runs already in the table (overlapping polls may report one twice)."""
        self._live: dict[int, deque[tuple[float, float]]] = {}
        self._live_after = 0.0
        self._idle_monitor: Any = None
        self._idle_probed = False
        self._idle_drawn = -1
        self._poll_timer: Timer | None = None
        self._idle_timer: Timer | None = None
        self._visible = False
        self._prompt = ""
        self._hidden: set[str] = set()
        self._shown: dict[str, str] = {}
        """What each Static last showed: an unchanged state repaints nothing."""

    def compose(self) -> ComposeResult:
        title = self.pane_title("no campaign yet: n measures a stored sample")
        yield Static(title, id="monitor-title", classes="pane-title")
        yield Static("", id="campaign-line")
        with Horizontal(id="progress-row"):
            yield ProgressBar(total=1, show_eta=False, id="progress")
            yield Static("", id="eta")
        yield Static("", id="now")
        yield PowerChart(id="chart")
        table: DataTable[Any] = DataTable(id="runs", cursor_type="row", zebra_stripes=True)
        table.border_title = "Finished runs (enter opens)"
        yield table
        yield Footer(compact=True)

    def on_mount(self) -> None:
        table = self.query_one("#runs", DataTable)
        for label in ("pos", "cfg", "rep", "status", "J", "s", "tok/s", "acc", "configuration"):
            table.add_column(label, key=label)
        self._poll_timer = self.set_interval(POLL_S, self._poll, pause=True)
        self._idle_timer = self.set_interval(IDLE_CHART_S, self._draw_idle, pause=True)
        self.query_one(PowerChart).show_message("none", "no campaign running")

    # --- visibility: nothing is read, sampled or drawn for a hidden pane --------------------

    def sync(self) -> None:
        self._visible = True
        if self._poll_timer is not None:
            self._poll_timer.resume()
        self._poll()

    def on_screen_suspend(self) -> None:
        self._visible = False
        if self._poll_timer is not None:
            self._poll_timer.pause()
        self._stop_idle_monitor()

    def on_unmount(self) -> None:
        self._stop_idle_monitor()

    # --- the chart ------------------------------------------------------------------------

    def _watched_running(self) -> bool:
        camp = self._campaign
        return bool(camp and camp["alive"])

    def _draw_live(self) -> None:
        chart = self.query_one(PowerChart)
        camp = self._campaign
        assert camp is not None
        label = f"{_sensor_label(camp) or 'starting'} · campaign #{camp['id']} · live"
        if not any(self._live.values()):
            chart.show_message(label, "waiting for the campaign's first power samples…")
            return
        newest = max(points[-1][0] for points in self._live.values() if points)
        oldest = min(points[0][0] for points in self._live.values() if points)
        wanted = chart.points_wanted
        series = {d: decimate([w for _, w in p], wanted) for d, p in self._live.items()}
        chart.show(series, label, (0.0, newest - oldest))

    def _draw_idle(self) -> None:
        """No campaign runs: the GPUs' idle power where NVML answers, else say so."""
        chart = self.query_one(PowerChart)
        camp = self._campaign
        what = f"campaign #{camp['id']} {camp['status']}" if camp else "no campaign yet"
        monitor = self._idle_monitor
        if monitor is None:
            chart.show_message("none", f"no campaign running ({what}): nothing is measured")
            return
        if monitor.samples_taken == self._idle_drawn:
            return
        self._idle_drawn = monitor.samples_taken
        samples = monitor.snapshot(max_points=chart.points_wanted)
        series: dict[int, list[float]] = {}
        for sample in samples:
            series.setdefault(sample.device, []).append(sample.watts)
        span = samples[-1].t - samples[0].t if samples else 0.0
        chart.show(series, f"nvml · GPU idle power, no campaign running ({what})", (0.0, span))

    def _start_idle_monitor(self) -> None:
        if self._idle_monitor is None and not self._idle_probed:
            self._idle_probed = True
            self.open_idle_monitor()
        if self._idle_timer is not None:
            self._idle_timer.resume()
        self._draw_idle()

    @background("idle-monitor")
    def open_idle_monitor(self) -> None:
        from pimp_tui.services.monitor import open_gpu_idle_monitor

        monitor = open_gpu_idle_monitor()
        if monitor is not None:
            self.app.call_from_thread(self._idle_opened, monitor)

    def _idle_opened(self, monitor: Any) -> None:
        if not self._visible or self._watched_running() or self._idle_monitor is not None:
            monitor.stop()
            monitor.sensor.close()
            self._idle_probed = False
            return
        self._idle_monitor = monitor
        self._draw_idle()

    def _stop_idle_monitor(self) -> None:
        if self._idle_timer is not None:
            self._idle_timer.pause()
        monitor, self._idle_monitor = self._idle_monitor, None
        self._idle_probed, self._idle_drawn = False, -1
        if monitor is not None:
            monitor.stop()
            monitor.sensor.close()

    # --- store polling --------------------------------------------------------------------

    def _poll(self) -> None:
        context = self._campaign is None or self._campaign["id"] != self.campaign_id
        self.poll_store(self.campaign_id, len(self._seen), self._live_after, context)

    @background("poll")
    def poll_store(
        self, campaign_id: int | None, seen: int, live_after: float, context: bool
    ) -> None:
        from pimp_tui.services.monitor import campaign_state

        state = campaign_state(self.pimp.db_path, campaign_id, seen, live_after, context)
        self.post_message(self.Polled(state))

    def on_monitor_screen_polled(self, message: Polled) -> None:
        state = message.state
        camp = state.campaign
        if camp is None:
            if self._visible:
                self._start_idle_monitor()
            return
        if self.campaign_id is None:
            self.campaign_id = camp["id"]
        if camp["id"] != self.campaign_id:
            return
        if state.hidden is not None:
            self._prompt, self._hidden = state.prompt or "", state.hidden
        elif self._campaign is None or self._campaign["id"] != camp["id"]:
            return  # an older poll, without the campaign's context: the next one has it
        self._campaign = camp
        table = self.query_one("#runs", DataTable)
        new_rows = [run for run in state.finished if run["id"] not in self._seen]
        for run in new_rows:
            self._seen.add(run["id"])
            table.add_row(*_run_cells(run, self._hidden), key=str(run["id"]))
        if new_rows and not table.has_focus:
            table.move_cursor(row=table.row_count - 1)
        for t, device, watts in state.live:
            points = self._live.setdefault(device, deque())
            points.append((t, watts))
            while points and points[0][0] < t - LIVE_WINDOW_S:
                points.popleft()
            self._live_after = max(self._live_after, t)
        if camp["alive"]:
            self._stop_idle_monitor()
            self._draw_live()
        elif self._visible:
            self._live.clear()
            self._start_idle_monitor()
        self._show_campaign(camp, state)

    def _update(self, wid: str, content: Text) -> None:
        """Repaint a line only when what it says changed."""
        plain = content.markup
        if self._shown.get(wid) != plain:
            self._shown[wid] = plain
            self.query_one(f"#{wid}", Static).update(content)

    def _show_campaign(self, camp: dict[str, Any], state: CampaignState) -> None:
        status = camp["status"]
        if status == "running" and not camp["alive"]:
            status = "interrupted (r resumes)"
        title = f"campaign #{camp['id']} {camp['name'] or ''}".rstrip()
        self._update("monitor-title", self.pane_title(title))
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
        line.append(_sensor_label(camp) or "auto", style="bold")
        self._update("campaign-line", line)
        done = camp["done"] + camp["failed"]
        bar = self.query_one("#progress", ProgressBar)
        if (bar.total, bar.progress) != (max(camp["total"], 1), done):
            bar.update(total=max(camp["total"], 1), progress=done)
        eta = Text(f"{done}/{camp['total']} runs")
        if camp["failed"]:
            eta.append(f" · {camp['failed']} failed", style="red")
        if state.eta_s is not None and camp["alive"]:
            eta.append(f" · ETA {duration(state.eta_s)}")
        self._update("eta", eta)
        now = Text()
        running = state.running
        if running is not None and camp["alive"]:
            elapsed = time.time() - _unix(running["started_at"])
            now.append(f"▶ run {running['position'] + 1} (cfg {running['configuration_id']} rep "
                       f"{running['repetition'] + 1}, {duration(elapsed)}): ")  # fmt: skip
            now.append(_config_summary(running["config"], self._hidden))
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
        if self._prompt:
            now.append("\nprompt: " + self._prompt.replace("\n", " "), style="italic")
        self._update("now", now)

    # --- actions --------------------------------------------------------------------------

    def action_new(self) -> None:
        self.prepare_form()

    @background("form")
    def prepare_form(self) -> None:
        from pimp_tui.services.sampling import stored_samples

        samples = [
            (str(r["id"]), f"#{r['id']} {r['name']} ({r['size']} configs)")
            for r in stored_samples(self.pimp.db_path)
        ]
        if not samples:
            self.app.call_from_thread(
                self.notify, "no stored sample: make one in Sample (2) and save it (s)",
                severity="warning",
            )  # fmt: skip
            return
        defaults: dict[str, Any] = dict(self.pimp.workspace.extra.get("campaign_form", {}))
        ws_sample = self.pimp.workspace.sample_id
        if ws_sample is not None:
            defaults["sample"] = str(ws_sample)
        if defaults.get("sample") not in {k for k, _ in samples}:
            defaults.pop("sample", None)
        if self.pimp.sensor:
            defaults.setdefault("sensor", self.pimp.sensor)
        self.app.call_from_thread(
            self.app.push_screen, CampaignForm(samples, defaults), self._form_done
        )

    def _form_done(self, values: dict[str, Any] | None) -> None:
        if values is None:
            return
        self.pimp.workspace.extra["campaign_form"] = values
        self.create_and_start(values)

    @background("campaign-create")
    def create_and_start(self, values: dict[str, Any]) -> None:
        """Plan the campaign on the stored sample (nothing is sampled again) and hand it to a
        process of its own."""
        from pimp_tui.services.campaigns import CampaignRequest, start_campaign
        from pimp_tui.services.cluster import executor_spec

        executor = executor_spec(values.get("executor"), values.get("address"),
                                 values.get("gpus_per_run"))  # fmt: skip
        started = start_campaign(CampaignRequest(
            self.pimp.db_path, sample=int(values["sample"]), task=values["task"],
            prompts=values["prompts"], repetitions=values["repetitions"], llm=values["llm"],
            sensor=values["sensor"] or None, max_new_tokens=values["max_new_tokens"],
            cooldown_s=values["cooldown_s"], cpu_watts=values.get("cpu_watts"), executor=executor,
        ))  # fmt: skip
        campaign_id = started.campaign_id
        self.app.call_from_thread(self._started, campaign_id, started.pid)

    def _started(self, campaign_id: int, pid: int) -> None:
        self._switch_to(campaign_id)
        self.notify(f"campaign #{campaign_id} runs in process {pid}: it keeps running if this "
                    "window closes", timeout=5)  # fmt: skip

    def _switch_to(self, campaign_id: int) -> None:
        self.campaign_id = campaign_id
        self._campaign = None
        self._seen = set()
        self._live, self._live_after = {}, 0.0
        self.query_one("#runs", DataTable).clear()
        self._poll()

    def _target(self) -> int | None:
        if self.campaign_id is None:
            self.notify("no campaign: n starts one, o opens one", severity="warning")
        return self.campaign_id

    def action_pause(self) -> None:
        if (cid := self._target()) is not None:
            self.send_control(cid, "pause")

    def action_stop(self) -> None:
        if (cid := self._target()) is not None:
            self.send_control(cid, "stop")

    def action_cancel_campaign(self) -> None:
        cid = self._target()
        if cid is None:
            return
        camp = self._campaign or {}
        left = camp.get("total", 0) - camp.get("done", 0) - camp.get("failed", 0)
        question = (
            f"Cancel campaign #{cid}? The {left} run(s) not yet finished will not run "
            "(the finished ones are kept). Pause (p) instead keeps them for later."
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self.send_control(cid, "cancel")

        self.app.push_screen(ConfirmScreen("Cancel campaign", question, "cancel it"), answered)

    @background("control", exclusive=False)
    def send_control(self, campaign_id: int, action: str) -> None:
        from pimp_tui.services.campaigns import control

        message = control(self.pimp.db_path, campaign_id, action)
        self.app.call_from_thread(self._controlled, message)

    def action_resume(self) -> None:
        if (cid := self._target()) is not None:
            self.send_resume(cid)

    @background("control", exclusive=False)
    def send_resume(self, campaign_id: int) -> None:
        from pimp_tui.services.campaigns import resume

        message, _ = resume(self.pimp.db_path, campaign_id)
        self.app.call_from_thread(self._controlled, message)

    def _controlled(self, message: str) -> None:
        self.notify(message, timeout=4)
        self._poll()

    def action_report(self) -> None:
        if (cid := self._target()) is not None:
            from pimp_tui.screens.report_action import ask_and_write

            ask_and_write(self, cid)

    def action_open(self) -> None:
        self.list_campaigns()

    @background("form")
    def list_campaigns(self) -> None:
        from pimp_tui.services.monitor import campaign_choices

        options = campaign_choices(self.pimp.db_path)
        if not options:
            self.app.call_from_thread(self.notify, "no campaigns yet", severity="warning")
            return
        current = str(self.campaign_id) if self.campaign_id is not None else None
        self.app.call_from_thread(
            self.app.push_screen, ChoiceScreen("Campaigns", options, current), self._opened
        )

    def _opened(self, key: str | None) -> None:
        if key is not None and int(key) != self.campaign_id:
            self._switch_to(int(key))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self.open_run(int(event.row_key.value))

    @background("run")
    def open_run(self, run_id: int) -> None:
        from pimp_tui.screens.run_detail import RunScreen
        from pimp_tui.services.runs import run_view

        view = run_view(self.pimp.db_path, run_id)
        self.app.call_from_thread(self.app.push_screen, RunScreen(view))


_STATUS_STYLE = {
    "running": "bold green",
    "paused": "bold yellow",
    "done": "bold",
    "failed": "bold red",
    "cancelled": "yellow",
    "planned": "dim",
}


def _run_cells(run: dict[str, Any], hidden: set[str]) -> list[Any]:
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
        _config_summary(run["config"], hidden),
    ]


def _llm_name(spec: str) -> str:
    """A model path or hub id shown by its last part."""
    return spec.rstrip("/").rsplit("/", 1)[-1]


def _config_summary(config: Any, hidden: set[str]) -> str:
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


def _sensor_label(camp: dict[str, Any]) -> str | None:
    """The campaign's sensor; the estimate with the watts per busy core it assumes."""
    if camp.get("sensor") != "estimate":
        return camp.get("sensor")
    watts = (camp.get("params") or {}).get("cpu_watts")
    from pimp_tui.measure.sensors.estimate import DEFAULT_WATTS_PER_CORE

    return f"estimate {float(watts or DEFAULT_WATTS_PER_CORE):g} W/core"
