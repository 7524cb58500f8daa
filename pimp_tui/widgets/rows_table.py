"""A read-only table that only renders the rows on screen, so a sample of thousands of
configurations scrolls as fast as one of ten. Row 0 is a header that stays put."""

from __future__ import annotations

from collections.abc import Sequence

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

MAX_COL = 16


def cell(value: object) -> str:
    if value is True:
        return "✓"
    if value is False:
        return "·"
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


class RowsTable(ScrollView, can_focus=True):
    DEFAULT_CSS = """
    RowsTable { background: $surface; }
    RowsTable:focus { background-tint: $foreground 3%; }
    """
    BINDINGS = [
        Binding("up,k", "move(-1)", "Up", show=False),
        Binding("down,j", "move(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "jump(0)", "First", show=False),
        Binding("end", "jump(-1)", "Last", show=False),
        Binding("left,h", "pan(-8)", "Left", show=False),
        Binding("right,l", "pan(8)", "Right", show=False),
    ]
    cursor = reactive(0)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._columns: list[str] = []
        self._rows: list[list[str]] = []
        self._widths: list[int] = []

    @property
    def row_count(self) -> int:
        return len(self._rows)

    def set_rows(self, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
        """Replace the content; values are formatted once here, not on every repaint."""
        self._columns = [str(c) for c in columns]
        self._rows = [[cell(v) for v in row] for row in rows]
        probe = self._rows[:500]
        self._widths = [
            min(max([len(c)] + [len(r[i]) for r in probe if i < len(r)]), MAX_COL)
            for i, c in enumerate(self._columns)
        ]
        self.cursor = 0
        self._resize()

    def _resize(self) -> None:
        width = sum(w + 1 for w in self._widths) + 6
        self.virtual_size = Size(width, len(self._rows) + 1)
        self.refresh()

    def _line(self, values: Sequence[str], number: str, style: Style) -> list[Segment]:
        parts = [number.rjust(5) + " "]
        for text, width in zip(values, self._widths, strict=False):
            shown = text if len(text) <= width else text[: width - 1] + "…"
            parts.append(shown.ljust(width) + " ")
        return [Segment("".join(parts), style)]

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        base = self.rich_style
        if y == 0:
            header = base + Style(bold=True, underline=True)
            segments = self._line(self._columns, "#", header)
        else:
            index = scroll_y + y - 1
            if index >= len(self._rows):
                return Strip.blank(width, base)
            style = base
            if index == self.cursor:
                style = base + Style(reverse=True)
            segments = self._line(self._rows[index], str(index + 1), style)
        strip = Strip(segments)
        return strip.crop(scroll_x, scroll_x + width).extend_cell_length(width, base)

    def watch_cursor(self, old: int, new: int) -> None:
        visible = max(self.size.height - 1, 1)
        top = self.scroll_offset.y
        if new < top:
            self.scroll_to(y=new, animate=False)
        elif new >= top + visible:
            self.scroll_to(y=new - visible + 1, animate=False)
        self.refresh()

    def action_move(self, delta: int) -> None:
        if self._rows:
            self.cursor = max(0, min(len(self._rows) - 1, self.cursor + delta))

    def action_page(self, direction: int) -> None:
        self.action_move(direction * max(self.size.height - 2, 1))

    def action_jump(self, where: int) -> None:
        if self._rows:
            self.cursor = 0 if where == 0 else len(self._rows) - 1

    def action_pan(self, delta: int) -> None:
        self.scroll_to(x=max(self.scroll_offset.x + delta, 0), animate=False)
