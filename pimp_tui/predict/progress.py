"""Progress and cancellation of long learning actions (train, score, curve, importance,
recommend), one type for the workbench and the CLI: the action names its stages with rough
weights, each stage says how many steps it takes, and every step reports a `Progress` (stage,
share done, ETA) and raises `Cancelled` once the user has asked to stop."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from pimp_tui.errors import PimpError


@dataclass(frozen=True)
class Progress:
    stage: str
    fraction: float
    """Share of the whole action done, 0..1."""
    elapsed_s: float
    eta_s: float | None
    """Seconds left at the pace so far; None before the first step."""

    def __str__(self) -> str:
        eta = "ETA …" if self.eta_s is None else f"ETA {_duration(self.eta_s)}"
        return f"{self.stage} · {100 * self.fraction:.0f}% · {eta}"


ProgressCallback = Callable[[Progress], None]


class Cancelled(PimpError):
    """The user stopped the action; nothing it would have produced is kept."""

    def __init__(self) -> None:
        super().__init__("cancelled")


class Tracker:
    """Counts the steps of an action's stages. `stages` maps each stage name to its rough share
    of the work (a stage not named there moves nothing); `cancelled` is polled at every step."""

    def __init__(
        self,
        stages: Mapping[str, float] | None = None,
        report: ProgressCallback | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> None:
        self.weights = dict(stages or {})
        self.total = sum(self.weights.values()) or 1.0
        self.report, self.cancelled = report, cancelled
        self.finished = 0.0
        self.current = ""
        self.steps, self.done = 1, 0
        self.start = time.monotonic()

    def stage(self, name: str, steps: int = 1) -> None:
        """Enter stage `name`, which will take `steps` steps."""
        if self.current:
            self.finished += self.weights.get(self.current, 0.0)
        self.current, self.steps, self.done = name, max(steps, 1), 0
        self._emit()

    def plan(self, steps: int) -> None:
        """The current stage turns out to take `steps` steps (counted from now)."""
        self.steps, self.done = max(steps, 1), 0

    def step(self, count: int = 1) -> None:
        self.done = min(self.done + count, self.steps)
        self._emit()

    def check(self) -> None:
        if self.cancelled is not None and self.cancelled():
            raise Cancelled()

    @property
    def fraction(self) -> float:
        current = self.weights.get(self.current, 0.0) * self.done / self.steps
        return min((self.finished + current) / self.total, 1.0)

    def _emit(self) -> None:
        self.check()
        if self.report is None:
            return
        elapsed = time.monotonic() - self.start
        fraction = self.fraction
        eta = elapsed * (1.0 - fraction) / fraction if fraction > 0 else None
        self.report(Progress(self.current, fraction, elapsed, eta))


def _duration(seconds: float) -> str:
    seconds = max(seconds, 0.0)
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min"
