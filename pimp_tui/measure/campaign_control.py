"""How a running campaign is controlled from outside and shows it is alive: any process asks
for pause, cancel or stop through the store (`store.control`) and the loop reads it at most
every CONTROL_EVERY_S, with this process's own pause and cancel events; a heartbeat thread keeps
the campaign's `heartbeat_at` fresh; stop now raises StopNow at the next generation step."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from pimp_tui.store import campaigns as store
from pimp_tui.store import control
from pimp_tui.store.db import open_store

HEARTBEAT_EVERY_S = 5.0
CONTROL_EVERY_S = 0.5
"""How often the loop reads its control state and writes live power while it works."""


class Heartbeat:
    """A thread with its own connection that keeps `heartbeat_at` fresh while the campaign
    runs, model loads and long generation steps included."""

    def __init__(self, db_path: str | Path, campaign_id: int) -> None:
        self.db_path, self.id = db_path, campaign_id
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._beat, name="pimp-heartbeat", daemon=True)

    def _beat(self) -> None:
        db = open_store(self.db_path)
        try:
            while not self.stop.wait(HEARTBEAT_EVERY_S):
                store.heartbeat(db, self.id)
        finally:
            db.conn.close()

    def __enter__(self) -> Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()


class StopNow(BaseException):
    """Raised at a generation step when 'stop' is asked: the run in flight is abandoned (a
    BaseException, so the runner does not record it as a failed run)."""


class ControlPoll:
    """The control state of one campaign as its loop sees it: `pause` and `cancel` set in this
    process, or `control` ('pause', 'cancel' or 'stop') asked by any process through the store."""

    def __init__(
        self,
        db: Any,
        campaign_id: int,
        pause: threading.Event | None,
        cancel: threading.Event | None,
    ) -> None:
        self.db, self.id = db, campaign_id
        self.pause = pause or threading.Event()
        self.cancel = cancel or threading.Event()
        self.control: str | None = None
        self.last_control = 0.0

    def _stopping(self) -> bool:
        return self.pause.is_set() or self._cancelled() or self.control is not None

    def _cancelled(self) -> bool:
        return self.cancel.is_set() or self.control == "cancel"

    def _check_control(self, force: bool = False) -> None:
        """Read what other processes ask, at most every CONTROL_EVERY_S (always when
        `force`)."""
        now = time.monotonic()
        if force or now - self.last_control >= CONTROL_EVERY_S:
            self.last_control = now
            self.control = control.requested(self.db, self.id)
