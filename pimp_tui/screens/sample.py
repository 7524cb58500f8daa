"""Sampling pane: pick an algorithm and its parameters, generate in the background, browse the
configurations (virtual rows: thousands stay responsive), see t-wise coverage, save to the
store, export CSV."""

from __future__ import annotations

import copy
import time
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Footer, Input, Label, Select, Static
from textual.worker import get_current_worker

from pimp_tui.errors import PimpError
from pimp_tui.screens.base import PaneScreen, background
from pimp_tui.screens.dialogs import ChoiceScreen, PromptScreen
from pimp_tui.services.sampling import SampleView, order_columns
from pimp_tui.variability.model import FeatureModel
from pimp_tui.widgets.rows_table import RowsTable

ALGORITHMS = [
    ("twise", "t-wise"),
    ("uniform", "uniform random"),
    ("distance", "distance-based"),
    ("diversified-distance", "diversified dist."),
    ("all", "all valid"),
]

PROGRESS_EVERY_S = 0.2


class Cancelled(Exception):
    """Raised inside a sampler's progress callback when the user cancels."""


class SampleScreen(PaneScreen):
    PANE = "sample"
    TITLE = "Sample"
    HELP = """
[b]Sampling[/b] — choose which valid configurations to measure.

Pick the algorithm and its parameters on the top line (tab moves between fields), then
generate (g; esc cancels a long run). t-wise covers every combination of t feature values at
least once (the paper used 2-wise); uniform draws configurations uniformly among the valid ones;
distance-based ones spread them out. [i]size[/i] is the number of configurations for the random
samplers, [i]budget[/i] a time limit in seconds.

The table lists the configurations (✓ selected, · not, - deselected value); columns that vary
come first. Scroll with the arrows, page keys, home/end; left/right pan.
Save it to the store (s) so a campaign can measure it; export CSV (x); open a stored sample (o).
"""
    BINDINGS = [
        Binding("g", "generate", "Generate", tooltip="Generate a sample in the background"),
        Binding("s", "save", "Save", tooltip="Save the sample to the store"),
        Binding("x", "export", "CSV", tooltip="Export the sample as CSV"),
        Binding("o", "open", "Open", tooltip="Open a sample from the store"),
        Binding("escape", "cancel", "Cancel", show=False, tooltip="Cancel the generation"),
        Binding("t", "focus_table", "Table", show=False, tooltip="Focus the table"),
    ]
    DEFAULT_CSS = """
    SampleScreen #sample-form { height: 1; padding: 0 1; }
    SampleScreen #sample-form Label { padding: 0 1 0 0; }
    SampleScreen #sample-form Input { width: 7; margin: 0 1 0 0; }
    SampleScreen #algorithm { width: 23; margin: 0 1 0 0; }
    SampleScreen #sample-status { height: auto; max-height: 5; padding: 0 1; }
    SampleScreen RowsTable { height: 1fr; border: round $primary-darken-2; }
    SampleScreen RowsTable:focus { border: round $accent; }
    """

    class Progress(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    class Generated(Message):
        def __init__(self, view: SampleView) -> None:
            super().__init__()
            self.view = view

    def __init__(self) -> None:
        super().__init__()
        self.view: SampleView | None = None
        self._sample_revision = -1

    def compose(self) -> ComposeResult:
        yield Static(self.pane_title(), id="sample-title", classes="pane-title")
        with Horizontal(id="sample-form"):
            yield Select(
                [(label, key) for key, label in ALGORITHMS],
                value="twise",
                allow_blank=False,
                compact=True,
                id="algorithm",
            )
            yield Label("t")
            yield Input("2", compact=True, id="t", type="integer")
            yield Label("size")
            yield Input("", compact=True, id="size", type="integer", placeholder="auto",
                        valid_empty=True)  # fmt: skip
            yield Label("seed")
            yield Input("0", compact=True, id="seed", type="integer")
            yield Label("budget")
            yield Input("", compact=True, id="budget", type="number", placeholder="s",
                        valid_empty=True)  # fmt: skip
        yield Static("", id="sample-status")
        table = RowsTable(id="sample-table")
        table.border_title = "Configurations"
        yield table
        yield Footer(compact=True)

    def sync(self) -> None:
        ws = self.pimp.workspace
        model = ws.model
        name = ws.model_name or (model.root.name if model else "no model")
        dirty = " [modified]" if ws.extra.get("dirty") else ""
        self.query_one("#sample-title", Static).update(self.pane_title(f"model {name}{dirty}"))
        if ws.sample_revision != self._sample_revision and ws.sample_id is not None:
            self._sample_revision = ws.sample_revision
            if self.view is None or self.view.sample_id != ws.sample_id:
                self.load_sample(ws.sample_id)
        self._show_status()

    def _show_status(self, extra: str = "") -> None:
        status = self.query_one("#sample-status", Static)
        view = self.view
        if view is None:
            status.update(Text(extra or "no sample yet: set the parameters and press g", "dim"))
            return
        text = Text()
        text.append(f"{len(view.configs):,}", style="bold")
        text.append(" configurations")
        if view.lower_bound is not None:
            text.append(f", lower bound {view.lower_bound}")
        text.append(f" · {view.algorithm} {_params(view.params)}")
        if view.sample_id is not None:
            text.append(f" · stored #{view.sample_id} {view.name}", style="green")
        else:
            text.append(" · not saved (s)", style="yellow")
        if view.revision not in (-1, self.pimp.workspace.revision):
            text.append(" · model edited since", style="yellow")
        text.append("\n")
        cov = view.coverage
        if cov:
            valid, covered = cov.get("valid", 0), cov.get("covered", 0)
            pct = 100.0 * covered / valid if valid else 100.0
            text.append(f"{cov.get('t', '?')}-wise coverage ", style="dim")
            text.append(f"{pct:.1f}%", style="bold green" if pct >= 99.999 else "bold yellow")
            text.append(f" ({covered:,}/{valid:,} valid interactions)", style="dim")
        if view.host_fixes:
            text.append("\nfixed by the host: ", style="dim")
            text.append("; ".join(view.host_fixes))
        if extra:
            text.append("  " + extra, style="dim")
        status.update(text)

    # --- generation -------------------------------------------------------------------------

    def _form(self) -> dict[str, Any]:
        def number(widget_id: str, cast: type) -> Any:
            raw = self.query_one(f"#{widget_id}", Input).value.strip()
            if not raw:
                return None
            try:
                return cast(raw)
            except ValueError:
                raise PimpError(f"{widget_id} must be a number") from None

        algorithm = str(self.query_one("#algorithm", Select).value)
        params: dict[str, Any] = {"seed": number("seed", int) or 0}
        t = number("t", int)
        if algorithm == "twise":
            params["t"] = t or 2
        size = number("size", int)
        if size is not None:
            params["size"] = size
        budget = number("budget", float)
        if budget is not None:
            params["time_budget"] = budget
        if algorithm in ("uniform", "distance", "diversified-distance") and size is None:
            params["size"] = 50
        return {"algorithm": algorithm, "params": params, "t": t or 2}

    def action_generate(self) -> None:
        model = self.pimp.workspace.model
        if model is None:
            self.notify("no model loaded yet", severity="warning")
            return
        try:
            form = self._form()
        except PimpError as exc:
            self.notify(str(exc), severity="error")
            return
        self._show_status(f"generating {form['algorithm']}…")
        self.generate(copy.deepcopy(model), form, self.pimp.workspace.revision)

    @background("sampling")
    def generate(self, model: FeatureModel, form: dict[str, Any], revision: int) -> None:
        from pimp_tui.services.sampling import coverage_of, fix_to_host, run_sampler

        worker = get_current_worker()
        last = [0.0]

        def progress(*args: Any, **kwargs: Any) -> None:
            if worker.is_cancelled:
                raise Cancelled
            now = time.monotonic()
            if now - last[0] < PROGRESS_EVERY_S:
                return
            last[0] = now
            shown = " ".join(str(a) for a in args) or " ".join(
                f"{k}={v}" for k, v in kwargs.items()
            )
            self.post_message(self.Progress(f"generating… {shown} (esc cancels)"))

        try:
            model, fixes = fix_to_host(model)
            drawn = run_sampler(model, form["algorithm"], form["params"], progress)
        except Cancelled:
            return
        except PimpError as exc:  # refused: the status says so, the error is shown too
            self.post_message(self.Progress(f"not generated: {exc}"))
            raise
        if worker.is_cancelled:
            return
        configs = drawn.configs
        self.post_message(self.Progress(f"{len(configs)} configurations; checking coverage…"))
        t = form["params"].get("t", form["t"])
        view = SampleView(
            form["algorithm"],
            form["params"],
            configs,
            lower_bound=drawn.lower_bound,
            revision=revision,
        )
        view.host_fixes = [f"{fix.constraint} ({fix.reason})" for fix in fixes]
        view.columns = order_columns(model, configs)
        view.features = model.feature_names()
        self.post_message(self.Generated(view))
        view.coverage = coverage_of(model, configs, t)
        if not worker.is_cancelled:
            self.post_message(self.Generated(view))

    def on_sample_screen_progress(self, message: Progress) -> None:
        self._show_status(message.text)

    def on_sample_screen_generated(self, message: Generated) -> None:
        first = self.view is not message.view
        self.view = message.view
        if first:
            self._fill_table()
        self._show_status()

    def _fill_table(self) -> None:
        view = self.view
        if view is None:
            return
        columns = view.columns or sorted({k for c in view.configs for k in c})
        rows = [[config.get(name) for name in columns] for config in view.configs]
        self.query_one(RowsTable).set_rows(columns, rows)

    def action_cancel(self) -> None:
        cancelled = self.workers.cancel_group(self, "sampling")
        if cancelled:
            self._show_status("cancelled")

    def action_focus_table(self) -> None:
        self.query_one(RowsTable).focus()

    @on(Input.Submitted)
    def _submitted(self) -> None:
        """Enter in a field generates; the table takes the focus so s, x, o work at once."""
        self.action_generate()
        self.query_one(RowsTable).focus()

    # --- store and files --------------------------------------------------------------------

    def action_save(self) -> None:
        view = self.view
        if view is None:
            self.notify("generate a sample first (g)", severity="warning")
            return
        if view.sample_id is not None:
            self.notify(f"already stored as #{view.sample_id}", timeout=3)
            return
        default = f"{view.algorithm}-" + "-".join(f"{k}{v}" for k, v in view.params.items())

        def done(name: str | None) -> None:
            if name and self.view is view:
                ws = self.pimp.workspace
                self.save(view, name.strip(), copy.deepcopy(ws.model), ws.model_id, ws.model_name)  # type: ignore[arg-type]

        self.app.push_screen(
            PromptScreen(
                "Save the sample as",
                value=default,
                validate=lambda t: None if t.strip() else "a name",
            ),
            done,
        )

    @background("sample-store")
    def save(
        self,
        view: SampleView,
        name: str,
        model: FeatureModel,
        model_id: int | None,
        model_name: str,
    ) -> None:
        from pimp_tui.services.sampling import store_sample

        sample_id, model_id = store_sample(
            self.pimp.db_path, model, model_id, model_name, name, view
        )
        self.app.call_from_thread(self._saved, view, sample_id, model_id, name)

    def _saved(self, view: SampleView, sample_id: int, model_id: int, name: str) -> None:
        view.sample_id, view.name = sample_id, name
        ws = self.pimp.workspace
        if ws.model_id is None and view.revision == ws.revision:
            ws.model_id = model_id
        self._sample_revision = ws.sample_revision + 1
        self.pimp.set_sample(sample_id)
        self.notify(f"sample #{sample_id} {name} saved: measure it in Monitor (3)", timeout=4)

    def action_export(self) -> None:
        view = self.view
        if view is None:
            self.notify("generate a sample first (g)", severity="warning")
            return

        def check(text: str) -> str | None:
            parent = Path(text.strip()).expanduser().parent
            if not text.strip().endswith(".csv"):
                return "a .csv path"
            return None if parent.is_dir() else f"no directory {parent}"

        def done(path: str | None) -> None:
            if path:
                self.export(view, str(Path(path.strip()).expanduser()))

        name = view.name or view.algorithm
        self.app.push_screen(PromptScreen("Export CSV", value=f"{name}.csv", validate=check), done)

    @background("sample-store", exclusive=False)
    def export(self, view: SampleView, path: str) -> None:
        from pimp_tui.services.sampling import write_csv

        write_csv(path, view.features or view.columns, view.configs)
        self.app.call_from_thread(self.notify, f"wrote {len(view.configs)} rows to {path}")

    def action_open(self) -> None:
        self.list_samples()

    @background("sample-store")
    def list_samples(self) -> None:
        from pimp_tui.services.sampling import stored_samples

        rows = stored_samples(self.pimp.db_path)
        if not rows:
            self.app.call_from_thread(self.notify, "no stored samples yet", severity="warning")
            return
        options = [
            (str(r["id"]), f"#{r['id']} {r['name']} · {r['algorithm']} · {r['size']} configs")
            for r in rows
        ]
        self.app.call_from_thread(
            self.app.push_screen, ChoiceScreen("Stored samples", options), self._open_chosen
        )

    def _open_chosen(self, key: str | None) -> None:
        if key is not None:
            self.pimp.set_sample(int(key))

    @background("sample-store")
    def load_sample(self, sample_id: int) -> None:
        from pimp_tui.services.sampling import load_view

        view = load_view(self.pimp.db_path, sample_id)
        self.post_message(self.Generated(view))


def _params(params: dict[str, Any]) -> str:
    return " ".join(f"{k}={v}" for k, v in params.items())
