"""Several threads opening a fresh store at once (the TUI's workers at first start) migrate it
exactly once."""

from __future__ import annotations

import threading

from pimp_tui.store.db import SCHEMA_VERSION, open_store


def test_concurrent_first_opens_migrate_once(tmp_path):
    for trial in range(5):
        path = tmp_path / f"{trial}.db"
        barrier, errors = threading.Barrier(4), []

        def open_it(path=path, barrier=barrier, errors=errors) -> None:
            barrier.wait()
            try:
                open_store(path).conn.close()
            except Exception as exc:  # collected: the assertion below names them
                errors.append(exc)

        threads = [threading.Thread(target=open_it) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        db = open_store(path)
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        db.conn.close()
