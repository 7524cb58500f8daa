"""Charts drawn with Unicode braille (2x4 dots a cell), as Rich Text lines: cheap to render
and light on bytes over SSH.

Kept rather than plotext/textual-plotext: these charts are Rich Text that any Static shows and
snapshot tests compare byte for byte, they mark what a pane needs (a Pareto front, the
recommended point with its intervals, a labelled axis) in a few cells, and they add no
dependency; a terminal plotting library would bring its own widget, axes and legend layout to
fit into 80x24. The report's static figures use matplotlib."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

_BITS = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))
"""Braille dot bit for (row within cell 0-3, column within cell 0-1)."""

PALETTE = ("green", "cyan", "magenta", "yellow", "blue", "red", "white", "bright_green")


class Canvas:
    """A width x height grid of braille cells; one colour per cell (the last dot's)."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = max(width, 1), max(height, 1)
        self._bits = [[0] * self.width for _ in range(self.height)]
        self._style = [[""] * self.width for _ in range(self.height)]

    @property
    def px_width(self) -> int:
        return self.width * 2

    @property
    def px_height(self) -> int:
        return self.height * 4

    def dot(self, x: int, y: int, style: str = "") -> None:
        """Set pixel (x, y); y grows downwards."""
        if 0 <= x < self.px_width and 0 <= y < self.px_height:
            row, col = y // 4, x // 2
            self._bits[row][col] |= _BITS[y % 4][x % 2]
            self._style[row][col] = style

    def line(self, x0: int, y0: int, x1: int, y1: int, style: str = "") -> None:
        steps = max(abs(x1 - x0), abs(y1 - y0), 1)
        for i in range(steps + 1):
            self.dot(round(x0 + (x1 - x0) * i / steps), round(y0 + (y1 - y0) * i / steps), style)

    def mark(self, col: int, row: int, char: str, style: str = "") -> None:
        """A plain character in a cell (Pareto front markers, labels)."""
        if 0 <= row < self.height and 0 <= col < self.width:
            self._bits[row][col] = -ord(char)
            self._style[row][col] = style

    def lines(self) -> list[Text]:
        out = []
        for bits, styles in zip(self._bits, self._style, strict=True):
            text = Text()
            for b, s in zip(bits, styles, strict=True):
                char = chr(-b) if b < 0 else (chr(0x2800 + b) if b else " ")
                text.append(char, style=s or None)
            out.append(text)
        return out


def scale(value: float, lo: float, hi: float, size: int) -> int:
    """Map value in [lo, hi] onto pixels 0..size-1."""
    if hi <= lo:
        return size // 2
    return round((value - lo) / (hi - lo) * (size - 1))


def nice_range(values: Sequence[float], floor_zero: bool = False) -> tuple[float, float]:
    """A range around `values` with a little room; values that are all non-negative (energy,
    time, accuracy) never get a negative axis."""
    if not values:
        return 0.0, 1.0
    lo, hi = min(values), max(values)
    if floor_zero:
        lo = min(lo, 0.0)
    if hi - lo < 1e-9:
        pad = abs(hi) * 0.1 or 1.0
        low, high = lo - pad, hi + pad
    else:
        pad = (hi - lo) * 0.05
        low, high = (lo if floor_zero and lo == 0 else lo - pad), hi + pad
    return (max(low, 0.0) if lo >= 0 else low), high


def line_chart(
    series: Sequence[Sequence[float]],
    width: int,
    height: int,
    y_range: tuple[float, float] | None = None,
    styles: Sequence[str] = PALETTE,
    y_label_width: int = 6,
    unit: str = "",
) -> list[Text]:
    """Each series spread over the full width (index as x), with a left y axis."""
    plot_w = max(width - y_label_width - 1, 2)
    canvas = Canvas(plot_w, height)
    lo, hi = y_range or nice_range([v for s in series for v in s], floor_zero=True)
    for k, values in enumerate(series):
        if not values:
            continue
        style = styles[k % len(styles)]
        n = len(values)
        prev = None
        for i, v in enumerate(values):
            x = scale(i, 0, max(n - 1, 1), canvas.px_width) if n > 1 else 0
            y = canvas.px_height - 1 - scale(v, lo, hi, canvas.px_height)
            if prev is not None:
                canvas.line(prev[0], prev[1], x, y, style)
            else:
                canvas.dot(x, y, style)
            prev = (x, y)
    return _with_axis(canvas.lines(), lo, hi, y_label_width, unit)


def _with_axis(rows: list[Text], lo: float, hi: float, label_w: int, unit: str) -> list[Text]:
    out = []
    last = len(rows) - 1
    for i, row in enumerate(rows):
        if i == 0:
            label = _fmt(hi) + unit
        elif i == last:
            label = _fmt(lo) + unit
        else:
            label = ""
        text = Text(label.rjust(label_w)[:label_w], style="dim")
        text.append("│", style="dim")
        text.append_text(row)
        out.append(text)
    return out


def _fmt(value: float) -> str:
    a = abs(value)
    if a >= 1000:
        return f"{value / 1000:.1f}k"
    if a >= 100 or value == int(value):
        return f"{value:.0f}"
    if a >= 1:
        return f"{value:.1f}"
    return f"{value:.2f}"


def scatter(
    points: Sequence[tuple[float, float]],
    width: int,
    height: int,
    highlight: Sequence[tuple[float, float]] = (),
    style: str = "dim cyan",
    highlight_style: str = "bold yellow",
    y_label_width: int = 6,
    chosen: tuple[float, float, float, float] | None = None,
    chosen_style: str = "bold magenta",
) -> tuple[list[Text], tuple[float, float], tuple[float, float]]:
    """Points as braille dots, highlighted ones (a Pareto front) joined by a line, and a
    `chosen` point (x, y, half-width in x, half-width in y) as ★ with its intervals drawn as
    error bars. Returns the lines and the x and y ranges used."""
    plot_w = max(width - y_label_width - 1, 2)
    canvas = Canvas(plot_w, height)
    xs = [p[0] for p in points] + [p[0] for p in highlight]
    ys = [p[1] for p in points] + [p[1] for p in highlight]
    if chosen is not None:
        cx, cy, dx, dy = chosen
        xs += [max(cx - dx, 0.0) if min(xs, default=0) >= 0 else cx - dx, cx + dx]
        ys += [max(cy - dy, 0.0) if min(ys, default=0) >= 0 else cy - dy, cy + dy]
    x_range, y_range = nice_range(xs), nice_range(ys)

    def px(p: tuple[float, float]) -> tuple[int, int]:
        x = scale(p[0], *x_range, canvas.px_width)
        return x, canvas.px_height - 1 - scale(p[1], *y_range, canvas.px_height)

    for p in points:
        canvas.dot(*px(p), style)
    front = sorted(highlight)
    for a, b in zip(front, front[1:], strict=False):
        canvas.line(*px(a), *px(b), highlight_style)
    for p in front:
        x, y = px(p)
        canvas.mark(x // 2, y // 4, "●", highlight_style)
    if chosen is not None:
        cx, cy, dx, dy = chosen
        canvas.line(*px((cx - dx, cy)), *px((cx + dx, cy)), chosen_style)
        canvas.line(*px((cx, cy - dy)), *px((cx, cy + dy)), chosen_style)
        x, y = px((cx, cy))
        col, row = x // 2, y // 4
        canvas.mark(col, row, "★", chosen_style)
        label = "recommended"
        start = col + 2 if col + 2 + len(label) <= canvas.width else col - 1 - len(label)
        for i, char in enumerate(label):
            canvas.mark(start + i, row, char, chosen_style)
    return _with_axis(canvas.lines(), *y_range, y_label_width, ""), x_range, y_range


def decimate(values: Sequence[float], points: int) -> list[float]:
    """At most `points` values, keeping each bucket's maximum (power spikes stay visible)."""
    n = len(values)
    if n <= points or points <= 0:
        return list(values)
    out = []
    for i in range(points):
        a, b = i * n // points, (i + 1) * n // points
        out.append(max(values[a : max(b, a + 1)]))
    return out


def bar(value: float, maximum: float, width: int) -> str:
    """A horizontal bar with eighth-block resolution."""
    if maximum <= 0 or width <= 0:
        return ""
    eighths = round(max(value, 0) / maximum * width * 8)
    full, rest = divmod(min(eighths, width * 8), 8)
    return "█" * full + ("" if rest == 0 else " ▏▎▍▌▋▊▉"[rest])
