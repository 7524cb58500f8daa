"""What the monitor pane shows of the campaign it watches: its status, progress, run in flight
and finished runs, read from the store every second while the pane is shown, and the power
chart (the campaign's live power, else the GPUs' idle power).

The pane's keys and the commands they run are in `screens.monitor`; this base keeps the view
of one campaign up to date, and reads, samples and draws nothing while the pane is hidden."""

from __future__ import annotations

from collections import deque
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.timer import Timer
from textual.widgets import DataTable, Footer, ProgressBar, Static

from pimp_tui.screens.base import PaneScreen, background
from pimp_tui.screens.monitor_text import (
    campaign_line,
    now_text,
    progress_text,
    run_cells,
    sensor_label,
    status_word,
)
from pimp_tui.services.monitor import CampaignState
from pimp_tui.widgets.plot import decimate
from pimp_tui.widgets.power_chart import PowerChart

POLL_S = 1.0
"""How often the store is read while the pane is shown."""
IDLE_CHART_S = 1.0
"""How often the GPU's idle power is looked at (redrawn only when it has new samples)."""
LIVE_WINDOW_S = 120.0
"""Seconds of live power the chart shows."""


class CampaignWatch(PaneScreen):
    """The monitor pane's view of the campaign it watches (`campaign_id`)."""

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
        title = self.pane_title("no campaign yet: n starts one")
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
        label = f"{sensor_label(camp) or 'starting'} · campaign #{camp['id']} · live"
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
        what = f"campaign #{camp['id']} {status_word(camp)}" if camp else "no campaign running"
        monitor = self._idle_monitor
        if monitor is None:
            chart.show_message("none", f"{what}: nothing is measured")
            return
        if monitor.samples_taken == self._idle_drawn:
            return
        self._idle_drawn = monitor.samples_taken
        samples = monitor.snapshot(max_points=chart.points_wanted)
        series: dict[int, list[float]] = {}
        for sample in samples:
            series.setdefault(sample.device, []).append(sample.watts)
        span = samples[-1].t - samples[0].t if samples else 0.0
        power = "GPU power" if camp else "GPU idle power"  # another campaign may run
        chart.show(series, f"nvml · {power}, {what}", (0.0, span))

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

    def on_campaign_watch_polled(self, message: Polled) -> None:
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
            table.add_row(*run_cells(run, self._hidden), key=str(run["id"]))
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
        title = f"campaign #{camp['id']} {camp['name'] or ''}".rstrip()
        self._update("monitor-title", self.pane_title(title))
        self._update("campaign-line", campaign_line(camp))
        done = camp["done"] + camp["failed"]
        bar = self.query_one("#progress", ProgressBar)
        if (bar.total, bar.progress) != (max(camp["total"], 1), done):
            bar.update(total=max(camp["total"], 1), progress=done)
        self._update("eta", progress_text(camp, state))
        self._update("now", now_text(camp, state, self._hidden, self._prompt))

    def _switch_to(self, campaign_id: int) -> None:
        self.campaign_id = campaign_id
        self._campaign = None
        self._seen = set()
        self._live, self._live_after = {}, 0.0
        self.query_one("#runs", DataTable).clear()
        self._poll()
