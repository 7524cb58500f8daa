"""A campaign's finished runs as per-request figures, grouped by configuration (its settings
without the lengths): what every per-request model and the phase table read."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from pimp_tui.errors import PimpError
from pimp_tui.store.campaigns import RUN_KEYS

LENGTH_KEYS = ("input_length", "output_length")
METRICS = ("energy_j", "busy_s", "latency_s")
"""Per-request figures: energy, machine time (the run's time shared by its requests), and
request latency (the time of the batch that served it)."""


@dataclass(frozen=True)
class Group:
    """One configuration of a lengths campaign: its settings without the lengths."""

    key: str
    config: dict[str, Any]
    label: str


RUN_FIELDS = frozenset(RUN_KEYS)


def campaign_runs(db: Any, campaign_id: int) -> tuple[pl.DataFrame, list[Group]]:
    """A campaign's finished runs with their per-request figures, and its configurations.

    Lengths come from the `lengths` grid columns where the campaign has them, else from each
    run's mean input and output tokens per request (any campaign can price a trace)."""
    from pimp_tui.store.campaigns import METRIC_COLUMNS, get_campaign, runs_rows

    get_campaign(db, campaign_id)
    rows = runs_rows(db, campaign_id)
    metrics = set(METRIC_COLUMNS)
    configs, records = [], []
    for row in rows:
        config = {
            (k[7:] if k.startswith("config.") else k): v
            for k, v in row.items()
            if k not in RUN_FIELDS and k not in metrics
        }
        configs.append(config)
        if row["status"] != "done" or not row.get("requests"):
            continue
        used = json.loads(row.get("settings") or "{}")
        requests = row["requests"]
        records.append(
            {
                "group": group_key(config),
                "configuration_id": row["configuration_id"],
                "input_length": config.get("input_length") or row["input_tokens"] / requests,
                "output_length": config.get("output_length") or row["output_tokens"] / requests,
                "batch_size": int(used.get("batch_size") or config.get("batch_size") or 1),
                "requests": requests,
                "energy_j": row["energy_j"],
                "energy_per_token_j": row["energy_per_token_j"],
                "latency_s": row["latency_s"],
                "accuracy": row["accuracy"],
                "prefill_energy_j": row.get("prefill_energy_j"),
                "decode_energy_j": row.get("decode_energy_j"),
            }
        )
    if not records:
        raise PimpError(f"campaign {campaign_id} has no finished runs to learn from")
    frame = pl.DataFrame(records, infer_schema_length=None, strict=False)
    frame = frame.with_columns(pl.col("input_length", "output_length").cast(pl.Float64))
    measured = set(frame["group"].to_list())
    groups = [g for g in groups_of(configs) if g.key in measured]
    return request_figures(frame), groups


def groups_of(configs: Sequence[Mapping[str, Any]]) -> list[Group]:
    """Distinct configurations (lengths left out), labelled by the settings that vary."""
    distinct: dict[str, dict[str, Any]] = {}
    for config in configs:
        settings = {k: v for k, v in config.items() if k not in LENGTH_KEYS}
        distinct.setdefault(group_key(settings), settings)
    keys = sorted({k for settings in distinct.values() for k in settings})
    varying = [
        k
        for k in keys
        if len({json.dumps(c.get(k), sort_keys=True, default=str) for c in distinct.values()}) > 1
    ]
    groups = []
    for number, (key, settings) in enumerate(distinct.items(), start=1):
        parts = [f"{k}={settings.get(k)}" for k in varying]
        groups.append(Group(key, settings, " ".join(parts) or f"#{number}"))
    return groups


def group_key(config: Mapping[str, Any]) -> str:
    settings = {k: v for k, v in config.items() if k not in LENGTH_KEYS}
    return json.dumps(settings, sort_keys=True, default=str)


def request_figures(runs: pl.DataFrame) -> pl.DataFrame:
    """Per-request figures of finished runs: energy_j, busy_s and latency_s per request."""
    batches = (pl.col("requests") / pl.col("batch_size").fill_null(1).clip(1, None)).ceil()
    return runs.filter(pl.col("energy_j").is_not_null() & (pl.col("requests") > 0)).with_columns(
        (pl.col("energy_j") / pl.col("requests")).alias("energy_j"),
        (pl.col("latency_s") / pl.col("requests")).alias("busy_s"),
        (pl.col("latency_s") / batches).alias("latency_s"),
    )


def accuracy_by_group(runs: pl.DataFrame) -> dict[str, float | None]:
    """Mean measured accuracy of each configuration's runs (None where not scored)."""
    means = runs.group_by("group").agg(pl.col("accuracy").cast(pl.Float64).mean())
    return dict(means.iter_rows())


def phase_table(runs: pl.DataFrame, groups: Sequence[Group]) -> pl.DataFrame:
    """Per configuration, prefill and decode energy per request and per output token (runs
    measured with the prefill split): where lower precision or larger batches pay off."""
    split = runs.filter(pl.col("prefill_energy_j").is_not_null())
    if split.is_empty():
        raise PimpError("no run of this campaign has a prefill/decode split (measure with "
                        "--prefill-split, or the lengths task)")  # fmt: skip
    labels = pl.DataFrame(
        {"group": [g.key for g in groups], "configuration": [g.label for g in groups]}
    )
    table = (
        split.with_columns(
            (pl.col("prefill_energy_j") / pl.col("requests")).alias("prefill_j_per_request"),
            (pl.col("decode_energy_j") / pl.col("requests")).alias("decode_j_per_request"),
            (pl.col("decode_energy_j") / (pl.col("requests") * pl.col("output_length"))).alias(
                "decode_j_per_token"
            ),
            (
                pl.col("prefill_energy_j")
                / (pl.col("prefill_energy_j") + pl.col("decode_energy_j"))
            ).alias("prefill_share"),
        )
        .group_by("group")
        .agg(
            pl.len().alias("runs"),
            pl.col("batch_size").first(),
            pl.col("prefill_j_per_request").mean(),
            pl.col("decode_j_per_request").mean(),
            pl.col("decode_j_per_token").mean(),
            pl.col("prefill_share").mean(),
        )
    )
    return labels.join(table, on="group").drop("group").sort("decode_j_per_token")
