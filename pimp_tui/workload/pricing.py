"""Workload estimates: what a trace of requests costs under each configuration.

A trace (CSV or JSONL: input and output token counts per request, optional timestamps) is
binned by input and output length, and each bin is priced at its mean lengths by a per-request
model of one configuration: interpolated measurements of a `lengths` campaign, the analytical
fit, or a learned predictor (see `models`). Binning follows Fernandez et al. 2025, who
approximate real workloads by binning the input/output token distributions; the default here,
power-of-two bins of both lengths, is a practical reading of that: lengths spread over orders
of magnitude, and energy changes smoothly within an octave.

Uncertainty: a bin's estimate is its request count times the per-request figure, so its
variance is count² times the figure's variance (the requests of a bin share one prediction
error); bins are treated as independent, so a trace's variance is the sum of its bins'.
A trace's estimate is thus exactly the sum of its bins' estimates.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import polars as pl

from pimp_tui.errors import PimpError
from pimp_tui.workload.bins import LOG2, Bins, bin_trace
from pimp_tui.workload.runs import LENGTH_KEYS, METRICS, Group


class RequestModel(Protocol):
    """Prices one request of a configuration: metric -> (mean, variance) per (n_in, n_out)."""

    source: str

    def predict(
        self, group: Group, n_in: np.ndarray, n_out: np.ndarray
    ) -> dict[str, tuple[np.ndarray, np.ndarray]]: ...

    def covers(self, group: Group, n_in: np.ndarray, n_out: np.ndarray) -> np.ndarray:
        """True where a query lies inside the measured lengths (no extrapolation)."""
        ...


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
    inputs: Bins = LOG2,
    outputs: Bins = LOG2,
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
