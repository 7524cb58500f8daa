"""Opening the store: one SQLite file in WAL mode, migrated to the current schema on open.

Each thread that writes opens its own connection (SQLite connections are not shared across
threads); WAL lets the UI read while a campaign writes.

Before anything is written, an existing file is inspected through a read-only connection: a
file that is not SQLite, is damaged, or holds tables that are not this schema's (another
program's database, a table of ours altered) is refused and left byte-for-byte as it was. A
store pimp may not write is opened read-only, so reading it still works.
"""

from __future__ import annotations

import functools
import os
import sqlite3
import time
from pathlib import Path
from urllib.parse import quote

import sqlite_utils

from pimp_tui.errors import PimpError
from pimp_tui.store.schema import MIGRATIONS

SCHEMA_VERSION = MIGRATIONS[-1][0]
QUICK_CHECK_MAX_BYTES = 64 * 2**20
"""Stores up to this size get `PRAGMA quick_check` on open (about 0.15 s at the limit)."""


class StoreFailure(PimpError):
    """The store cannot be used as asked (damaged, read-only, locked): not a usage error."""

    exit_code = 1


def open_store(path: str | Path, *, for_writing: bool = False) -> sqlite_utils.Database:
    """Open (creating if needed) and migrate the store at `path`; read-only when pimp may not
    write it, unless the caller is about to write (`for_writing`): then that fails at once."""
    path = _store_path(path)
    version = _inspect(path) if path.is_file() and path.stat().st_size > 0 else 0
    if not _writable(path):
        if for_writing:
            raise StoreFailure(
                f"{path}: the store is read-only: make it and its folder writable, or give "
                "another --db"
            )
        return sqlite_utils.Database(_open_read_only(path, version))
    try:
        conn = sqlite3.connect(str(path), timeout=30, check_same_thread=False)
        _enable_wal(conn)
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA busy_timeout=30000")
        migrate(conn)
    except sqlite3.DatabaseError as exc:
        raise describe_failure(exc, path) from None
    return sqlite_utils.Database(conn)


def _store_path(path: str | Path) -> Path:
    text = str(path)
    if text.strip() == "":
        raise PimpError("the store path is empty (--db or PIMP_DB): give a file, e.g. pimp.db")
    if text == ":memory:":
        raise PimpError("--db :memory: would keep nothing: give a file, e.g. pimp.db")
    store = Path(text)
    if store.is_dir():
        raise PimpError(f"{store}: is a folder, not a store file: give e.g. {store}/pimp.db")
    if not store.absolute().parent.is_dir():
        raise PimpError(f"{store}: no folder {store.absolute().parent}: create it first")
    return store


def _inspect(path: Path) -> int:
    """Check an existing file without writing to it; its schema version if it is a store.

    The file is only ever opened through SQLite: closing any other descriptor of it would drop
    the locks this process's connections hold on it, and let another process delete the
    write-ahead log under them."""
    conn = _connect_read_only(path)
    try:
        try:
            pages = conn.execute("PRAGMA page_count").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            if "not a database" not in str(exc):
                raise
            pages = 0
        if pages == 0:  # SQLite reads a few bytes that are no database as an empty one
            raise PimpError(f"{path}: not a SQLite file, so not a pimp store: give another --db")
        # One snapshot for the version and the tables: another process may be migrating
        # this store right now, and a version read before its commit with tables read after
        # would look like a store altered by someone else.
        conn.execute("BEGIN")
        if path.stat().st_size <= QUICK_CHECK_MAX_BYTES:
            problems = [row[0] for row in conn.execute("PRAGMA quick_check(3)")]
            if problems != ["ok"]:
                raise StoreFailure(
                    f"{path}: the store is damaged ({'; '.join(problems)}): restore it from a "
                    "copy (pimp leaves it as it is)"
                )
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise PimpError(
                f"{path}: store schema version {version} is newer than this pimp "
                f"({SCHEMA_VERSION}): upgrade pimp"
            )
        found = _tables(conn)
        conn.execute("ROLLBACK")
    except sqlite3.DatabaseError as exc:
        raise describe_failure(exc, path) from None
    finally:
        conn.close()
    expected = _expected_tables(version)
    if found != expected:
        raise PimpError(
            f"{path}: not a pimp store ({_difference(found, expected)}, at schema version "
            f"{version}): pimp wrote nothing to it; give another --db"
        )
    return version


def _tables(conn: sqlite3.Connection) -> dict[str, tuple[str, ...]]:
    """Each table, index, view and trigger of the file (SQLite's own tables, such as the
    statistics ANALYZE keeps, excepted), a table with its column names."""
    objects = conn.execute(
        "SELECT type, name FROM sqlite_master WHERE NOT (type = 'table' AND name LIKE 'sqlite^_%' "
        "ESCAPE '^')"
    ).fetchall()
    return {
        f"{kind} {name}": tuple(
            col[1] for col in conn.execute(f"PRAGMA table_info({_quoted(name)})")
        )
        if kind == "table"
        else ()
        for kind, name in objects
    }


def _difference(found: dict[str, tuple[str, ...]], expected: dict[str, tuple[str, ...]]) -> str:
    """The first way the file's schema differs from pimp's: a foreign object, an altered table,
    or a missing one."""
    foreign = sorted(set(found) - set(expected))
    altered = sorted(name for name in set(found) & set(expected) if found[name] != expected[name])
    missing = sorted(set(expected) - set(found))
    for names, what in ((foreign, "not pimp's"), (altered, "altered"), (missing, "missing")):
        if names:
            names.sort(key=lambda name: not name.startswith("table "))
            shown = ", ".join(names[:3]) + (" ..." if len(names) > 3 else "")
            return f"{shown}: {what}"
    return "schema differs"


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@functools.cache
def _expected_tables(version: int) -> dict[str, tuple[str, ...]]:
    """The schema objects a store at `version` has: the migrations up to it, applied in
    memory."""
    conn = sqlite3.connect(":memory:")
    try:
        for number, script in MIGRATIONS:
            if number <= version:
                conn.executescript(script)
        return _tables(conn)
    finally:
        conn.close()


def _writable(path: Path) -> bool:
    """Whether pimp may write the store: the file (if any) and its folder (WAL files live
    beside it)."""
    folder = path.absolute().parent
    if not os.access(folder, os.W_OK | os.X_OK):
        return False
    return not path.exists() or os.access(path, os.W_OK)


def _connect_read_only(path: Path) -> sqlite3.Connection:
    uri = f"file:{quote(str(path.absolute()))}?mode=ro"
    try:
        return sqlite3.connect(uri, uri=True, timeout=30, check_same_thread=False)
    except sqlite3.OperationalError:
        if _writable(path):
            raise
        # A WAL store in a read-only folder without its -shm file: nothing can be writing it
        # (a writer needs that folder), so it is read as an immutable file.
        return sqlite3.connect(uri + "&immutable=1", uri=True, check_same_thread=False)


def _open_read_only(path: Path, version: int) -> sqlite3.Connection:
    if not path.is_file() or path.stat().st_size == 0:
        raise StoreFailure(f"{path}: pimp may not write here, so cannot create a store there")
    if version < SCHEMA_VERSION:
        raise StoreFailure(
            f"{path}: the store is read-only and needs an upgrade (schema {version} to "
            f"{SCHEMA_VERSION}): make it writable once, or give another --db"
        )
    try:
        conn = _connect_read_only(path)
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=30000")
    except sqlite3.DatabaseError as exc:
        raise describe_failure(exc, path) from None
    return conn


def describe_failure(exc: sqlite3.Error, path: str | Path) -> PimpError:
    """One line a user can act on for an error SQLite raised while opening the store."""
    return environment_failure(exc, path) or StoreFailure(
        f"{path}: not a usable pimp store ({exc})"
    )


def environment_failure(exc: sqlite3.Error, path: str | Path) -> StoreFailure | None:
    """What the store's state did to a command (read-only, locked, damaged, disk full), in one
    line a user can act on; None for an error that is not the store's state (a bug)."""
    text = str(exc)
    if "readonly" in text or "read-only" in text:
        return StoreFailure(
            f"{path}: the store is read-only ({text}): reading works; to write, make it and "
            "its folder writable, or give another --db"
        )
    if "locked" in text or "busy" in text:
        return StoreFailure(f"{path}: the store is locked by another process: try again")
    if "malformed" in text or "not a database" in text or "corrupt" in text:
        return StoreFailure(
            f"{path}: the store is damaged ({text}): restore it from a copy "
            "(pimp leaves it as it is)"
        )
    if "full" in text or "disk I/O" in text:
        return StoreFailure(f"{path}: {text}: check the disk and try again")
    return None


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
