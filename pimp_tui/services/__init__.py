"""Thin façades the screens call from their workers; no Textual here, no widgets."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any


def open_db(path: str | Path) -> Any:
    """The store, imported on first use: sqlite-utils is not needed for the first frame."""
    from pimp_tui.store.db import open_store

    return open_store(path)


def store_failure(exc: sqlite3.Error, path: str | Path) -> Any:
    """A PimpError saying why the store at `path` failed (read-only, damaged, locked, full),
    or None when `exc` is not about the store's environment."""
    from pimp_tui.store.db import environment_failure

    return environment_failure(exc, path)
