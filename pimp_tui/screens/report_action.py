"""The workbench's way to `pimp report`: ask where, write the campaign's HTML report in a
worker, say where it went and how big it is (a failure becomes a notification)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pimp_tui.screens.dialogs import PromptScreen

if TYPE_CHECKING:
    from pimp_tui.screens.base import PaneScreen


def default_path(db_path: str, campaign_id: int) -> str:
    """Beside the store: `pimp-report-3.html` for campaign 3 of `pimp.db`."""
    db = Path(db_path).resolve()
    return str(db.with_name(f"{db.stem}-report-{campaign_id}.html"))


def ask_and_write(screen: PaneScreen, campaign_id: int) -> None:
    db_path = screen.pimp.db_path

    def check(text: str) -> str | None:
        path = Path(text.strip()).expanduser()
        if path.suffix.lower() not in (".html", ".htm"):
            return "end the name in .html"
        return None if path.parent.is_dir() else f"no folder {path.parent}"

    def write(path: str) -> None:
        from pimp_tui.services.report import write_report

        written = write_report(db_path, campaign_id, path)
        screen.app.call_from_thread(
            screen.notify, f"report of campaign {campaign_id}: {written.path} "
            f"({written.size / 1024:,.0f} KiB)", title="Report", timeout=8,
        )  # fmt: skip

    def answered(text: str | None) -> None:
        if text:
            path = str(Path(text.strip()).expanduser())
            screen.notify(f"writing the report of campaign {campaign_id}…", timeout=3)
            screen.run_worker(lambda: write(path), thread=True, group="report",
                              exit_on_error=False)  # fmt: skip

    screen.app.push_screen(
        PromptScreen(f"HTML report of campaign {campaign_id}",
                     value=default_path(db_path, campaign_id), validate=check),
        answered,
    )  # fmt: skip
