"""Workload estimates: what a trace of requests costs under each configuration.

A trace (CSV or JSONL: input and output token counts per request, optional timestamps) is
binned by input and output length, and each bin is priced at its mean lengths by a per-request
model of one configuration: interpolated measurements of a `lengths` campaign, the analytical
fit, or a learned predictor (see `sweetspot`). Binning follows Fernandez et al. 2025, who
approximate real workloads by binning the input/output token distributions; the default here,
power-of-two bins of both lengths, is a practical reading of that: lengths spread over orders
of magnitude, and energy changes smoothly within an octave.

Uncertainty: a bin's estimate is its request count times the per-request figure, so its
variance is count² times the figure's variance (the requests of a bin share one prediction
error); bins are treated as independent, so a trace's variance is the sum of its bins'.
A trace's estimate is thus exactly the sum of its bins' estimates.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import polars as pl

from pimp_tui.errors import PimpError

INPUT_NAMES = ("input_tokens", "input_length", "n_in", "prompt_tokens", "contexttokens")
OUTPUT_NAMES = ("output_tokens", "output_length", "n_out", "completion_tokens", "generatedtokens")
TIME_NAMES = ("timestamp", "time", "arrival", "arrival_time", "created")
LENGTH_KEYS = ("input_length", "output_length")
METRICS = ("energy_j", "busy_s", "latency_s")
"""Per-request figures: energy, machine time (the run's time shared by its requests), and
request latency (the time of the batch that served it)."""


# --------------------------------------------------------------------------- traces


def read_trace(path: str | Path) -> pl.DataFrame:
    """A trace as columns input_tokens, output_tokens (integers) and timestamp (seconds, or
    null). Column names are matched case-insensitively (Azure's ContextTokens and
    GeneratedTokens included); ISO timestamps are read as seconds."""
    path = Path(path)
    if not path.is_file():
        raise PimpError(f"{path}: no such trace file")
    try:
        if path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
            frame = pl.read_ndjson(path, infer_schema_length=None)
        else:
            frame = pl.read_csv(path, infer_schema_length=10_000, try_parse_dates=True)
    except Exception as exc:  # polars raises several error types for malformed files
        raise PimpError(f"{path}: cannot read the trace ({exc})") from exc
    return normalise_trace(frame, str(path))


def normalise_trace(frame: pl.DataFrame, source: str = "trace") -> pl.DataFrame:
    """Pick and check the token-count and timestamp columns of a raw trace frame."""
    lower = {name.lower(): name for name in frame.columns}
    n_in = _column(lower, INPUT_NAMES, source, "input token counts")
    n_out = _column(lower, OUTPUT_NAMES, source, "output token counts")
    stamp = next((lower[n] for n in TIME_NAMES if n in lower), None)
    try:
        out = frame.select(
            pl.col(n_in).cast(pl.Int64).alias("input_tokens"),
            pl.col(n_out).cast(pl.Int64).alias("output_tokens"),
        )
    except Exception as exc:
        raise PimpError(f"{source}: token counts must be whole numbers ({exc})") from exc
    if out.null_count().sum_horizontal().item():
        raise PimpError(f"{source}: some requests have no input or output token count")
    if len(out) == 0:
        raise PimpError(f"{source}: the trace has no requests")
    if out["input_tokens"].min() < 1 or out["output_tokens"].min() < 1:
        raise PimpError(f"{source}: token counts must be at least 1")
    times = pl.Series("timestamp", [None] * len(out), dtype=pl.Float64)
    if stamp is not None:
        times = _seconds(frame[stamp], source).alias("timestamp")
    return out.with_columns(times)


def _column(lower: Mapping[str, str], names: Sequence[str], source: str, what: str) -> str:
    for name in names:
        if name in lower:
            return lower[name]
    raise PimpError(f"{source}: no column of {what} (one of {', '.join(names)})")


def _seconds(column: pl.Series, source: str) -> pl.Series:
    if column.dtype == pl.Datetime or column.dtype == pl.Date:
        return column.cast(pl.Datetime("us")).dt.epoch("us").cast(pl.Float64) / 1e6
    if column.dtype == pl.String:
        parsed = column.str.to_datetime(strict=False, time_unit="us")
        if parsed.null_count() > column.null_count():
            raise PimpError(f"{source}: timestamps must be numbers or ISO dates")
        return parsed.dt.epoch("us").cast(pl.Float64) / 1e6
    try:
        return column.cast(pl.Float64)
    except Exception as exc:
        raise PimpError(f"{source}: timestamps must be numbers or ISO dates") from exc


# --------------------------------------------------------------------------- bins


@dataclass(frozen=True)
class Bins:
    """How one length is binned: 'log2' (per_octave bins per doubling), 'linear' (width) or
    'edges' (explicit left edges, the last bin open)."""

    kind: str = "log2"
    per_octave: int = 1
    width: int = 0
    edges: tuple[int, ...] = ()

    def index(self, values: np.ndarray) -> np.ndarray:
        """The bin of each value (values >= 1)."""
        if self.kind == "log2":
            return np.floor(np.log2(values) * self.per_octave + 1e-9).astype(np.int64)
        if self.kind == "linear":
            return (values - 1) // self.width
        return np.searchsorted(np.asarray(self.edges), values, side="right") - 1

    def bounds(self, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """[low, high) token bounds of bins (high is inf for the last explicit bin)."""
        if self.kind == "log2":
            low = np.ceil(2.0 ** (index / self.per_octave) - 1e-9)
            high = np.ceil(2.0 ** ((index + 1) / self.per_octave) - 1e-9)
            return low, high
        if self.kind == "linear":
            return index * self.width + 1, (index + 1) * self.width + 1
        edges = np.asarray((*self.edges, math.inf), dtype=float)
        return edges[index], edges[index + 1]

    def __str__(self) -> str:
        if self.kind == "log2":
            return "log2" if self.per_octave == 1 else f"log2:{self.per_octave}"
        if self.kind == "linear":
            return f"linear:{self.width}"
        return ",".join(str(e) for e in self.edges)


def parse_bins(text: str) -> Bins:
    """'log2' (default), 'log2:K' (K bins per doubling), 'linear:W', or left edges '1,128,512'."""
    text = text.strip()
    try:
        if text == "log2":
            return Bins()
        if text.startswith("log2:"):
            per = int(text[5:])
            if per >= 1:
                return Bins("log2", per_octave=per)
        elif text.startswith("linear:"):
            width = int(text[7:])
            if width >= 1:
                return Bins("linear", width=width)
        else:
            edges = tuple(int(v) for v in text.split(","))
            if edges and edges[0] == 1 and list(edges) == sorted(set(edges)):
                return Bins("edges", edges=edges)
    except ValueError:
        pass
    raise PimpError(
        f"bins {text!r}: use log2, log2:K, linear:WIDTH or increasing left edges from 1 "
        "(e.g. 1,128,512,2048)"
    )


def bin_trace(trace: pl.DataFrame, inputs: Bins = Bins(), outputs: Bins = Bins()) -> pl.DataFrame:
    """One row per non-empty (input bin, output bin): bounds, request count and the mean
    input and output lengths of its requests (where the bin is priced)."""
    n_in = trace["input_tokens"].to_numpy()
    n_out = trace["output_tokens"].to_numpy()
    keyed = pl.DataFrame(
        {
            "in_bin": inputs.index(n_in),
            "out_bin": outputs.index(n_out),
            "input_tokens": n_in,
            "output_tokens": n_out,
        }
    )
    grouped = (
        keyed.group_by("in_bin", "out_bin")
        .agg(
            pl.len().alias("requests"),
            pl.col("input_tokens").mean().alias("input_length"),
            pl.col("output_tokens").mean().alias("output_length"),
        )
        .sort("in_bin", "out_bin")
    )
    in_low, in_high = inputs.bounds(grouped["in_bin"].to_numpy())
    out_low, out_high = outputs.bounds(grouped["out_bin"].to_numpy())
    return grouped.with_columns(
        pl.Series("in_low", in_low),
        pl.Series("in_high", in_high),
        pl.Series("out_low", out_low),
        pl.Series("out_high", out_high),
    )


def span_seconds(trace: pl.DataFrame) -> float | None:
    """Time between the first and last request, when the trace has timestamps."""
    stamps = trace["timestamp"].drop_nulls()
    if len(stamps) < 2:
        return None
    span = float(stamps.max() - stamps.min())
    return span if span > 0 else None


# --------------------------------------------------------------------------- configurations


@dataclass(frozen=True)
class Group:
    """One configuration of a lengths campaign: its settings without the lengths."""

    key: str
    config: dict[str, Any]
    label: str


RUN_FIELDS = frozenset(
    ("campaign_id", "run_id", "configuration_id", "repetition", "position", "status", "error",
     "started_at", "finished_at", "llm", "task", "prompts")
)  # fmt: skip


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


# --------------------------------------------------------------------------- per-request models


class RequestModel(Protocol):
    """Prices one request of a configuration: metric -> (mean, variance) per (n_in, n_out)."""

    source: str

    def predict(
        self, group: Group, n_in: np.ndarray, n_out: np.ndarray
    ) -> dict[str, tuple[np.ndarray, np.ndarray]]: ...

    def covers(self, group: Group, n_in: np.ndarray, n_out: np.ndarray) -> np.ndarray:
        """True where a query lies inside the measured lengths (no extrapolation)."""
        ...


def request_figures(runs: pl.DataFrame) -> pl.DataFrame:
    """Per-request figures of finished runs: energy_j, busy_s and latency_s per request."""
    batches = (pl.col("requests") / pl.col("batch_size").fill_null(1).clip(1, None)).ceil()
    return runs.filter(pl.col("energy_j").is_not_null() & (pl.col("requests") > 0)).with_columns(
        (pl.col("energy_j") / pl.col("requests")).alias("energy_j"),
        (pl.col("latency_s") / pl.col("requests")).alias("busy_s"),
        (pl.col("latency_s") / batches).alias("latency_s"),
    )


@dataclass
class MeasuredModel:
    """Interpolated measurements: bilinear in log2 lengths between measured grid points (held
    flat outside them), the variance of each point's mean over repetitions carried with the
    squared interpolation weights. A point with one repetition borrows the group's pooled
    relative variance."""

    runs: pl.DataFrame
    """Per-request figures (see `request_figures`) with a `group` column."""
    source: str = "measured"
    _grids: dict[str, tuple] = field(default_factory=dict, repr=False)

    def _grid(self, key: str) -> tuple:
        if key not in self._grids:
            rows = self.runs.filter(pl.col("group") == key)
            if rows.is_empty():
                raise PimpError("no finished runs for this configuration")
            points = rows.group_by(LENGTH_KEYS).agg(
                pl.len().alias("n"),
                *[pl.col(m).mean().alias(m) for m in METRICS],
                *[pl.col(m).var().alias(f"{m}_var") for m in METRICS],
            )
            xs = np.sort(points["input_length"].unique().to_numpy())
            ys = np.sort(points["output_length"].unique().to_numpy())
            means = {m: np.full((len(xs), len(ys)), np.nan) for m in METRICS}
            variances = {m: np.full((len(xs), len(ys)), np.nan) for m in METRICS}
            ix = np.searchsorted(xs, points["input_length"].to_numpy())
            iy = np.searchsorted(ys, points["output_length"].to_numpy())
            n = points["n"].to_numpy()
            for m in METRICS:
                mean = points[m].to_numpy()
                var = points[f"{m}_var"].fill_null(np.nan).to_numpy() / n
                known = np.isfinite(var) & (mean != 0)
                rel = float(np.mean(var[known] / mean[known] ** 2)) if known.any() else 0.0
                var = np.where(np.isfinite(var), var, rel * mean**2)
                means[m][ix, iy] = mean
                variances[m][ix, iy] = var
                _fill_nearest(means[m], variances[m])
            self._grids[key] = (np.log2(xs), np.log2(ys), means, variances)
        return self._grids[key]

    def covers(self, group: Group, n_in: np.ndarray, n_out: np.ndarray) -> np.ndarray:
        gx, gy, _, _ = self._grid(group.key)
        lx, ly = np.log2(n_in), np.log2(n_out)
        eps = 1e-9
        return (
            (lx >= gx[0] - eps) & (lx <= gx[-1] + eps) & (ly >= gy[0] - eps) & (ly <= gy[-1] + eps)
        )

    def predict(
        self, group: Group, n_in: np.ndarray, n_out: np.ndarray
    ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        gx, gy, means, variances = self._grid(group.key)
        (i0, i1, wx), (j0, j1, wy) = _weights(gx, np.log2(n_in)), _weights(gy, np.log2(n_out))
        corners = ((i0, j0, (1 - wx) * (1 - wy)), (i1, j0, wx * (1 - wy)),
                   (i0, j1, (1 - wx) * wy), (i1, j1, wx * wy))  # fmt: skip
        out = {}
        for m in METRICS:
            mean = sum(w * means[m][i, j] for i, j, w in corners)
            var = sum(w**2 * variances[m][i, j] for i, j, w in corners)
            out[m] = (np.asarray(mean, dtype=float), np.asarray(var, dtype=float))
        return out


def _weights(axis: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Neighbour indices and the weight of the upper one, queries clamped to the axis."""
    q = np.clip(q, axis[0], axis[-1])
    if len(axis) == 1:
        zero = np.zeros(len(q), dtype=np.int64)
        return zero, zero, np.zeros(len(q))
    upper = np.clip(np.searchsorted(axis, q, side="right"), 1, len(axis) - 1)
    lower = upper - 1
    weight = (q - axis[lower]) / (axis[upper] - axis[lower])
    return lower, upper, weight


def _fill_nearest(mean: np.ndarray, var: np.ndarray) -> None:
    """Grid points never measured (failed runs) take the nearest measured point's figures."""
    missing = np.argwhere(~np.isfinite(mean))
    known = np.argwhere(np.isfinite(mean))
    for i, j in missing:
        k = np.argmin(np.abs(known - (i, j)).sum(axis=1))
        mean[i, j], var[i, j] = mean[tuple(known[k])], var[tuple(known[k])]


# --------------------------------------------------------------------------- estimates


@dataclass
class Estimate:
    """A trace priced under one configuration: totals with standard deviations, and bins."""

    group: Group
    source: str
    requests: int
    bins: pl.DataFrame
    energy_j: float
    energy_sd: float
    busy_s: float
    busy_sd: float
    latency_s: float
    latency_sd: float
    outside: int
    """Requests whose bin lies outside the measured lengths (priced by extrapolation)."""
    accuracy: float | None = None

    @property
    def j_per_request(self) -> float:
        return self.energy_j / self.requests

    @property
    def j_per_request_sd(self) -> float:
        return self.energy_sd / self.requests


def estimate_bins(binned: pl.DataFrame, model: RequestModel, group: Group) -> Estimate:
    """Price binned requests under one configuration."""
    n_in = binned["input_length"].to_numpy().astype(float)
    n_out = binned["output_length"].to_numpy().astype(float)
    count = binned["requests"].to_numpy().astype(float)
    figures = model.predict(group, n_in, n_out)
    columns = {}
    for m in METRICS:
        mean, var = figures[m]
        columns[m] = count * mean
        columns[f"{m}_var"] = count**2 * var
    inside = model.covers(group, n_in, n_out)
    bins = binned.with_columns([pl.Series(k, v) for k, v in columns.items()]).with_columns(
        pl.Series("inside", inside)
    )
    total = int(count.sum())
    return Estimate(
        group=group,
        source=model.source,
        requests=total,
        bins=bins,
        energy_j=float(columns["energy_j"].sum()),
        energy_sd=math.sqrt(float(columns["energy_j_var"].sum())),
        busy_s=float(columns["busy_s"].sum()),
        busy_sd=math.sqrt(float(columns["busy_s_var"].sum())),
        latency_s=float(columns["latency_s"].sum()) / total,
        latency_sd=math.sqrt(float(columns["latency_s_var"].sum())) / total,
        outside=int(count[~inside].sum()),
    )


def estimate_trace(
    trace: pl.DataFrame,
    model: RequestModel,
    groups: Sequence[Group],
    inputs: Bins = Bins(),
    outputs: Bins = Bins(),
) -> list[Estimate]:
    """The trace priced under every configuration (binned once)."""
    binned = bin_trace(trace, inputs, outputs)
    return [estimate_bins(binned, model, group) for group in groups]


def cheapest(estimates: Sequence[Estimate], accuracy_floor: float | None) -> Estimate | None:
    """The lowest-energy configuration whose accuracy meets the floor (all, without a floor;
    a configuration of unknown accuracy never meets a floor)."""
    eligible = [
        e
        for e in estimates
        if accuracy_floor is None or (e.accuracy is not None and e.accuracy >= accuracy_floor)
    ]
    return min(eligible, key=lambda e: e.energy_j, default=None)


def attach_accuracy(
    estimates: Sequence[Estimate], accuracy_rows: Sequence[Mapping[str, Any]]
) -> None:
    """Set each estimate's accuracy: the mean accuracy of measured runs whose settings agree
    with its configuration on every setting both have (lengths and batch size ignored)."""
    ignore = {*LENGTH_KEYS, "batch_size"}
    for estimate in estimates:
        wanted = {k: v for k, v in estimate.group.config.items() if k not in ignore}
        values = [
            float(row["accuracy"])
            for row in accuracy_rows
            if row.get("accuracy") is not None
            and all(row[k] == v for k, v in wanted.items() if k in row)
        ]
        estimate.accuracy = sum(values) / len(values) if values else None


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
