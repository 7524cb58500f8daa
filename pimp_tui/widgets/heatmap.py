"""Heat maps of a figure over the (input length, output length) grid: a Rich table for the
terminal and a self-contained SVG file (written by hand: no plotting library is needed; PNG is
not offered, for want of an installed image library).

Colours follow a viridis-like scale, logarithmic when the values span more than a factor of
ten; the cell of the best (lowest) value of each row is starred, and a sweet-spot curve (the
analytical n_out* per input length) is drawn over the SVG.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape

import numpy as np
from rich.table import Table
from rich.text import Text

_STOPS = (
    (68, 1, 84),
    (72, 40, 120),
    (62, 74, 137),
    (49, 104, 142),
    (38, 130, 142),
    (31, 158, 137),
    (53, 183, 121),
    (109, 205, 89),
    (180, 222, 44),
    (253, 231, 37),
)
CELL, LEFT, TOP = 64, 90, 56


def colour(fraction: float) -> tuple[int, int, int]:
    """RGB at `fraction` (0..1) of the scale."""
    f = min(max(fraction, 0.0), 1.0) * (len(_STOPS) - 1)
    i = min(int(f), len(_STOPS) - 2)
    a, b, t = _STOPS[i], _STOPS[i + 1], f - i
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


def _scale(matrix: np.ndarray) -> tuple[np.ndarray, bool]:
    """Each cell's position on the colour scale (NaN stays NaN), and whether it is logarithmic."""
    finite = matrix[np.isfinite(matrix)]
    if finite.size == 0:
        return np.full(matrix.shape, np.nan), False
    low, high = float(finite.min()), float(finite.max())
    log = low > 0 and high / low > 10
    if log:
        values, low, high = np.log(matrix), math.log(low), math.log(high)
    else:
        values = matrix
    span = high - low
    return (values - low) / span if span > 0 else np.zeros(matrix.shape), log


def _best_columns(matrix: np.ndarray) -> list[int | None]:
    return [int(np.nanargmin(row)) if np.isfinite(row).any() else None for row in matrix]


def fmt(value: float) -> str:
    """A figure in 4 significant digits (scientific when tiny or huge)."""
    if not math.isfinite(value):
        return "-"
    if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e5):
        return f"{value:.2e}"
    return f"{value:.4g}"


def heatmap_table(
    matrix: np.ndarray,
    rows: Sequence[int],
    columns: Sequence[int],
    *,
    title: str,
    row_label: str = "input",
    column_label: str = "output",
) -> Table:
    """A Rich table of the matrix, cells coloured by value, each row's minimum starred."""
    scale, log = _scale(matrix)
    best = _best_columns(matrix)
    caption = "* lowest in its row" + ("; colours on a log scale" if log else "")
    table = Table(title=title, caption=caption, show_lines=False, pad_edge=False)
    table.add_column(f"{row_label}\\{column_label}", justify="right", style="bold")
    for column in columns:
        table.add_column(str(column), justify="right")
    for i, row in enumerate(rows):
        cells: list[Text | str] = [str(row)]
        for j in range(len(columns)):
            value = matrix[i, j]
            if not np.isfinite(value):
                cells.append("-")
                continue
            r, g, b = colour(float(scale[i, j]))
            ink = "black" if (0.299 * r + 0.587 * g + 0.114 * b) > 140 else "white"
            mark = "*" if best[i] == j else " "
            cells.append(Text(f"{fmt(value)}{mark}", style=f"{ink} on rgb({r},{g},{b})"))
        table.add_row(*cells)
    return table


def heatmap_svg(
    matrix: np.ndarray,
    rows: Sequence[int],
    columns: Sequence[int],
    *,
    title: str,
    unit: str,
    row_label: str = "input tokens",
    column_label: str = "output tokens",
    curve: Mapping[int, float | None] | None = None,
) -> str:
    """A standalone SVG heat map; `curve` (row value -> column value, e.g. n_out* per input
    length) is drawn as a line, placed on the grid's log2 axis."""
    scale, log = _scale(matrix)
    best = _best_columns(matrix)
    width = LEFT + CELL * len(columns) + 150
    height = TOP + CELL * len(rows) + 60
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{LEFT}" y="22" font-size="15" font-weight="bold">{escape(title)}</text>',
        f'<text x="{LEFT + CELL * len(columns) / 2}" y="{TOP - 22}" text-anchor="middle">'
        f"{escape(column_label)}</text>",
        f'<text x="16" y="{TOP + CELL * len(rows) / 2}" text-anchor="middle" '
        f'transform="rotate(-90 16 {TOP + CELL * len(rows) / 2})">{escape(row_label)}</text>',
    ]
    for j, column in enumerate(columns):
        x = LEFT + CELL * j + CELL / 2
        out.append(f'<text x="{x}" y="{TOP - 6}" text-anchor="middle">{column}</text>')
    for i, row in enumerate(rows):
        y = TOP + CELL * i
        out.append(f'<text x="{LEFT - 8}" y="{y + CELL / 2 + 4}" text-anchor="end">{row}</text>')
        for j in range(len(columns)):
            x = LEFT + CELL * j
            value = matrix[i, j]
            if not np.isfinite(value):
                out.append(f'<rect x="{x}" y="{y}" width="{CELL}" height="{CELL}" fill="#ddd"/>')
                continue
            r, g, b = colour(float(scale[i, j]))
            ink = "black" if (0.299 * r + 0.587 * g + 0.114 * b) > 140 else "white"
            out.append(
                f'<rect x="{x}" y="{y}" width="{CELL}" height="{CELL}" fill="rgb({r},{g},{b})" '
                f'stroke="white"><title>{row} x {columns[j]}: {fmt(value)} {escape(unit)}'
                "</title></rect>"
            )
            weight = ' font-weight="bold"' if best[i] == j else ""
            label = fmt(value) + ("*" if best[i] == j else "")
            out.append(
                f'<text x="{x + CELL / 2}" y="{y + CELL / 2 + 4}" text-anchor="middle" '
                f'font-size="10" fill="{ink}"{weight}>{label}</text>'
            )
    if curve:
        out.append(_curve(curve, rows, columns))
    out.extend(_legend(matrix, log, unit, LEFT + CELL * len(columns) + 20, len(rows)))
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _curve(curve: Mapping[int, float | None], rows: Sequence[int], columns: Sequence[int]) -> str:
    """The sweet-spot line: each row's value placed between column centres in log2."""
    logs = np.log2(np.asarray(columns, dtype=float))
    points = []
    for i, row in enumerate(rows):
        value = curve.get(row)
        if value is None or value <= 0:
            continue
        position = float(np.interp(math.log2(value), logs, np.arange(len(columns))))
        if len(columns) > 1:
            step = logs[1] - logs[0]
            if math.log2(value) > logs[-1]:
                position = len(columns) - 1 + (math.log2(value) - logs[-1]) / step
            elif math.log2(value) < logs[0]:
                position = (math.log2(value) - logs[0]) / step
        position = min(max(position, -0.5), len(columns) - 0.5)
        points.append((LEFT + CELL * (position + 0.5), TOP + CELL * (i + 0.5)))
    if not points:
        return ""
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    dots = "".join(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="#e8175d"/>' for x, y in points)
    return (
        f'<polyline points="{path}" fill="none" stroke="#e8175d" stroke-width="2.5"/>{dots}'
        f'<text x="{LEFT}" y="{TOP + CELL * len(rows) + 22}" fill="#e8175d">'
        "line: most efficient output length per input length (analytical fit)</text>"
    )


def _legend(matrix: np.ndarray, log: bool, unit: str, x: float, rows: int) -> list[str]:
    finite = matrix[np.isfinite(matrix)]
    if finite.size == 0:
        return []
    height = max(CELL * rows, 80)
    steps = 20
    parts = []
    for k in range(steps):
        r, g, b = colour(1 - k / (steps - 1))
        parts.append(
            f'<rect x="{x}" y="{TOP + height * k / steps:.1f}" width="16" '
            f'height="{height / steps + 0.5:.1f}" fill="rgb({r},{g},{b})"/>'
        )
    parts.append(f'<text x="{x + 22}" y="{TOP + 10}">{fmt(float(finite.max()))}</text>')
    parts.append(f'<text x="{x + 22}" y="{TOP + height}">{fmt(float(finite.min()))}</text>')
    scale = " (log)" if log else ""
    parts.append(f'<text x="{x + 22}" y="{TOP + height / 2}">{escape(unit)}{scale}</text>')
    return parts
