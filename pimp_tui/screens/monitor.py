"""Monitor pane: start, pause, resume and cancel measurement campaigns; watch power, progress
and finished runs. Everything but the live trace is read from the store, so a campaign started
by `pimp measure run` in another shell is watched the same way as one started here."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.timer import Timer
from textual.widgets import DataTable, Footer, ProgressBar, Static

from pimp_tui.screens.base import PaneScreen, background
from pimp_tui.screens.campaign_form import CampaignForm
from pimp_tui.screens.dialogs import ChoiceScreen
from pimp_tui.services.monitor import CampaignState
from pimp_tui.widgets.plot import decimate
from pimp_tui.widgets.power_chart import PowerChart

CHART_HZ = 4.0
POLL_S = 1.0
TRACE_WINDOW = 1200
"""Samples kept per device for the chart (two minutes at 10 Hz)."""


class LocalCampaign:
    """A campaign this process runs: its flags and what it last said."""

    def __init__(self, campaign_id: int) -> None:
        self.id = campaign_id
        self.pause = threading.Event()
        self.cancel = threading.Event()


class MonitorScreen(PaneScreen):
    PANE = "monitor"
    TITLE = "Monitor"
    HELP = """
[b]Monitor[/b] — measure a sample: every configuration × the task's prompts × repetitions.

New campaign (n) asks for the stored sample, the task (arith, gsm8k, jsonl:PATH), the model
(smollm2, a local directory such as sample_models/tiny-llama, a cached HF id, config:PATH) and
the sensor, then runs it in the background. Pause (p) and cancel (c) take effect between runs;
resume (r) carries on with the pending runs (also after a crash or a restart). Open (o) picks
another campaign to watch: one running headless (`pimp measure run`) is followed through the
store.

The chart is the live power per device, from the sensor named on its first line: [b]nvml[/b]
(GPU counters), [b]rapl[/b] (CPU package) or [b]estimate[/b] (CPU time × a stated power figure:
a labelled estimate, never a measurement). The table lists finished runs as they land.
"""
    BINDINGS = [
        Binding("n", "new", "New", tooltip="Plan and start a campaign on a stored sample"),
        Binding("p", "pause", "Pause", tooltip="Pause after the current run"),
        Binding("r", "resume", "Resume", tooltip="Resume the campaign shown"),
        Binding("c", "cancel_campaign", "Cancel", tooltip="Cancel after the current run"),
        Binding("o", "open", "Open", tooltip="Watch another campaign"),
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

    class CampaignEvent(Message):
        def __init__(self, event: Any) -> None:
            super().__init__()
            self.event = event

    class Polled(Message):
        def __init__(self, state: CampaignState) -> None:
            super().__init__()
            self.state = state

    class LocalDone(Message):
        def __init__(self, campaign_id: int, status: str) -> None:
            super().__init__()
            self.campaign_id, self.status = campaign_id, status

    def __init__(self) -> None:
        super().__init__()
        self.campaign_id: int | None = None
        self.local: LocalCampaign | None = None
        self._seen: set[int] = set()
        """Finished runs already in the table (overlapping polls may report one twice)."""
        self._trace: dict[int, deque[float]] = {}
        self._trace_dirty = False
        self._sensor_label = "none yet"
        self._idle_label = ""
        self._idle_monitor: Any = None
        self._chart_timer: Timer | None = None
        self._poll_timer: Timer | None = None
        self._visible = False
        self._prompt = ""
        self._hidden: set[str] = set()
        self._campaign: dict[str, Any] | None = None

    @property
    def sensor_name(self) -> str | None:
        """The sensor the app was started with (`--sensor`), else automatic."""
        return self.pimp.sensor

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
        table.border_title = "Finished runs"
        yield table
        yield Footer(compact=True)

    def on_mount(self) -> None:
        table = self.query_one("#runs", DataTable)
        for label in ("pos", "rep", "status", "J", "net J", "s", "tok/s", "acc", "sensor"):
            table.add_column(label, key=label)
        self._chart_timer = self.set_interval(1 / CHART_HZ, self._draw_chart, pause=True)
        self._poll_timer = self.set_interval(POLL_S, self._poll, pause=True)

    # --- visibility: nothing is drawn or sampled for a hidden pane ------------------------

    def sync(self) -> None:
        self._visible = True
        if self._chart_timer is not None:
            self._chart_timer.resume()
        if self._poll_timer is not None:
            self._poll_timer.resume()
        self._poll()
        if self.local is None:
            self._start_idle_monitor()

    def on_screen_suspend(self) -> None:
        self._visible = False
        if self._chart_timer is not None:
            self._chart_timer.pause()
        if self._poll_timer is not None:
            self._poll_timer.pause()
        self._stop_idle_monitor()

    def on_unmount(self) -> None:
        self._stop_idle_monitor()
        if self.local is not None:
            self.local.pause.set()

    def _start_idle_monitor(self) -> None:
        if self._idle_monitor is None:
            self.open_idle_monitor()

    @background("idle-monitor")
    def open_idle_monitor(self) -> None:
        from pimp_tui.services.monitor import open_power_monitor

        monitor = open_power_monitor(self.sensor_name or None)
        self.app.call_from_thread(self._idle_opened, monitor)

    def _idle_opened(self, monitor: Any) -> None:
        if not self._visible or self.local is not None or self._idle_monitor is not None:
            monitor.stop()
            monitor.sensor.close()
            return
        self._idle_monitor = monitor
        self._idle_label = _sensor_label(monitor.sensor) + " · live"

    def _stop_idle_monitor(self) -> None:
        monitor, self._idle_monitor = self._idle_monitor, None
        if monitor is not None:
            monitor.stop()
            monitor.sensor.close()

    # --- the chart ------------------------------------------------------------------------

    def _draw_chart(self) -> None:
        chart = self.query_one(PowerChart)
        points = chart.points_wanted
        monitor = self._idle_monitor
        if monitor is not None and self.local is None and not self._watching_estimate():
            series: dict[int, list[float]] = {}
            for s in monitor.snapshot(max_points=points):
                series.setdefault(s.device, []).append(s.watts)
            chart.show(series, self._idle_label, 0.0)
            return
        if not self._trace_dirty:
            return
        self._trace_dirty = False
        series = {d: decimate(list(v), points) for d, v in self._trace.items()}
        chart.show(series, self._sensor_label, 0.0)

    def _watching_estimate(self) -> bool:
        """A campaign of another process measured by the estimate sensor: this process's own
        estimate says nothing about it, so its last stored run is drawn instead."""
        camp = self._campaign
        return bool(camp and camp["alive"] and camp.get("sensor") == "estimate" and self._trace)

    def _add_trace(self, samples: Iterable[Any]) -> None:
        for s in samples:
            self._trace.setdefault(s.device, deque(maxlen=TRACE_WINDOW)).append(s.watts)
            self._trace_dirty = True

    # --- store polling --------------------------------------------------------------------

    def _poll(self) -> None:
        self.poll_store(self.campaign_id, len(self._seen), self.local is None)

    @background("poll")
    def poll_store(self, campaign_id: int | None, seen: int, with_trace: bool) -> None:
        from pimp_tui.services.monitor import campaign_state

        self.post_message(
            self.Polled(campaign_state(self.pimp.db_path, campaign_id, seen, with_trace))
        )

    def on_monitor_screen_polled(self, message: Polled) -> None:
        state = message.state
        camp = state.campaign
        if camp is None:
            return
        if self.campaign_id is None:
            self.campaign_id = camp["id"]
        if camp["id"] != self.campaign_id:
            return
        new_campaign = self._campaign is None or self._campaign["id"] != camp["id"]
        self._campaign = camp
        if new_campaign:
            self._prompt, self._hidden = "", set()
            self.load_context(camp["id"], camp["task"], camp["prompts"], camp["seed"])
        table = self.query_one("#runs", DataTable)
        for run in state.finished:
            if run["id"] not in self._seen:
                self._seen.add(run["id"])
                table.add_row(*_run_cells(run), key=str(run["id"]))
        if state.finished:
            table.move_cursor(row=table.row_count - 1)
        if self.local is None and camp.get("sensor"):
            if state.trace:
                self._trace = {d: deque(v, maxlen=TRACE_WINDOW) for d, v in state.trace.items()}
                self._trace_dirty = True
                self._sensor_label = f"{camp['sensor']} · last run"
        self._show_campaign(camp, state)

    @background("context")
    def load_context(self, campaign_id: int, task: str, prompts: int, seed: int) -> None:
        """The first prompt and the abstract features (left out of the running line)."""
        from pimp_tui.services.monitor import abstract_features, prompt_preview

        text = prompt_preview(task, prompts, seed)
        hidden = abstract_features(self.pimp.db_path, campaign_id)
        self.app.call_from_thread(self._context_loaded, text, hidden)

    def _context_loaded(self, prompt: str, hidden: set[str]) -> None:
        self._prompt, self._hidden = prompt, hidden

    def _show_campaign(self, camp: dict[str, Any], state: CampaignState | None) -> None:
        here = self.local is not None and self.local.id == camp["id"]
        where = "here" if here else (f"pid {camp['pid']}" if camp["alive"] else "")
        status = camp["status"]
        if status == "running" and not camp["alive"] and not here:
            status = "interrupted (r resumes)"
        title = f"campaign #{camp['id']} {camp['name'] or ''}".rstrip()
        self.query_one("#monitor-title", Static).update(self.pane_title(title))
        line = Text()
        line.append(status, style=_STATUS_STYLE.get(camp["status"], ""))
        if where:
            line.append(f" ({where})", style="dim")
        line.append(f" · sample #{camp['sample_id']} · {camp['task']}×{camp['prompts']}")
        line.append(f" · {camp['repetitions']} rep · {_llm_name(camp['llm'])}")
        line.append(" · sensor ")
        line.append(camp["sensor"] or "auto", style="bold")
        self.query_one("#campaign-line", Static).update(line)
        done = camp["done"] + camp["failed"]
        bar = self.query_one("#progress", ProgressBar)
        bar.update(total=max(camp["total"], 1), progress=done)
        eta = Text(f"{done}/{camp['total']} runs")
        if camp["failed"]:
            eta.append(f" · {camp['failed']} failed", style="red")
        eta_s = state.eta_s if state is not None else None
        if eta_s is not None and camp["status"] == "running":
            eta.append(f" · ETA {_duration(eta_s)}")
        self.query_one("#eta", Static).update(eta)
        now = Text()
        running = state.running if state is not None else None
        if running is not None and camp["status"] == "running":
            now.append(f"▶ run {running['position'] + 1} rep {running['repetition'] + 1}: ")
            now.append(_config_summary(running["config"], self._hidden))
        elif camp.get("error") and camp["status"] in ("failed", "paused"):
            now.append(f"error: {camp['error']}", style="red")
        if self._prompt:
            now.append("\nprompt: " + self._prompt.replace("\n", " "), style="italic")
        self.query_one("#now", Static).update(now)

    # --- events from a campaign running in this process -------------------------------------

    def on_monitor_screen_campaign_event(self, message: CampaignEvent) -> None:
        from pimp_tui.measure.campaign import (
            CampaignStatus,
            PowerTrace,
            RunFinished,
            RunStarted,
        )

        event = message.event
        if isinstance(event, PowerTrace):
            self._add_trace(event.samples)
        elif isinstance(event, CampaignStatus):
            if event.message.startswith("sensor "):
                self._sensor_label = event.message.removeprefix("sensor ")
            self._poll()
        elif isinstance(event, RunStarted | RunFinished):
            self._poll()

    def on_monitor_screen_local_done(self, message: LocalDone) -> None:
        if self.local is not None and self.local.id == message.campaign_id:
            self.local = None
        self.notify(f"campaign #{message.campaign_id}: {message.status}", timeout=5)
        self._poll()
        if self._visible:
            self._start_idle_monitor()

    # --- actions --------------------------------------------------------------------------

    def action_new(self) -> None:
        if self.local is not None:
            self.notify("a campaign is already running here: pause or cancel it first",
                        severity="warning")  # fmt: skip
            return
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
        if self.sensor_name:
            defaults.setdefault("sensor", self.sensor_name)
        self.app.call_from_thread(
            self.app.push_screen, CampaignForm(samples, defaults), self._form_done
        )

    def _form_done(self, values: dict[str, Any] | None) -> None:
        if values is None:
            return
        self.pimp.workspace.extra["campaign_form"] = values
        self.create_and_run(values)

    @background("campaign-create")
    def create_and_run(self, values: dict[str, Any]) -> None:
        from pimp_tui.measure.campaign import create_campaign

        campaign_id = create_campaign(
            self.pimp.db_path,
            sample_id=int(values["sample"]),
            task=values["task"],
            prompts=values["prompts"],
            repetitions=values["repetitions"],
            llm=values["llm"],
            sensor=values["sensor"] or None,
            max_new_tokens=values["max_new_tokens"],
            cooldown_s=values["cooldown_s"],
        )
        self.app.call_from_thread(self._start_local, campaign_id)

    def _start_local(self, campaign_id: int) -> None:
        if self.local is not None:
            return
        if campaign_id != self.campaign_id:
            self._switch_to(campaign_id)
        self._stop_idle_monitor()
        self._trace = {}
        self._trace_dirty = True
        self._sensor_label = "starting…"
        self.local = LocalCampaign(campaign_id)
        self.run_local(self.local)
        self.notify(f"campaign #{campaign_id} started", timeout=3)

    @background("campaign-run", exclusive=False)
    def run_local(self, local: LocalCampaign) -> None:
        from pimp_tui.measure.campaign import run_campaign

        app = self.app
        db_path = self.pimp.db_path

        def emit(event: Any) -> None:
            # Never raise into the campaign: once the app has closed, events go nowhere and
            # the campaign carries on to the pause point set on unmount.
            try:
                self.post_message(self.CampaignEvent(event))
            except Exception:  # noqa: BLE001
                pass

        def say(text: str) -> None:
            try:
                app.call_from_thread(app.notify, text, timeout=4)
            except Exception:  # noqa: BLE001
                pass

        status = "failed"
        try:
            status = run_campaign(
                db_path, local.id, on_event=emit, pause=local.pause, cancel=local.cancel,
                notify=say,
            )  # fmt: skip
        finally:
            emit_done = self.LocalDone(local.id, status)
            try:
                self.post_message(emit_done)
            except Exception:  # noqa: BLE001
                pass

    def _switch_to(self, campaign_id: int) -> None:
        self.campaign_id = campaign_id
        self._campaign = None
        self._seen = set()
        self.query_one("#runs", DataTable).clear()
        self._poll()

    def action_pause(self) -> None:
        if self._control("pause") and self.local is not None:
            self.local.pause.set()
            self.notify("pausing after the current run", timeout=3)

    def action_cancel_campaign(self) -> None:
        if self._control("cancel") and self.local is not None:
            self.local.cancel.set()
            self.notify("cancelling after the current run", timeout=3)

    def _control(self, what: str) -> bool:
        if self.local is not None and self.local.id == self.campaign_id:
            return True
        camp = self._campaign
        if camp is not None and camp["alive"]:
            self.notify(
                f"campaign #{camp['id']} runs in process {camp['pid']} on {camp['host']}: "
                f"{what} it there (ctrl+c pauses a CLI run)",
                severity="warning",
            )
        else:
            self.notify(f"no campaign running here to {what}", severity="warning")
        return False

    def action_resume(self) -> None:
        if self.local is not None:
            self.notify("a campaign is already running here", severity="warning")
            return
        if self.campaign_id is None:
            self.notify("no campaign to resume: n starts one", severity="warning")
            return
        camp = self._campaign
        if camp is not None and camp["status"] == "done":
            self.notify(f"campaign #{camp['id']} is done", severity="warning")
            return
        self._start_local(self.campaign_id)

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


_STATUS_STYLE = {
    "running": "bold green",
    "paused": "bold yellow",
    "done": "bold",
    "failed": "bold red",
    "cancelled": "yellow",
    "planned": "dim",
}


def _sensor_label(sensor: Any) -> str:
    name = getattr(sensor, "name", "?")
    source = getattr(sensor, "power_source", "")
    return f"{name} ({source})" if source and source != name else name


def _run_cells(run: dict[str, Any]) -> list[Any]:
    def num(value: Any, fmt: str) -> str:
        return "-" if value is None else format(value, fmt)

    status = Text(run["status"], style="red" if run["status"] == "failed" else "green")
    energy = num(run["energy_j"], ".2f") + ("*" if run.get("short_window") else "")
    return [
        run["position"] + 1,
        run["repetition"] + 1,
        status,
        energy,
        num(run["energy_net_j"], ".2f"),
        num(run["latency_s"], ".2f"),
        num(run["tokens_per_s"], ".1f"),
        num(run["accuracy"], ".2f"),
        run["sensor"] or "-",
    ]


def _llm_name(spec: str) -> str:
    """A model path shown by its last part; names and hub ids as they are."""
    return spec.rstrip("/").rsplit("/", 1)[-1] if spec.startswith(("/", ".", "~")) else spec


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


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    if seconds >= 60:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds}s"
