"""Turning configurations and CSV rows into numeric matrices, one column per option.

Feature models: Boolean features 1/0, numeric features their value (0 when deselected),
string features and alternative groups one indicator column per value / child (the chosen one is
1). CSV: every column whose values all parse as numbers is numeric, the others categorical and
one-hot encoded; the encoder says which is which so the user can check it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from pimp_tui.errors import PimpError
from pimp_tui.files import read_text


@dataclass
class Encoder:
    """Column layout learnt from configurations (or a CSV header)."""

    features: list[str]
    kinds: dict[str, str]  # feature -> "boolean" | "numeric" | "categorical"
    levels: dict[str, list[str]] = field(default_factory=dict)
    defaults: dict[str, Any] = field(default_factory=dict)
    """Values a query fills in where the feature model cannot: columns that are no feature of
    it (a lengths grid's lengths), and features that ran outside its domain (an overridden
    max_new_tokens); each the value most runs had."""

    @property
    def columns(self) -> list[str]:
        out: list[str] = []
        for name in self.features:
            if self.kinds[name] == "categorical":
                out.extend(f"{name}={level}" for level in self.levels[name])
            else:
                out.append(name)
        return out

    @classmethod
    def from_model(cls, model: Any) -> Encoder:
        """Every feature of a feature model; alternative groups become one categorical column
        named after the parent whose levels are the children."""
        from pimp_tui.variability.model import FeatureType, GroupKind

        kinds: dict[str, str] = {}
        levels: dict[str, list[str]] = {}
        for feature in model.features():
            if feature is model.root:
                continue  # always selected: carries no information
            parent = feature.parent
            alternative = parent is not None and any(
                g.kind == GroupKind.ALTERNATIVE and feature in g.children for g in parent.groups
            )
            if alternative:
                key = f"{parent.name}.alternative"
                if key not in kinds:
                    kinds[key] = "categorical"
                    group = next(g for g in parent.groups if feature in g.children)
                    levels[key] = [c.name for c in group.children]
                if feature.type is FeatureType.BOOLEAN:
                    continue
            if feature.type is FeatureType.BOOLEAN:
                kinds[feature.name] = "boolean"
            elif feature.type is FeatureType.STRING:
                kinds[feature.name] = "categorical"
                levels[feature.name] = [str(v) for v in (feature.domain() or ())]
            else:
                kinds[feature.name] = "numeric"
        return cls(list(kinds), kinds, levels)

    @classmethod
    def for_data(cls, model: Any, configs: Sequence[Mapping[str, Any]]) -> Encoder:
        """The layout for measured configurations: the feature model's (when there is one),
        plus every other column whose value varies among them (a lengths grid's lengths, the
        model or task when runs of several are learnt together)."""
        if model is None:
            return cls.from_configs(configs)
        base = cls.from_model(model)
        names = set(model.feature_names())
        extra = [
            {k: v for k, v in c.items() if k not in names and k not in base.kinds}
            for c in configs
        ]  # fmt: skip
        varying = cls.from_configs(extra)
        keep = [f for f in varying.features
                if len({repr(c.get(f)) for c in extra}) > 1]  # fmt: skip
        return cls(
            base.features + keep,
            {**base.kinds, **{f: varying.kinds[f] for f in keep}},
            {**base.levels, **{f: varying.levels[f] for f in keep if f in varying.levels}},
            _defaults(model, configs),
        )

    @classmethod
    def from_configs(cls, configs: Sequence[Mapping[str, Any]]) -> Encoder:
        """Layout inferred from the values themselves (booleans, numbers, strings)."""
        names: list[str] = []
        for config in configs:
            names.extend(k for k in config if k not in names)
        kinds: dict[str, str] = {}
        levels: dict[str, list[str]] = {}
        for name in names:
            values = [c.get(name) for c in configs if c.get(name) is not None]
            if values and all(isinstance(v, bool) for v in values):
                kinds[name] = "boolean"
            elif all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
                kinds[name] = "numeric"
            else:
                kinds[name] = "categorical"
                levels[name] = sorted({str(v) for v in values})
        return cls(names, kinds, levels)

    def check(self, settings: Mapping[str, Any]) -> None:
        """PimpError unless every setting is one this layout encodes: a known option, a finite
        number for a numeric or Boolean one, a level seen in training for a categorical one.
        For settings typed by hand (a model's configurations are checked by its reasoner)."""
        unknown = [name for name in settings if name not in self.kinds]
        if unknown:
            options = ", ".join(self.features)
            raise PimpError(f"unknown option(s) {', '.join(unknown)}: the options are {options}")
        for name, value in settings.items():
            if value is None:
                continue
            if self.kinds[name] == "categorical":
                if str(value) not in self.levels[name]:
                    levels = ", ".join(self.levels[name])
                    raise PimpError(f"{name}={value}: not a level seen in training ({levels})")
            elif isinstance(value, str) or not math.isfinite(value):
                raise PimpError(f"{name}={value}: {self.kinds[name]} option, needs a finite number")

    def encode(self, configs: Sequence[Mapping[str, Any]]) -> np.ndarray:
        return np.array([self.row(c) for c in configs], dtype=float).reshape(
            len(configs), len(self.columns)
        )

    def row(self, config: Mapping[str, Any]) -> list[float]:
        out: list[float] = []
        for name in self.features:
            kind = self.kinds[name]
            if name.endswith(".alternative") and name not in config:
                out.extend(1.0 if config.get(level) else 0.0 for level in self.levels[name])
            elif kind == "categorical":
                value = config.get(name)
                out.extend(1.0 if str(value) == level else 0.0 for level in self.levels[name])
            else:
                value = config.get(name)
                out.append(0.0 if value is None or value is False else float(value))
        return out


def _defaults(model: Any, configs: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """See `Encoder.defaults`."""
    from collections import Counter

    features = {f.name: f for f in model.features()}
    out: dict[str, Any] = {}
    names = dict.fromkeys(k for c in configs for k in c)
    for name in names:
        values = [c.get(name) for c in configs]
        feature = features.get(name)
        if feature is not None:
            domain = feature.domain()
            if domain is None or any(v is None or v in domain for v in values):
                continue
        common = Counter(repr(v) for v in values).most_common(1)[0][0]
        out[name] = next(v for v in values if repr(v) == common)
    return out


@dataclass
class Table:
    """A CSV loaded for learning: options as a matrix, the target, and how it was read."""

    x: np.ndarray
    y: np.ndarray
    options: list[str]
    target: str
    encoder: Encoder

    def describe(self) -> str:
        kinds = self.encoder.kinds
        numeric = [n for n in self.options if kinds[n] == "numeric"]
        categorical = [n for n in self.options if kinds[n] == "categorical"]
        text = f"{len(self.y)} rows, target {self.target}; {len(numeric)} numeric option(s)"
        if categorical:
            text += f", {len(categorical)} categorical (one-hot): {', '.join(categorical)}"
        return text


def read_csv(path: str | Path, target: str | None = None) -> Table:
    """Options are all columns but the target (default: the last column)."""
    import csv
    import io

    path = Path(path)
    rows = list(csv.reader(io.StringIO(read_text(path), newline="")))
    if len(rows) < 3 or len(rows[0]) < 2:
        raise PimpError(f"{path}: needs a header, at least two columns and two rows")
    header, body = [h.strip() for h in rows[0]], [r for r in rows[1:] if r]
    target = target or header[-1]
    if target not in header:
        raise PimpError(f"{path}: no column {target!r} (columns: {', '.join(header)})")
    t = header.index(target)
    try:
        y = np.array([float(r[t]) for r in body])
    except (ValueError, IndexError) as exc:
        raise PimpError(f"{path}: target column {target!r} must be numeric ({exc})") from exc
    check_target(y, f"{path}: target column {target!r}")
    options = [h for i, h in enumerate(header) if i != t]
    records = []
    for r in body:
        record: dict[str, Any] = {}
        for i, h in enumerate(header):
            if i != t:
                record[h] = _number(r[i]) if i < len(r) else None
        records.append(record)
    encoder = Encoder.from_configs(records)
    encoder.features = options
    return Table(encoder.encode(records), y, options, target, encoder)


def check_target(y: np.ndarray, what: str) -> None:
    """Refuse a target no learner can use: a NaN or infinite value, or the same value in every
    row (nothing to learn)."""
    bad = np.flatnonzero(~np.isfinite(y))
    if len(bad):
        raise PimpError(f"{what} is {y[bad[0]]} in data row {bad[0] + 1}: remove or fill in "
                        "such rows")  # fmt: skip
    if len(y) and np.all(y == y[0]):
        raise PimpError(f"{what} is {y[0]:g} in every row: nothing to learn, pick another target")


def _number(text: str) -> float | str | None:
    text = text.strip()
    if text == "":
        return None
    try:
        return float(text)
    except ValueError:
        return text


def read_training_index(path: str | Path, train_size: int) -> list[np.ndarray]:
    """DeepPerf's training-index file: row 1 labels each column with its sample size, each later
    row is one experiment; returns the 0-based training rows of each experiment at that size."""
    try:
        grid = np.genfromtxt(path, delimiter=",")
    except OSError as exc:
        raise PimpError(f"{path}: {exc}") from exc
    if grid.ndim != 2 or grid.shape[0] < 2:
        raise PimpError(f"{path}: not a training-index file (a label row, then experiments)")
    columns = np.flatnonzero(grid[0] == train_size)
    if len(columns) != train_size:
        sizes = sorted({int(v) for v in grid[0] if v == v})
        raise PimpError(f"{path}: no block of size {train_size} (sizes: {sizes})")
    return [grid[r, columns].astype(int) for r in range(1, grid.shape[0])]
