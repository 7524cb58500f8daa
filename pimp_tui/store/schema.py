"""The store's schema as an ordered list of migrations; PRAGMA user_version records the last one
applied. Never edit a migration that has shipped: append a new one."""

from __future__ import annotations

MIGRATIONS: list[tuple[int, str]] = [
    (
        1,
        """
        CREATE TABLE feature_models (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            uvl TEXT NOT NULL,              -- the model, written as UVL
            path TEXT,                      -- where it was read from, if anywhere
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        );
        CREATE TABLE samples (
            id INTEGER PRIMARY KEY,
            model_id INTEGER NOT NULL REFERENCES feature_models(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            algorithm TEXT NOT NULL,
            params TEXT NOT NULL DEFAULT '{}',   -- JSON: t, size, seed, time budget, ...
            coverage TEXT,                       -- JSON: {"t": 2, "covered": .., "valid": ..}
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
            UNIQUE (model_id, name)
        );
        CREATE TABLE configurations (
            id INTEGER PRIMARY KEY,
            sample_id INTEGER NOT NULL REFERENCES samples(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            config TEXT NOT NULL,                -- JSON: feature name -> value (null: deselected)
            UNIQUE (sample_id, position)
        );
        """,
    ),
]
