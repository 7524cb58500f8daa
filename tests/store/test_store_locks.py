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


def test_a_new_store_opened_by_several_connections_at_once_is_never_taken_for_a_foreign_file(
    tmp_path: Path,
) -> None:
    """While one connection migrates a new store, others opening it see either the store before
    a migration or after it, never a version from one and tables from another."""
    from concurrent.futures import ThreadPoolExecutor

    for attempt in range(6):
        path = tmp_path / f"pimp{attempt}.db"

        def open_and_close(path: Path) -> str:
            try:
                open_store(path).close()
                return "ok"
            except Exception as exc:  # the message is what the test reports
                return str(exc)

        with ThreadPoolExecutor(8) as pool:
            outcomes = list(pool.map(open_and_close, [path] * 8))
        assert outcomes == ["ok"] * 8
