"""Small modal dialogs: a text prompt validated as you type, a pick-one list, a yes/no question."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

Validator = Callable[[str], "str | None"]
"""Returns an error message, or None when the text is acceptable."""

_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{
    width: 72; max-width: 100%; height: auto; max-height: 90%;
    border: round $accent; background: $surface; padding: 0 1;
}}
{name} .hint {{ color: $text-muted; }}
{name} .error {{ color: $error; }}
{name} .ok {{ color: $success; }}
"""


class PromptScreen(ModalScreen["str | None"]):
    """Ask for one line of text; enter accepts (only when valid), escape cancels."""

    DEFAULT_CSS = _CSS.format(name="PromptScreen")
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self,
        title: str,
        value: str = "",
        hint: str = "",
        validate: Validator | None = None,
        placeholder: str = "",
    ) -> None:
        super().__init__()
        self._title, self._value, self._hint = title, value, hint
        self._validate, self._placeholder = validate, placeholder

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = self._title
            box.border_subtitle = "enter accepts · esc cancels"
            if self._hint:
                yield Static(self._hint, classes="hint", markup=False)
            yield Input(self._value, placeholder=self._placeholder, id="prompt-input")
            yield Static("", id="prompt-status", markup=False)

    def on_mount(self) -> None:
        self._check(self._value)

    @on(Input.Changed, "#prompt-input")
    def _changed(self, event: Input.Changed) -> None:
        self._check(event.value)

    def _check(self, text: str) -> str | None:
        error = self._validate(text) if self._validate else None
        status = self.query_one("#prompt-status", Static)
        status.set_classes("error" if error else "ok")
        status.update(error or ("ok" if self._validate and text.strip() else ""))
        return error

    @on(Input.Submitted, "#prompt-input")
    def _submitted(self, event: Input.Submitted) -> None:
        if self._check(event.value) is None:
            self.dismiss(event.value)
        else:
            self.app.bell()

    def action_cancel(self) -> None:
        self.dismiss(None)


class ChoiceScreen(ModalScreen["str | None"]):
    """Pick one of several options; returns its id."""

    DEFAULT_CSS = (
        _CSS.format(name="ChoiceScreen")
        + "ChoiceScreen OptionList { height: auto; max-height: 18; }"
    )
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self, title: str, options: Sequence[tuple[str, str]], current: str | None = None
    ) -> None:
        super().__init__()
        self._title, self._options, self._current = title, list(options), current

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = self._title
            box.border_subtitle = "enter picks · esc cancels"
            yield OptionList(*[Option(label, id=key) for key, label in self._options])

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        ids = [key for key, _ in self._options]
        if self._current in ids:
            options.highlighted = ids.index(self._current)

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmScreen(ModalScreen[bool]):
    """Ask before doing something that cannot be undone; y/enter confirms, n/esc declines."""

    DEFAULT_CSS = _CSS.format(name="ConfirmScreen")
    BINDINGS = [
        Binding("y,enter", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, title: str, message: str, yes: str = "yes") -> None:
        super().__init__()
        self._title, self._message, self._yes = title, message, yes

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = self._title
            box.border_subtitle = f"y/enter: {self._yes} · n/esc: no"
            yield Static(self._message, markup=False)

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
