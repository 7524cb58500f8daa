"""Training data from the store: one row per measured configuration (its finished runs'
repetitions averaged), with the feature model the campaign sampled from."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from pimp_tui.errors import PimpError

NON_TARGETS = {
    "memory_source", "sensor", "energy_method", "power_source", "settings", "versions",
    "short_window", "prefill_short_window", "requests", "correct",
}  # fmt: skip


@dataclass
class CampaignData:
    configs: list[dict[str, Any]]
    y: list[float]
    target: str
    model_id: int | None
    source: str


BOUNDED_TARGETS = {"accuracy": (0.0, 1.0)}
"""Targets that are proportions: predicted inside their bounds, scored without MAPE."""


def target_bounds(target: str) -> tuple[float, float] | None:
    return BOUNDED_TARGETS.get(target)


def numeric_targets() -> list[str]:
    from pimp_tui.store.campaigns import METRIC_COLUMNS

    return [c for c in METRIC_COLUMNS if c not in NON_TARGETS]


def campaign_data(
    db: sqlite_utils.Database, target: str, campaign_id: int | None = None
) -> CampaignData:
    """Finished runs of one campaign (or of all), averaged per configuration."""
    if target not in numeric_targets():
        raise PimpError(f"unknown target {target!r}: one of {', '.join(numeric_targets())}")
    where = f"r.status = 'done' AND r.{target} IS NOT NULL"
    args: list[Any] = []
    if campaign_id is not None:
        where += " AND r.campaign_id = ?"
        args.append(campaign_id)
    rows = db.query(
        f"""SELECT r.configuration_id AS cid, c.config, r.{target} AS y, s.model_id
            FROM runs r JOIN configurations c ON c.id = r.configuration_id
                        JOIN campaigns ca ON ca.id = r.campaign_id
                        JOIN samples s ON s.id = ca.sample_id
            WHERE {where} ORDER BY r.configuration_id""",
        args,
    )
    groups: dict[int, tuple[dict, list[float], int]] = {}
    for row in rows:
        entry = groups.setdefault(row["cid"], (json.loads(row["config"]), [], row["model_id"]))
        entry[1].append(float(row["y"]))
    if not groups:
        scope = f"campaign {campaign_id}" if campaign_id is not None else "the store"
        raise PimpError(f"no finished run with a {target} value in {scope}")
    model_ids = {m for _, _, m in groups.values()}
    configs = [c for c, _, _ in groups.values()]
    y = [sum(v) / len(v) for _, v, _ in groups.values()]
    source = f"campaign:{campaign_id}" if campaign_id is not None else "campaigns"
    return CampaignData(
        configs, y, target, model_ids.pop() if len(model_ids) == 1 else None, source
    )
