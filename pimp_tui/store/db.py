"""Opening the store: one SQLite file in WAL mode, migrated to the current schema on open.

Each thread that writes opens its own connection (SQLite connections are not shared across
threads); WAL lets the UI read while a campaign writes.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import sqlite_utils

from pimp_tui.errors import PimpError
from pimp_tui.store.schema import MIGRATIONS

SCHEMA_VERSION = MIGRATIONS[-1][0]


def open_store(path: str | Path) -> sqlite_utils.Database:
    """Open (creating if needed) and migrate the store at `path`."""
    try:
        conn = sqlite3.connect(str(path), timeout=30, check_same_thread=False)
        _enable_wal(conn)
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA busy_timeout=30000")
        migrate(conn)
    except sqlite3.DatabaseError as exc:
        raise PimpError(f"{path}: not a usable pimp store ({exc})") from exc
    return sqlite_utils.Database(conn)


def _enable_wal(conn: sqlite3.Connection, wait_s: float = 30.0) -> None:
    """Switch to WAL, retrying: on a new file, connections opened at the same moment race for
    the switch, and SQLite answers 'database is locked' without waiting."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def migrate(conn: sqlite3.Connection) -> None:
    """Apply every migration newer than the file's user_version, each in one transaction."""
    current = conn.execute("PRAGMA user_version").fetchone()[0]
    if current > SCHEMA_VERSION:
        raise PimpError(
            f"store schema version {current} is newer than this pimp ({SCHEMA_VERSION}): "
            "upgrade pimp"
        )
    for version, script in MIGRATIONS:
        if version <= current:
            continue
        conn.execute("BEGIN IMMEDIATE")
        # Another connection may have migrated while this one waited for the write lock.
        if conn.execute("PRAGMA user_version").fetchone()[0] >= version:
            conn.execute("COMMIT")
            continue
        try:
            # Statement by statement: executescript() would commit our transaction early.
            for statement in _statements(script):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {version}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise


def _statements(script: str) -> list[str]:
    statements, buffer = [], ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements
