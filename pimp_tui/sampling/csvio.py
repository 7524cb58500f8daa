"""Samples as CSV: one column per feature named as in the model, one row per configuration.

Every CSV of configurations pimp writes (`pimp sample --out`, the Sample pane's export) comes
from `write_configs`: a Boolean as true/false (as the runs export writes it), a typed feature as
its value, a deselected typed feature as an empty cell, columns in the model's feature order.
Reading accepts true/false, 0/1 and yes/no, casts typed values to the feature's type, ignores
columns that name no feature (task columns, measurements) and rejects a file that lacks a
feature's column.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from pathlib import Path

from pimp_tui.errors import PimpError
from pimp_tui.files import read_text, replaced_atomically
from pimp_tui.variability.model import Configuration, FeatureModel, FeatureType, Value

TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}


def format_value(value: Value | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def write_configs(
    model: FeatureModel | Sequence[str], configs: Iterable[Configuration], out: io.TextIOBase
) -> None:
    """The one CSV writer of configurations: a header of feature names (the model's, in its
    order, or the names given), then one row per configuration."""
    names = list(model) if isinstance(model, Sequence) else model.feature_names()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(names)
    for config in configs:
        writer.writerow([format_value(config.get(name)) for name in names])


def save_configs(
    model: FeatureModel | Sequence[str], configs: Sequence[Configuration], path: str | Path
) -> None:
    """Write the configurations to `path`, replacing it atomically."""
    with replaced_atomically(path) as temp, open(temp, "w", newline="", encoding="utf-8") as out:
        write_configs(model, configs, out)


def read_configs(model: FeatureModel, path: str | Path) -> list[Configuration]:
    """Configurations from a CSV file; PimpError names the file, row and column of a bad cell."""
    rows = list(csv.reader(io.StringIO(read_text(path), newline="")))
    if not rows:
        raise PimpError(f"{path}: empty CSV file (expected a header of feature names)")
    header = [h.strip() for h in rows[0]]
    features = {f.name: f for f in model.features()}
    lacking = [name for name in features if name not in header]
    if lacking:
        shown = ", ".join(lacking[:5]) + (" ..." if len(lacking) > 5 else "")
        raise PimpError(f"{path}: no column for {len(lacking)} feature(s): {shown}")
    columns = {name: header.index(name) for name in features}
    out: list[Configuration] = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        config: Configuration = {}
        for name, col in columns.items():
            cell = row[col].strip() if col < len(row) else ""
            config[name] = _parse(features[name].type, cell, f"{path}:{number}: {name}")
        out.append(config)
    return out


def _parse(kind: FeatureType, cell: str, where: str) -> Value | None:
    if kind is FeatureType.BOOLEAN:
        low = cell.lower()
        if low in TRUE:
            return True
        if low in FALSE:
            return False
        raise PimpError(f"{where}: expected 0 or 1, got {cell!r}")
    if cell == "":
        return None
    try:
        if kind is FeatureType.INTEGER:
            return int(cell)
        if kind is FeatureType.REAL:
            return float(cell)
    except ValueError as exc:
        raise PimpError(f"{where}: expected a number, got {cell!r}") from exc
    return cell
