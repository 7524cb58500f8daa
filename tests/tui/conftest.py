"""Fixtures for the workbench tests: an app on a fresh store, a small model loaded into it."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from pimp_tui.app import PimpApp

DATA = Path(__file__).parent / "data"
SMALL_MODEL = DATA / "small.uvl"


def make_app(tmp_path: Path, model: Path | None = SMALL_MODEL) -> PimpApp:
    """An app on a store of its own, with the estimate sensor (no GPU needed) and, when given,
    `model` loaded into the editor (loaded before the first frame, so tests need not wait)."""
    from pimp_tui.variability.io import load_model

    app = PimpApp(db=tmp_path / "pimp.db", seed=False, sensor="estimate")
    if model is not None:
        app.workspace.model = load_model(model)
        app.workspace.model_name = model.stem
        app.workspace.revision = 1
    return app


@pytest.fixture
def app(tmp_path: Path) -> PimpApp:
    return make_app(tmp_path)


def shown(widget) -> str:  # type: ignore[no-untyped-def]
    """The plain text a Static shows (Rich renderables included), as it would print."""
    console = Console(width=200, file=io.StringIO(), record=True, color_system=None)
    console.print(widget.content)
    return console.export_text()


async def settle(pilot) -> None:  # type: ignore[no-untyped-def]
    """Let debounced work start, then wait for every worker and the repaint."""
    await pilot.pause(0.3)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause(0.05)  # messages the workers posted
    await pilot.app.workers.wait_for_complete()  # workers those messages started
    await pilot.pause(0.05)


async def type_text(pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    for char in text:
        await pilot.press({" ": "space", "!": "exclamation_mark", ">": "greater_than_sign",
                           "=": "equals_sign", "|": "vertical_line", "&": "ampersand",
                           ",": "comma", ".": "full_stop"}.get(char, char))  # fmt: skip


@pytest.fixture
def anyio_backend() -> str:
    """Pilot tests run on asyncio (the anyio plugin runs `pytest.mark.anyio` tests)."""
    return "asyncio"
