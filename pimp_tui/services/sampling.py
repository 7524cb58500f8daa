"""The sampling pane's services: run a sampler, measure its coverage, store and export."""

from __future__ import annotations

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
    features: list[str] = field(default_factory=list)
    """The model's features in its order: the columns of the CSV export."""
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


def store_model(db, model: FeatureModel, model_id: int | None, name: str) -> int:
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


def stored_samples(db_path: str | Path, newest_first: bool = True) -> list[dict]:
    """Stored samples (id, name, algorithm, size, model, coverage...), newest first unless
    asked otherwise."""
    from pimp_tui.store.samples import list_samples

    db = open_db(db_path)
    try:
        rows = list_samples(db)
        return list(reversed(rows)) if newest_first else rows
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
    params = dict(params)
    host = params.pop("host", None) or []  # stored with the sample; shown as the host's fixes
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
        features=model.feature_names(),
        host_fixes=[str(fix) for fix in host],
    )


def write_csv(path: str | Path, features: list[str], configs: list[Configuration]) -> None:
    """The sample as `pimp sample --out` writes it (sampling/csvio.py: the model's feature
    order, true/false); an existing file is replaced atomically."""
    from pimp_tui.sampling.csvio import save_configs

    save_configs(features or sorted({k for c in configs for k in c}), configs, path)


@dataclass(frozen=True)
class SampleRequest:
    """Draw a sample of the model file `model_path` (fixed to `host` first); with `name`, also
    store the model and the sample in `db_path`."""

    model_path: str
    algorithm: str = "twise"
    t: int = 2
    size: int | None = None
    seed: int = 0
    time_budget: float | None = None
    iterations: int | None = None
    limit: int | None = None
    csv_in: str | None = None
    """Configurations to validate (algorithm csv)."""
    replacement: bool = False
    host: str = "auto"
    name: str | None = None
    db_path: str | Path | None = None


@dataclass
class Sampled:
    model: FeatureModel
    """The model as sampled (fixed to the host)."""
    configs: list[Configuration]
    lower_bound: int | None
    seconds: float
    coverage: Any
    """t-wise coverage (sampling.coverage.Coverage), or None when it could not be computed."""
    coverage_error: str | None
    host_fixes: list[str]
    sample_id: int | None = None


def draw_sample(
    request: SampleRequest,
    progress: Callable[[str], None] | None = None,
    on_fix: Callable[[str], None] | None = None,
) -> Sampled:
    """Draw (and, with a name, store) a sample; `on_fix` hears each host fix as it is made."""
    import time

    from pimp_tui.errors import PimpError
    from pimp_tui.sampling import draw
    from pimp_tui.sampling.csvio import read_configs
    from pimp_tui.variability.io import load_model

    if request.name:
        if request.db_path is None:
            raise PimpError("storing a sample needs a store")
        open_db_for_writing(request.db_path).close()  # a read-only store fails before sampling
    base = load_model(request.model_path)
    model, fixes = fix_to_host(base, request.host)
    host = [f"{fix.constraint} ({fix.reason})" for fix in fixes]
    for line in host:
        if on_fix is not None:
            on_fix(line)
    given = None
    if request.algorithm == "csv":
        if not request.csv_in:
            raise PimpError("--algorithm csv needs --csv IN.csv")
        given = read_configs(model, request.csv_in)
    started = time.monotonic()
    drawn = draw(
        model, request.algorithm, t=request.t, size=request.size, seed=request.seed,
        time_budget=request.time_budget, limit=request.limit, progress=progress,
        replacement=request.replacement, configs=given, iterations=request.iterations,
    )  # fmt: skip
    seconds = time.monotonic() - started
    cover, error = coverage_report(model, drawn.configs, request.t)
    result = Sampled(model, drawn.configs, drawn.lower_bound, seconds, cover, error, host)
    if request.name and request.db_path is not None:
        params: dict[str, Any] = {"t": request.t, "size": request.size, "seed": request.seed}
        optional = {"time_budget": request.time_budget, "iterations": request.iterations,
                    "limit": request.limit}  # fmt: skip
        params.update({k: v for k, v in optional.items() if v is not None})
        if request.algorithm == "uniform":
            params["replacement"] = request.replacement
        if host:
            params["host"] = host
        result.sample_id = _store_drawn(request, base, drawn.configs, cover, drawn.lower_bound,
                                        params)  # fmt: skip
    return result


def open_db_for_writing(db_path: str | Path) -> Any:
    from pimp_tui.store.db import open_store

    return open_store(db_path, for_writing=True)


def _store_drawn(
    request: SampleRequest,
    model: FeatureModel,
    configs: list[Configuration],
    cover: Any,
    lower_bound: int | None,
    params: dict[str, Any],
) -> int:
    from pimp_tui.store.samples import save_sample

    assert request.db_path is not None and request.name
    db = open_db_for_writing(request.db_path)
    try:
        model_id = store_model(db, model, None, model.root.name)
        coverage = cover.as_dict() if cover else None
        return save_sample(
            db, model_id, request.name, request.algorithm, params, configs, coverage, lower_bound
        )
    finally:
        db.close()


def coverage_report(
    model: FeatureModel, configs: list[Configuration], t: int
) -> tuple[Any, str | None]:
    """(t-wise coverage, None), or (None, why) when it cannot be computed."""
    from pimp_tui.errors import PimpError
    from pimp_tui.sampling.coverage import coverage
    from pimp_tui.variability.reasoning import Reasoner

    try:
        return coverage(model, configs, t, Reasoner(model)), None
    except PimpError as exc:
        return None, str(exc)


def check_coverage(model_path: str, sample_path: str, t: int) -> tuple[Any, str | None]:
    """The t-wise coverage of a sample CSV file of the model file."""
    from pimp_tui.sampling.csvio import read_configs
    from pimp_tui.variability.io import load_model

    model = load_model(model_path)
    return coverage_report(model, read_configs(model, sample_path), t)


def write_sample(
    model: FeatureModel, configs: list[Configuration], out: str | Path | None, stream: Any
) -> None:
    """A sample as CSV, one column per feature: to the file `out` (replaced atomically) or,
    without one, to `stream`."""
    from pimp_tui.sampling.csvio import save_configs, write_configs

    if out is not None:
        save_configs(model, configs, out)
    else:
        write_configs(model, configs, stream)
