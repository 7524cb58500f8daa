"""The new-campaign form: which sample, its name, task, model, sensor and how many
repetitions."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Select, Static

SENSORS = [("automatic (nvml > rapl > estimate)", ""), ("nvml", "nvml"), ("rapl", "rapl"),
           ("estimate", "estimate")]  # fmt: skip
EXECUTORS = [("local (this machine)", "local"), ("ray (the slots of a Ray cluster)", "ray")]


class CampaignForm(ModalScreen["dict[str, Any] | None"]):
    DEFAULT_CSS = """
    CampaignForm { align: center middle; }
    CampaignForm > Vertical { width: 76; max-width: 100%; height: auto;
        border: round $accent; background: $surface; padding: 0 1; }
    CampaignForm Grid { grid-size: 2; grid-columns: 14 1fr; grid-rows: 1; height: auto;
        grid-gutter: 0 1; }
    CampaignForm #form-error { color: $error; height: 1; }
    CampaignForm .hint { color: $text-muted; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "submit", "Start"),
        # Enter starts from every field, a drop-down's included (space or the arrows open one);
        # while a drop-down's list is open, enter picks from it.
        Binding("enter", "enter", "Start", show=False, priority=True),
    ]

    def __init__(self, samples: list[tuple[str, str]], defaults: dict[str, Any]) -> None:
        super().__init__()
        self._samples, self._defaults = samples, defaults

    def compose(self) -> ComposeResult:
        from pimp_tui.measure.sensors.estimate import DEFAULT_WATTS_PER_CORE

        d = self._defaults
        with Vertical() as box:
            box.border_title = "New campaign"
            box.border_subtitle = "enter/ctrl+s starts · space opens a list · esc cancels"
            with Grid():
                yield Label("sample")
                yield Select(
                    [(label, key) for key, label in self._samples],
                    value=d.get("sample", self._samples[0][0]),
                    allow_blank=False,
                    compact=True,
                    id="f-sample",
                )
                yield Label("name")
                yield Input(
                    "", compact=True, id="f-name", placeholder="optional: how lists show it"
                )
                yield Label("task")
                yield Input(d.get("task", "arith"), compact=True, id="f-task")
                yield Label("prompts")
                yield Input(str(d.get("prompts", 3)), compact=True, id="f-prompts", type="integer")
                yield Label("repetitions")
                yield Input(str(d.get("repetitions", 1)), compact=True, id="f-reps", type="integer")
                yield Label("model")
                yield Input(d.get("llm", "smollm2"), compact=True, id="f-llm")
                yield Label("max tokens")
                yield Input(
                    str(d.get("max_new_tokens", 16)), compact=True, id="f-tokens", type="integer"
                )
                yield Label("sensor")
                sensor = d.get("sensor", "")
                yield Select(
                    SENSORS, value=sensor if sensor in dict(SENSORS).values() else "",
                    allow_blank=False, compact=True, id="f-sensor",
                )  # fmt: skip
                yield Label("cpu W/core")
                yield Input(
                    f"{d.get('cpu_watts', DEFAULT_WATTS_PER_CORE):g}", compact=True,
                    id="f-cpu-watts", type="number",
                    tooltip="the estimate sensor's watts per busy core",
                )  # fmt: skip
                yield Label("cooldown s")
                yield Input(str(d.get("cooldown_s", 0.5)), compact=True, id="f-cool", type="number")
                yield Label("runs on")
                yield Select(
                    EXECUTORS, value=d.get("executor", "local"), allow_blank=False,
                    compact=True, id="f-executor",
                )  # fmt: skip
                yield Label("ray address")
                yield Input(
                    d.get("address") or "", compact=True, id="f-address",
                    placeholder="HOST:PORT, auto, or empty: $RAY_ADDRESS / this machine",
                )  # fmt: skip
                yield Label("GPUs per slot")
                yield Input(
                    "" if d.get("gpus_per_run") is None else str(d["gpus_per_run"]),
                    compact=True, id="f-gpus", type="integer", valid_empty=True,
                    placeholder="empty: 1 with GPUs, else CPU slots (0)",
                )  # fmt: skip
            yield Static(
                "task: arith | gsm8k | humaneval | jsonl:PATH · model: smollm2, a local directory, "
                "a cached HF id or config:PATH",
                classes="hint",
            )
            yield Static("", id="form-error")

    def _values(self) -> dict[str, Any]:
        def text(wid: str) -> str:
            return self.query_one(f"#{wid}", Input).value.strip()

        def integer(wid: str, name: str, minimum: int = 1) -> int:
            try:
                value = int(text(wid))
            except ValueError:
                raise ValueError(f"{name} must be a whole number") from None
            if value < minimum:
                raise ValueError(f"{name} must be at least {minimum}")
            return value

        try:
            cooldown = float(text("f-cool") or 0)
        except ValueError:
            raise ValueError("cooldown must be a number of seconds") from None
        try:
            cpu_watts = float(text("f-cpu-watts"))
        except ValueError:
            raise ValueError("cpu W/core must be a number of watts") from None
        if not cpu_watts > 0:
            raise ValueError("cpu W/core must be above 0")
        executor = str(self.query_one("#f-executor", Select).value)
        gpus = integer("f-gpus", "GPUs per slot", 0) if text("f-gpus") else None
        if executor == "local" and (text("f-address") or gpus is not None):
            raise ValueError("ray address and GPUs per slot need runs on: ray")
        return {
            "cpu_watts": cpu_watts,
            "sample": str(self.query_one("#f-sample", Select).value),
            "name": text("f-name") or None,
            "task": text("f-task") or "arith",
            "prompts": integer("f-prompts", "prompts"),
            "repetitions": integer("f-reps", "repetitions"),
            "llm": text("f-llm") or "smollm2",
            "max_new_tokens": integer("f-tokens", "max tokens"),
            "sensor": str(self.query_one("#f-sensor", Select).value),
            "cooldown_s": cooldown,
            "executor": executor,
            "address": text("f-address") or None,
            "gpus_per_run": gpus,
        }

    def action_enter(self) -> None:
        focused = self.focused
        if focused is not None and not isinstance(focused, Select):
            if any(isinstance(node, Select) for node in focused.ancestors):
                raise SkipAction()  # the open list of a drop-down: enter picks
        if isinstance(focused, Select) and focused.expanded:
            raise SkipAction()
        self.action_submit()

    @on(Input.Submitted)
    def action_submit(self) -> None:
        try:
            values = self._values()
        except ValueError as exc:
            self.query_one("#form-error", Static).update(str(exc))
            self.app.bell()
            return
        self.dismiss(values)

    def action_cancel(self) -> None:
        self.dismiss(None)
