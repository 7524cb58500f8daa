"""The sampling pane's services: run a sampler, measure its coverage, store and export."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pimp_tui.sampling.registry import Drawn
from pimp_tui.services import open_db
from pimp_tui.variability.model import Configuration, FeatureModel


@dataclass
class SampleView:
    """A sample as the pane shows it."""

    algorithm: str
    params: dict[str, Any]
    configs: list[Configuration]
    coverage: dict[str, Any] | None = None
    lower_bound: int | None = None
    """t-wise: no full-coverage sample is smaller."""
    sample_id: int | None = None
    name: str = ""
    revision: int = -1
    """Workspace model revision it was made from (-1: loaded from the store)."""
    columns: list[str] = field(default_factory=list)
    host_fixes: list[str] = field(default_factory=list)
    """Constraints the host added before sampling, each with its reason."""


def fix_to_host(model: FeatureModel, host: str | None = "auto") -> tuple[FeatureModel, list]:
    """`model` restricted to what the host can run (`host`: auto, cpu, cuda, cuda:N or any),
    with the fixes and their reasons; a model without a Device part is returned as it is
    (and torch is not imported)."""
    from pimp_tui.measure import host as hosts

    if not hosts.has_device_part(model):
        return model, []
    return hosts.fix_to_host(model, hosts.host_from_spec(host))


def run_sampler(
    model: FeatureModel,
    algorithm: str,
    params: dict[str, Any],
    progress: Callable[..., None] | None = None,
) -> Drawn:
    from pimp_tui.sampling import draw

    return draw(model, algorithm, progress=progress, **params)


def coverage_of(model: FeatureModel, configs: list[Configuration], t: int) -> dict:
    """t-wise coverage as a JSON-able dict (what the store keeps)."""
    from pimp_tui.sampling.coverage import coverage

    return coverage(model, configs, t).as_dict()


def order_columns(model: FeatureModel, configs: list[Configuration]) -> list[str]:
    """Model order, features whose value varies across the sample first."""
    names = model.feature_names()
    varying = [n for n in names if len({repr(c.get(n)) for c in configs}) > 1]
    return varying + [n for n in names if n not in varying]


def store_model(db, model: FeatureModel, model_id: int | None, name: str) -> int:  # type: ignore[no-untyped-def]
    """The store id of this exact model: the known one, one with the same UVL text, or a new
    row named after the model (suffixed when the name is taken)."""
    from pimp_tui.store.samples import list_models, model_id_of_uvl, save_model
    from pimp_tui.variability.io import write_uvl

    if model_id is not None:
        return model_id
    known = model_id_of_uvl(db, write_uvl(model))
    if known is not None:
        return known
    base = name or model.root.name
    taken = {r["name"] for r in list_models(db)}
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    return save_model(db, model, name=candidate)


def store_sample(
    db_path: str | Path,
    model: FeatureModel,
    model_id: int | None,
    model_name: str,
    name: str,
    view: SampleView,
) -> tuple[int, int]:
    """Save the sample (and its model if needed); returns (sample id, model id)."""
    from pimp_tui.store.samples import save_sample

    db = open_db(db_path)
    try:
        model_id = store_model(db, model, model_id, model_name)
        params = {**view.params, "host": view.host_fixes} if view.host_fixes else view.params
        sample_id = save_sample(
            db,
            model_id,
            name,
            view.algorithm,
            params,
            view.configs,
            view.coverage,
            view.lower_bound,
        )
        return sample_id, model_id
    finally:
        db.close()


def stored_samples(db_path: str | Path) -> list[dict]:
    """Stored samples, newest first (id, name, algorithm, size, model...)."""
    from pimp_tui.store.samples import list_samples

    db = open_db(db_path)
    try:
        return list(reversed(list_samples(db)))
    finally:
        db.close()


def load_view(db_path: str | Path, sample_id: int) -> SampleView:
    from pimp_tui.store.samples import load_model_by_id, load_sample

    db = open_db(db_path)
    try:
        meta, configs = load_sample(db, sample_id)
        model = load_model_by_id(db, meta["model_id"])
    finally:
        db.close()
    params = meta.get("params") or {}
    if isinstance(params, str):
        params = json.loads(params)
    cov = meta.get("coverage")
    if isinstance(cov, str):
        cov = json.loads(cov)
    return SampleView(
        algorithm=meta.get("algorithm", "?"),
        params=params,
        configs=configs,
        coverage=cov,
        lower_bound=meta.get("lower_bound"),
        sample_id=sample_id,
        name=meta.get("name", ""),
        columns=order_columns(model, configs),
    )


def write_csv(path: str | Path, columns: list[str], configs: list[Configuration]) -> None:
    """One row per configuration: true/false for Boolean features, the value or empty; an
    existing file is replaced atomically."""
    from pimp_tui.files import replaced_atomically

    names = columns or sorted({k for c in configs for k in c})
    with replaced_atomically(path) as temp, open(temp, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(names)
        for config in configs:
            writer.writerow([_csv_value(config.get(n)) for n in names])


def _csv_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
