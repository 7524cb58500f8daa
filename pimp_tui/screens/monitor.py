"""Monitor pane: start campaigns in processes of their own; pause, resume, cancel or stop any
campaign of the store; watch its power, progress and finished runs; open a run.

Everything is read from the store, so a campaign started here, by `pimp measure` in another
shell, or by another window is watched and controlled the same way, and closing this window
never stops one. Here are the pane's keys and the commands they run; what it shows of the
watched campaign is kept up to date by `screens.monitor_watch`."""

from __future__ import annotations

from typing import Any

from textual.binding import Binding
from textual.widgets import DataTable

from pimp_tui.screens.base import background
from pimp_tui.screens.campaign_form import CampaignForm
from pimp_tui.screens.dialogs import ChoiceScreen, ConfirmScreen
from pimp_tui.screens.monitor_watch import CampaignWatch


class MonitorScreen(CampaignWatch):
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
    MonitorScreen #campaign-line { height: auto; max-height: 2; padding: 0 1; }
    MonitorScreen #progress-row { height: 1; padding: 0 1; }
    MonitorScreen ProgressBar { width: 42; }
    MonitorScreen #eta { width: 1fr; padding: 0 0 0 1; }
    MonitorScreen #now { height: 3; padding: 0 1; color: $text-muted; }
    MonitorScreen PowerChart { height: 7; padding: 0 1; }
    MonitorScreen DataTable { height: 1fr; border: round $primary-darken-2; }
    MonitorScreen DataTable:focus { border: round $accent; }
    """

    # --- actions --------------------------------------------------------------------------

    def action_new(self) -> None:
        self.prepare_form()

    @background("form")
    def prepare_form(self) -> None:
        from pimp_tui.services.campaigns import last_settings
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
        defaults = {**last_settings(self.pimp.db_path),
                    **self.pimp.workspace.extra.get("campaign_form", {})}  # fmt: skip
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
        self.pimp.workspace.extra["campaign_form"] = {**values, "name": None}  # one per campaign
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
            self.pimp.db_path, sample=int(values["sample"]), name=values.get("name"),
            task=values["task"],
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
        cid = self._target()
        if cid is None:
            return
        camp = self._campaign or {}
        if camp.get("status") != "cancelled":
            self.send_resume(cid)
            return
        left = camp.get("total", 0) - camp.get("done", 0) - camp.get("failed", 0)
        question = f"Campaign #{cid} was cancelled. Run its {left} remaining run(s) after all?"

        def answered(yes: bool | None) -> None:
            if yes:
                self.send_resume(cid)

        self.app.push_screen(ConfirmScreen("Resume a cancelled campaign", question, "run them"),
                             answered)  # fmt: skip

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
