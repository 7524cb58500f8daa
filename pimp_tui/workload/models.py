"""Per-request models of a campaign's configurations, priced over (input, output) lengths:
the analytical energy model fitted per configuration (`predict.analytical`) and one learned
predictor over the whole campaign (configurations encoded as features). Both give a mean and a
variance per figure (see `pricing.RequestModel`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from pimp_tui.errors import PimpError
from pimp_tui.predict.analytical import EnergyModel, fit_energy_model
from pimp_tui.predict.learners import make_learner
from pimp_tui.workload.runs import METRICS, Group

ONE_SIGMA = 0.6827


def group_features(groups: Sequence[Group]) -> dict[str, np.ndarray]:
    """A numeric row per configuration: numbers as themselves (missing: -1), Booleans 0/1,
    anything else one-hot. Only settings that vary across configurations are kept."""
    keys = sorted({k for g in groups for k in g.config})
    columns: list[np.ndarray] = []
    for key in keys:
        values = [g.config.get(key) for g in groups]
        if len({repr(v) for v in values}) < 2:
            continue
        if all(isinstance(v, (int, float, bool)) or v is None for v in values):
            columns.append(np.array([-1.0 if v is None else float(v) for v in values]))
        else:
            for level in sorted({repr(v) for v in values}):
                columns.append(np.array([float(repr(v) == level) for v in values]))
    matrix = np.column_stack(columns) if columns else np.zeros((len(groups), 0))
    return {g.key: matrix[i] for i, g in enumerate(groups)}


def features(frame: pl.DataFrame, encoded: Mapping[str, np.ndarray]) -> np.ndarray:
    n_in = frame["input_length"].to_numpy().astype(float)
    n_out = frame["output_length"].to_numpy().astype(float)
    settings = np.vstack([encoded[k] for k in frame["group"].to_list()])
    return np.column_stack([n_in, n_out, np.log2(n_in), np.log2(n_out), settings])


def _predict_with_spread(learner: Any, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance of a learner's predictions: half its one-sigma (68.27%) interval,
    squared."""
    low, high = learner.predict_interval(x, level=ONE_SIGMA)
    return np.asarray(learner.predict(x)), ((np.asarray(high) - np.asarray(low)) / 2) ** 2


# --------------------------------------------------------------------------- per-request models


@dataclass
class AnalyticalModel:
    """Per configuration, the analytical model fitted to each per-request figure (Cavagna's
    form is for energy; the same form is used for time, where it fits about as well)."""

    runs: pl.DataFrame
    source: str = "analytical"
    _fits: dict[tuple[str, str], EnergyModel] = field(default_factory=dict, repr=False)
    _ranges: dict[str, tuple[float, float, float, float]] = field(default_factory=dict)

    def _fit(self, key: str, metric: str) -> EnergyModel:
        if (key, metric) not in self._fits:
            rows = self.runs.filter(pl.col("group") == key)
            if len(rows) < 5:
                raise PimpError("the analytical model needs runs at 5 lengths or more")
            n_in = rows["input_length"].to_numpy()
            n_out = rows["output_length"].to_numpy()
            self._fits[key, metric] = fit_energy_model(n_in, n_out, rows[metric].to_numpy())
            self._ranges[key] = (n_in.min(), n_in.max(), n_out.min(), n_out.max())
        return self._fits[key, metric]

    def covers(self, group: Group, n_in: np.ndarray, n_out: np.ndarray) -> np.ndarray:
        self._fit(group.key, "energy_j")
        lo_in, hi_in, lo_out, hi_out = self._ranges[group.key]
        return (n_in >= lo_in) & (n_in <= hi_in) & (n_out >= lo_out) & (n_out <= hi_out)

    def predict(
        self, group: Group, n_in: np.ndarray, n_out: np.ndarray
    ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        out = {}
        for metric in METRICS:
            fit = self._fit(group.key, metric)
            out[metric] = (fit.predict(n_in, n_out), fit.variance(n_in, n_out))
        return out


@dataclass
class LearnedModel:
    """One learner per per-request figure over the whole campaign (configurations encoded)."""

    runs: pl.DataFrame
    groups: Sequence[Group]
    learner: str = "auto"
    seed: int = 0
    source: str = "learned"
    _models: dict[str, Any] = field(default_factory=dict, repr=False)
    _batch: tuple | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self._encoded = group_features(self.groups)
        x = features(self.runs, self._encoded)
        for metric in METRICS:
            model = make_learner(self.learner, self.seed)
            model.fit(x, self.runs[metric].to_numpy())
            self._models[metric] = model

    def covers(self, group: Group, n_in: np.ndarray, n_out: np.ndarray) -> np.ndarray:
        rows = self.runs.filter(pl.col("group") == group.key)
        lo_in, hi_in = rows["input_length"].min(), rows["input_length"].max()
        lo_out, hi_out = rows["output_length"].min(), rows["output_length"].max()
        return (n_in >= lo_in) & (n_in <= hi_in) & (n_out >= lo_out) & (n_out <= hi_out)

    def predict(
        self, group: Group, n_in: np.ndarray, n_out: np.ndarray
    ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Predicted for every configuration at once on the first query of these lengths
        (one learner call per figure instead of one per configuration)."""
        query = (np.asarray(n_in, dtype=float).tobytes(), np.asarray(n_out, dtype=float).tobytes())
        if self._batch is None or self._batch[0] != query:
            keys = [g.key for g in self.groups]
            frame = pl.DataFrame({
                "input_length": np.tile(n_in, len(keys)),
                "output_length": np.tile(n_out, len(keys)),
                "group": np.repeat(keys, len(n_in)),
            })  # fmt: skip
            x = features(frame, self._encoded)
            figures = {m: _predict_with_spread(model, x) for m, model in self._models.items()}
            self._batch = (query, keys, figures)
        _, keys, figures = self._batch
        rows = slice(keys.index(group.key) * len(n_in), (keys.index(group.key) + 1) * len(n_in))
        return {m: (mean[rows], var[rows]) for m, (mean, var) in figures.items()}
