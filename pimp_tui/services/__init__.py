"""Thin façades the screens call from their workers; no Textual here, no widgets."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def open_db(path: str | Path) -> Any:
    """The store, imported on first use: sqlite-utils is not needed for the first frame."""
    from pimp_tui.store.db import open_store

    return open_store(path)
