"""The measured dataset use case: which runs a predictor learns from, and how they are grouped
and averaged. The CLI and the workbench both ask it, with the same request, so the same store
gives both the same rows.

Rows are grouped by the configuration a run ran with (its effective configuration, after
every override) and its context (model, task, device, hardware): runs of different contexts are
never averaged together. Which context to learn from is explicit: the request names it
(`llm`, `task`, `device`), or else the newest campaign's is taken and the result says which
and what was left out; `mix` learns across contexts instead, and then the context columns that
vary become features.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pimp_tui.errors import PimpError
from pimp_tui.services import open_db

CONTEXT = ("llm", "task", "device", "hardware")


@dataclass(frozen=True)
class DatasetRequest:
    """Which runs to learn from. None: no restriction (one context is still chosen unless
    `mix`)."""

    campaign: int | None = None
    llm: str | None = None
    task: str | None = None
    device: str | None = None
    mix: bool = False
    """Learn across models, tasks and devices: their columns become features."""
    average: bool = True
    """One row per configuration and context (repetitions averaged); False: one per run."""
    hardware: str | None = None
    """Only runs on this GPU or CPU model (the `hardware` column)."""

    def source(self) -> str:
        """How a stored predictor names its data ('campaign:ID' or 'campaigns', then any
        choice: 'campaigns;llm=smollm2;mix')."""
        parts = [f"campaign:{self.campaign}" if self.campaign is not None else "campaigns"]
        parts += [f"{k}={getattr(self, k)}" for k in ("llm", "task", "device", "hardware")
                  if getattr(self, k) is not None]  # fmt: skip
        parts += ["mix"] if self.mix else []
        parts += ["runs"] if not self.average else []
        return ";".join(parts)

    @classmethod
    def from_source(cls, source: str) -> DatasetRequest:
        head, *choices = source.split(";")
        kind, _, number = head.partition(":")
        if kind not in ("campaign", "campaigns"):
            raise PimpError(f"not a store dataset: {source!r}")
        values: dict[str, Any] = {"campaign": int(number) if number else None}
        for choice in choices:
            key, sep, value = choice.partition("=")
            if sep:
                values[key] = value
            elif key == "mix":
                values["mix"] = True
            elif key == "runs":
                values["average"] = False
        return cls(**values)


@dataclass
class Dataset:
    """Rows to learn from: each a configuration (feature -> value) with its metrics."""

    features: list[str]
    configs: list[dict[str, Any]]
    targets: dict[str, list[float | None]]
    model_id: int | None = None
    """The feature model of the newest campaign among the rows."""
    contexts: list[dict[str, Any]] = field(default_factory=list)
    """The contexts (model, task, device, hardware) the rows come from."""
    note: str | None = None
    """What the choice of context left out, said to the user."""
    runs: int = 0

    def rows(self, target: str) -> tuple[list[dict[str, Any]], list[float]]:
        """The configurations that have a value of `target`, and those values."""
        pairs = [(c, y) for c, y in zip(self.configs, self.targets[target], strict=True)
                 if y is not None]  # fmt: skip
        return [c for c, _ in pairs], [float(y) for _, y in pairs]


def numeric_targets() -> list[str]:
    from pimp_tui.predict.data import numeric_targets as targets

    return targets()


def load_dataset(db_path: str | Path, request: DatasetRequest | None = None) -> Dataset:
    """The rows `request` asks for (default: every campaign, the newest one's context)."""
    from pimp_tui.store.dataset import runs_frame, settings_columns

    request = request or DatasetRequest()
    db = open_db(db_path)
    try:
        frame = runs_frame(db, request.campaign)
    finally:
        db.close()
    rows = frame.to_dicts()
    for key in ("llm", "task", "device", "hardware"):
        wanted = getattr(request, key)
        if wanted is not None:
            rows = [r for r in rows if r.get(key) == wanted]
    settings = settings_columns(frame)
    contexts = _contexts(rows)
    note = None
    if len(contexts) > 1 and not request.mix:
        newest = max(rows, key=lambda r: r["campaign_id"])
        chosen = _context_of(newest)
        rows = [r for r in rows if _context_of(r) == chosen]
        note = (
            f"learning from the runs of {_label(chosen)}; {len(contexts) - 1} other context(s) "
            "left out (choose with llm, task, device, or mix them)"
        )
        contexts = [dict(zip(CONTEXT, chosen, strict=True))]
    features = [c[7:] if c.startswith("config.") else c for c in settings]
    if request.mix:
        features += [k for k in CONTEXT if len({r.get(k) for r in rows}) > 1]
    groups: dict[str, list[dict[str, Any]]] = {}
    for index, row in enumerate(rows):
        config = {f: row.get(c) for f, c in zip(features, [*settings, *features[len(settings):]],
                                                strict=True)}  # fmt: skip
        key = json.dumps([config, _context_of(row)], sort_keys=True, default=str)
        groups.setdefault(key if request.average else str(index), []).append({**row, **config})
    targets = numeric_targets()
    configs: list[dict[str, Any]] = []
    values: dict[str, list[float | None]] = {t: [] for t in targets}
    for group in groups.values():
        configs.append({f: group[0].get(f) for f in features})
        for target in targets:
            found = [r[target] for r in group if isinstance(r.get(target), int | float)]
            values[target].append(sum(found) / len(found) if found else None)
    model_id = max(rows, key=lambda r: r["campaign_id"])["model_id"] if rows else None
    return Dataset(features, configs, values, model_id, contexts, note, len(rows))


def _context_of(row: dict[str, Any]) -> tuple:
    return tuple(row.get(k) for k in CONTEXT)


def _contexts(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen = dict.fromkeys(_context_of(r) for r in rows)
    return [dict(zip(CONTEXT, c, strict=True)) for c in seen]


def _label(context: tuple) -> str:
    return " · ".join(str(v) for v in context if v is not None) or "unknown context"


@dataclass
class Front:
    """Measured configurations on the Pareto front of two or three targets."""

    targets: list[str]
    points: list[dict[str, Any]]
    """Each: the targets' values and the configuration."""
    measured: int


def measured_front(
    db_path: str | Path, targets: list[str], maximise: set[str], request: DatasetRequest
) -> Front:
    """The non-dominated measured configurations (rows that have every target)."""
    import numpy as np

    from pimp_tui.predict.pareto import pareto_front

    if not 2 <= len(targets) <= 3:
        raise PimpError("--targets: two or three targets")
    unknown = [t for t in targets if t not in numeric_targets()]
    if unknown:
        raise PimpError(f"unknown target {unknown[0]!r}: one of {', '.join(numeric_targets())}")
    data = load_dataset(db_path, request)
    rows = [(c, [data.targets[t][i] for t in targets]) for i, c in enumerate(data.configs)]
    rows = [(c, v) for c, v in rows if all(x is not None for x in v)]
    points = np.array([v for _, v in rows], dtype=float)
    front = pareto_front(points, [t in maximise for t in targets]) if rows else []
    return Front(
        targets,
        [{**dict(zip(targets, map(float, points[i]), strict=True)), "configuration": rows[i][0]}
         for i in front],
        len(rows),
    )  # fmt: skip


ENERGY_TARGETS = ("energy_j", "energy_net_j", "energy_per_request_j")


def energy_model(db_path: str | Path, target: str, campaign: int | None) -> dict[str, Any]:
    """The analytical energy model E(n_in, n_out) fitted to the finished runs, with the sweet
    spot of every input length measured."""
    from pimp_tui.predict.analytical import fit_energy_model
    from pimp_tui.store.dataset import runs_frame

    if target not in ENERGY_TARGETS:
        raise PimpError("--target: " + ", ".join(ENERGY_TARGETS[:-1]) + f" or {ENERGY_TARGETS[-1]}")
    db = open_db(db_path)
    try:
        frame = runs_frame(db, campaign)
    finally:
        db.close()
    rows = [r for r in frame.to_dicts() if None not in
            (r.get("input_tokens"), r.get("output_tokens"), r.get(target))]  # fmt: skip
    if not rows:
        raise PimpError(f"no finished run with input and output tokens and {target}")
    fit = fit_energy_model([r["input_tokens"] for r in rows], [r["output_tokens"] for r in rows],
                           [r[target] for r in rows])  # fmt: skip
    longest = max(r["output_tokens"] for r in rows)
    spots = {int(n): fit.sweet_spot(n, longest) for n in sorted({r["input_tokens"] for r in rows})}
    return {**fit.as_dict(), "sweet_spots": spots}
