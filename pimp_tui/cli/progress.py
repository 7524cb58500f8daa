"""Running a campaign in this process with honest progress on stderr.

Every finished run gets one line, flushed at once, so a log file or `nohup.out` grows while the
campaign runs: `[12/39] run 57 cfg 7 rep 1 done 3.2 s 41.7 J acc 0.67 · ETA 0:05:48` or
`[13/39] run 58 cfg 2 rep 3 failed: <error>`; a summary line ends it. On a terminal a progress
bar sits below those lines. The ETA is the campaign's own (`measure.eta`), the one the
workbench shows.
"""

from __future__ import annotations

import sys
import time
from typing import IO, Any

from pimp_tui.services.campaigns import CampaignProgress, RunFinished, RunStarted
from pimp_tui.services.campaigns import format_duration as duration


def run_line(event: RunFinished, finished: int, total: int, eta_s: float | None) -> str:
    """The line a finished run gets in the log and above the bar."""
    head = (
        f"[{finished}/{total}] run {event.run_id} cfg {event.configuration_id} "
        f"rep {event.repetition + 1}"
    )
    if event.status != "done":
        return f"{head} failed: {event.error}"
    metrics = event.metrics
    parts = [head, "done"]
    if metrics.get("latency_s") is not None:
        parts.append(f"{metrics['latency_s']:.1f} s")
    energy = metrics.get("energy_j")
    parts.append("energy n/a (short window)" if energy is None else f"{energy:.1f} J")
    if metrics.get("accuracy") is not None:
        parts.append(f"acc {metrics['accuracy']:.2f}")
    line = " ".join(parts)
    return f"{line} · ETA {duration(eta_s)}" if finished < total else line


class ProgressReport:
    """Turns campaign events into lines (and a bar on a terminal)."""

    def __init__(self, campaign_id: int, stream: IO[str] | None = None) -> None:
        self.id = campaign_id
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.progress: Any = None
        self.bar: Any = None
        self.finished: RunFinished | None = None
        self.started = time.monotonic()
        self.runs_here = 0

    def __enter__(self) -> ProgressReport:
        return self

    def _show_bar(self) -> None:
        """On a terminal, the bar appears once this process holds the campaign and runs it."""
        if self.tty and self.progress is None:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            columns = (
                TextColumn(f"campaign {self.id}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[failed]} failed  ETA {task.fields[eta]}"),
            )
            console = Console(file=self.stream)
            self.progress = Progress(*columns, console=console, transient=False)
            self.progress.__enter__()
            self.bar = self.progress.add_task("runs", total=None, failed=0, eta="-")

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.__exit__(*exc)

    def say(self, text: str) -> None:
        if self.progress is not None:
            self.progress.console.print(text, markup=False, highlight=False, soft_wrap=True)
        else:
            print(text, file=self.stream, flush=True)

    def on_event(self, event: object) -> None:
        if isinstance(event, RunStarted) and self.progress is not None:
            self.progress.refresh()
        elif isinstance(event, RunFinished):
            self.finished = event
            self.runs_here += 1
        elif isinstance(event, CampaignProgress):
            self._show_bar()
            if self.progress is not None:
                self.progress.update(
                    self.bar, total=event.total, completed=event.done + event.failed,
                    failed=event.failed, eta=duration(event.eta_s),
                )  # fmt: skip
            if self.finished is not None:
                count = event.done + event.failed
                self.say(run_line(self.finished, count, event.total, event.eta_s))
                self.finished = None

    def summary(self, status: str, camp: dict[str, Any]) -> str:
        spent = duration(time.monotonic() - self.started)
        line = (
            f"campaign {self.id}: {status} · {camp['done'] + camp['failed']}/{camp['total']} "
            f"runs finished ({camp['done']} done, {camp['failed']} failed), {self.runs_here} "
            f"in this process in {spent}"
        )
        if status == "failed" and camp["failed"] and not camp["done"] and camp.get("error"):
            line += f" · every run failed; the first: {camp['error']}"
        elif camp.get("error"):
            line += f" · {camp['error']}"
        return line


def run_with_progress(
    db_path: str, campaign_id: int, stream: IO[str] | None = None, withdraw: bool = False
) -> int:
    """Run (or resume, withdrawing an earlier pause or stop request when `withdraw`) a campaign
    here; 0 when it ends done, 1 otherwise."""
    from pimp_tui.services.campaigns import campaign, run_here

    interrupted = False
    with ProgressReport(campaign_id, stream) as report:
        try:
            status = run_here(
                db_path, campaign_id, withdraw=withdraw, on_event=report.on_event,
                notify=report.say,
            )  # fmt: skip
        except KeyboardInterrupt:
            status, interrupted = "paused (interrupted)", True
    camp = campaign(db_path, campaign_id)
    report.say(report.summary(status, camp))
    if interrupted:
        raise KeyboardInterrupt
    return 0 if status == "done" else 1
