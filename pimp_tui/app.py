"""The workbench: four panes (Textual modes) over one store.

Start-up stays light: screens import their services (the reasoner, samplers, torch, sklearn)
inside workers and actions, so the first frame never waits for them.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.screen import Screen

from pimp_tui.screens.base import PaneScreen, background
from pimp_tui.screens.help import HelpScreen
from pimp_tui.screens.model import ModelScreen

if TYPE_CHECKING:
    from pimp_tui.variability.model import FeatureModel

PANE_CLASSES = {
    "model": ("model", "ModelScreen"),
    "sample": ("sample", "SampleScreen"),
    "monitor": ("monitor", "MonitorScreen"),
    "predict": ("predict", "PredictScreen"),
}
"""Mode -> (module under pimp_tui.screens, class). Only the first pane is imported before the
first frame; the others when first shown."""


def pane_class(mode: str) -> type[PaneScreen]:
    module, name = PANE_CLASSES[mode]
    return getattr(importlib.import_module(f"pimp_tui.screens.{module}"), name)


def panes() -> dict[str, type[PaneScreen]]:
    return {mode: pane_class(mode) for mode in PANE_CLASSES}


@dataclass
class Workspace:
    """What the panes share: the model being edited and the sample last made or opened."""

    model: FeatureModel | None = None
    model_id: int | None = None
    model_name: str = ""
    path: str | None = None
    revision: int = 0
    """Bumped on every change of `model`, so panes know to refresh."""
    sample_id: int | None = None
    sample_revision: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


class PaneCommands(Provider):
    """The command palette lists every action of every pane, not only the visible one's."""

    def _commands(self) -> Iterable[tuple[str, str, Any]]:
        app: PimpApp = self.app  # type: ignore[assignment]
        for mode, pane in panes().items():
            title = pane.TITLE or mode.title()
            yield f"Go to {title}", f"Switch to the {title} pane", partial(app.switch_mode, mode)
            for binding in pane.BINDINGS:
                if isinstance(binding, Binding) and binding.description:
                    yield (
                        f"{title}: {binding.description}",
                        binding.tooltip or f"key {binding.key}",
                        partial(app.run_pane_action, mode, binding.action),
                    )

    async def discover(self) -> Hits:
        for name, help_text, callback in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        """Found by the words of the name or of the help line (`target` finds Choose target,
        `export` the CSV and the report)."""
        matcher = self.matcher(query)
        for name, help_text, callback in self._commands():
            score = max(matcher.match(name), 0.8 * matcher.match(help_text))
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)


class PimpApp(App[None]):
    """`pimp`: model → sample → measure → predict, keyboard only."""

    TITLE = "pimp"
    MODES = {"model": ModelScreen} | {  # type: ignore[assignment]
        mode: partial(lambda m: pane_class(m)(), mode) for mode in PANE_CLASSES if mode != "model"
    }
    DEFAULT_MODE = "model"
    COMMANDS = App.COMMANDS | {PaneCommands}
    ENABLE_COMMAND_PALETTE = True
    CSS = """
    .pane-title { height: 1; background: $panel; color: $text; padding: 0 1; }
    .status { height: 1; color: $text-muted; padding: 0 1; }
    .muted { color: $text-muted; }
    FooterLabel { margin-right: 1; }
    /* A focus ring every theme shows: the accent tints the focused widget, strongly (and in
       bold) for the one-line fields and drop-downs. */
    *:focus { background-tint: $accent 16%; }
    Input:focus, Select:focus > SelectCurrent, Button:focus {
        background-tint: $accent 45%;
        text-style: bold;
    }
    """
    BINDINGS = [
        Binding("ctrl+t", "next_theme", "Theme", show=False, tooltip="Cycle colour themes"),
    ]

    def __init__(
        self, db: str | Path = "pimp.db", *, seed: bool = True, sensor: str | None = None
    ) -> None:
        super().__init__()
        self.db_path = str(db)
        self.sensor = sensor
        """Sensor for the live trace and new campaigns (None: the best available)."""
        self.workspace = Workspace()
        self._seed = seed
        self.sub_title = self.db_path

    def on_mount(self) -> None:
        self.switch_mode(self.DEFAULT_MODE)
        if self._seed:
            self.call_after_refresh(self._open_workspace)

    def _open_workspace(self) -> None:
        self.open_workspace()

    @background("workspace")
    def open_workspace(self) -> None:
        """Seed the store on first run, then load its newest model into the editor."""
        from pimp_tui.services.workspace import open_default_model

        self.workspace.extra["loading"] = True
        try:
            loaded = open_default_model(self.db_path)
        except Exception as exc:  # noqa: BLE001 - shown, never fatal
            self.call_from_thread(self.notify, str(exc), title="Store", severity="error")
            loaded = None
        finally:
            self.workspace.extra["loading"] = False
        if loaded is not None:
            model, model_id, name = loaded
            self.call_from_thread(self.set_model, model, model_id=model_id, name=name)
        else:
            self.call_from_thread(self.sync_panes)
        if loaded is not None:
            from pimp_tui.services.monitor import running_campaigns

            if running_campaigns(self.db_path):
                self.call_from_thread(self._show_monitor)  # what a user comes back for

    def _show_monitor(self) -> None:
        self.switch_mode("monitor")

    # --- shared state ---------------------------------------------------------------------

    def set_model(
        self,
        model: FeatureModel,
        *,
        model_id: int | None = None,
        name: str | None = None,
        path: str | None = None,
    ) -> None:
        """Make `model` the workspace model; every pane refreshes when it is next shown."""
        ws = self.workspace
        ws.model, ws.model_id = model, model_id
        if name is not None:
            ws.model_name = name
        if path is not None:
            ws.path = path
        ws.revision += 1
        self.sync_panes()

    def set_sample(self, sample_id: int) -> None:
        self.workspace.sample_id = sample_id
        self.workspace.sample_revision += 1
        self.sync_panes()

    def sync_panes(self) -> None:
        screen = self.screen
        if isinstance(screen, PaneScreen):
            screen.sync()

    # --- actions --------------------------------------------------------------------------

    async def run_pane_action(self, mode: str, action: str) -> None:
        """Palette entries for other panes: switch there first, then act."""
        if self.current_mode != mode:
            await self.switch_mode(mode)
        await self.screen.run_action(action)

    def action_help(self) -> None:
        screen = self.screen
        if not isinstance(screen, PaneScreen):
            return
        title = screen.TITLE or screen.PANE
        keys: list[tuple[str, str]] = [(f"[{title}]", "")]
        keys += self._keys_of(type(screen).BINDINGS)
        keys.append(("[every pane]", ""))
        keys += self._keys_of(list(PaneScreen.BINDINGS) + self.BINDINGS)
        keys.append(("ctrl+p", "Command palette: every action of every pane"))
        keys.append(("ctrl+q", "Quit"))
        for mode, pane in panes().items():
            if pane is not type(screen):
                keys.append((f"[{pane.TITLE or mode.title()}]", ""))
                keys += self._keys_of(pane.BINDINGS)
        self.push_screen(HelpScreen(title, screen.HELP, keys))

    def _keys_of(self, bindings: Iterable[Any]) -> list[tuple[str, str]]:
        keys = []
        for binding in bindings:
            if isinstance(binding, Binding) and binding.description:
                keys_shown = [k.strip() for k in binding.key.split(",")]
                key = ", ".join(self.get_key_display(Binding(k, "")) for k in keys_shown)
                keys.append((key, binding.tooltip or binding.description))
        return keys

    async def action_quit(self) -> None:
        """Quit; when campaigns are running (they keep running) or the model has unsaved edits
        (they are lost), say so and ask first."""
        self.check_before_quit()

    @background("quit")
    def check_before_quit(self) -> None:
        from pimp_tui.services.monitor import running_campaigns

        running = running_campaigns(self.db_path)
        self.call_from_thread(self._quit, running)

    def _quit(self, running: list[dict[str, Any]]) -> None:
        unsaved = self.workspace.model is not None and bool(self.workspace.extra.get("dirty"))
        if not running and not unsaved:
            self.exit()
            return
        from pimp_tui.screens.dialogs import ConfirmScreen

        said = []
        if unsaved:
            name = self.workspace.model_name or "being edited"
            said.append(f"The model {name} has edits not saved to a file: they are lost "
                        "(Model pane: ctrl+s saves them).")  # fmt: skip
        note = None
        if running:
            ids = ", ".join(f"#{c['id']} (pid {c['pid']})" for c in running)
            note = (
                f"Campaign {ids} keeps running after pimp closes. To come back: "
                f"pimp --db {self.db_path} (Monitor: key 3); to pause it: "
                f"pimp --db {self.db_path} campaign pause {running[0]['id']}."
            )
            said.append(note)

        def answered(yes: bool | None) -> None:
            if yes:
                self.exit(message=note)

        question = "\n\n".join([*said, "Quit now?"])
        self.push_screen(ConfirmScreen("Quit pimp", question, "quit"), answered)

    def action_next_theme(self) -> None:
        themes = ["textual-dark", "textual-light", "nord", "gruvbox", "monokai"]
        current = themes.index(self.theme) if self.theme in themes else -1
        self.theme = themes[(current + 1) % len(themes)]
        self.notify(f"theme: {self.theme}", timeout=2)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Help", "Help for the current pane (F1)", self.action_help)
