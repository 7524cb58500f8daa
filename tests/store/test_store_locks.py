"""Opening the store again in a process that holds a connection must keep that connection's
locks: if they were dropped, another process would take the write-ahead log for its own,
delete it on close, and never see the first connection's later commits."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from pimp_tui.store.db import open_store

COUNT = (
    "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
    "print(c.execute('SELECT COUNT(*) FROM feature_models').fetchone()[0]); c.close()"
)


def _seen_by_another_process(path: Path) -> int:
    done = subprocess.run([sys.executable, "-c", COUNT, str(path)], capture_output=True,
                          text=True, check=True, timeout=60)  # fmt: skip
    return int(done.stdout)


def test_commits_stay_visible_to_other_processes_after_a_second_open(tmp_path: Path) -> None:
    path = tmp_path / "pimp.db"
    first = open_store(path)
    open_store(path).conn.close()  # e.g. a heartbeat thread opening its own connection
    for expected in (1, 2, 3):
        with first.conn:
            first.conn.execute(
                "INSERT INTO feature_models (name, uvl) VALUES (?, 'features')", [str(expected)]
            )
        assert _seen_by_another_process(path) == expected
    first.conn.close()
