"""How the predictor explorer shows what the predict service answered: a trained predictor's
scores, learning curve, importances and interactions, the measured Pareto front, and the
answers to a query or a recommendation, as Rich renderables sized to the view."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from pimp_tui.widgets.plot import bar, line_chart, scatter


def curve_view(report: Any, width: int, height: int) -> Group:
    """The held-out error against the number of training configurations."""
    sizes = [n for n, _ in report.curve]
    scores = [s for _, s in report.curve]
    from pimp_tui.services.predict import UNITS

    percent = report.curve_metric.upper().startswith("MAPE")
    rows = line_chart([scores], width, height - 2, unit="%" if percent else "")
    unit = "%" if percent else f" {UNITS.get(report.target, '')}".rstrip()
    captions = [
        f"x: training configurations {sizes[0]} … {sizes[-1]}",
        f"y: held-out {report.curve_metric.split()[0]} · last {scores[-1]:.3g}{unit}",
    ]
    return Group(*rows, *_fitted(captions, width))


def importance_table(report: Any, width: int) -> Table | Group:
    """Importance bars, `width` wide at most, under the distrust warning if there is one."""
    table = Table.grid(padding=(0, 1))
    table.add_column(no_wrap=True, max_width=24)
    table.add_column(no_wrap=True)
    table.add_column(justify="right")
    top = report.importance[:30]
    biggest = max((v for _, v in top), default=0.0)
    for name, value in top:
        table.add_row(name, Text(bar(value, biggest, width), style="green"), f"{value:.3g}")
    caption = Text(f"error increase ({report.curve_metric}) when the feature is shuffled",
                   style="dim")  # fmt: skip
    if report.distrust:
        return Group(Text(f"{report.target}: {report.distrust}", style="bold red"), table,
                     caption)  # fmt: skip
    return Group(table, caption)


def pareto_view(
    data: Any, chosen: tuple[float, float, float, float] | None, width: int, height: int
) -> Group:
    """The measured configurations, energy against accuracy, the front joined and marked, the
    recommendation's prediction (`chosen`) starred with its intervals."""
    rows, x_range, _ = scatter(data.points, width, height - 3, highlight=data.front, chosen=chosen)
    captions = [
        f"x: energy {x_range[0]:.3g} … {x_range[1]:.3g} J · y: {data.y_label}",
        f"{len(data.points) - len(data.front)} dominated (dots) · ● {len(data.front)} on "
        "the front" + (" · ★ recommended, bars: 68% intervals" if chosen else ""),
    ]
    lines = _fitted(captions, width)
    best = Text("front: " + "  ".join(data.front_labels[:4]), style="yellow",
                no_wrap=True, overflow="ellipsis")  # fmt: skip
    best.truncate(width, overflow="ellipsis")
    return Group(*rows, *lines, best)


def _fitted(lines: list[str], width: int) -> list[Text]:
    """Caption lines cut to the view's width: a caption never runs into the next line."""
    out = []
    for line in lines:
        text = Text(line, style="dim", no_wrap=True, overflow="ellipsis")
        text.truncate(width, overflow="ellipsis")
        out.append(text)
    return out


def scores_text(report: Any, reports: dict[str, Any]) -> Text:
    text = Text()
    if report.distrust:
        text.append(report.distrust.upper() + "\n", style="bold red")
    text.append(f"{report.target}", style="bold")
    text.append(f" · {report.learner} · {report.n} configurations · {report.folds}-fold CV: ")
    text.append(report.headline, style="bold red" if report.distrust else "bold green")
    text.append(f"\n{report.calibration}", style="dim")
    others = [t for t in reports if t != report.target]
    if others:
        text.append(" · also trained: " + ", ".join(others), style="dim")
    return text


def _warnings(warnings: list[str]) -> list[Text]:
    return [Text(w, style="bold red") for w in warnings]


def interactions_table(report: Any) -> Table | Text:
    if not report.interactions:
        return Text("no pairwise interactions found", style="dim")
    table = Table("feature", "with", "H²", box=None, padding=(0, 1), header_style="bold")
    for a, b, value in report.interactions[:20]:
        table.add_row(a, b, f"{value:.3f}")
    return table


def prediction_table(answer: Any) -> Group:
    table = Table("metric", "predicted", "±", "learner", box=None, padding=(0, 1),
                  header_style="bold")  # fmt: skip
    for metric, mean, std, learner in answer.rows:
        table.add_row(metric, f"{mean:.4g}", "-" if std is None else f"{std:.3g}", learner)
    config = Text("configuration: " + answer.config_text, style="dim")
    return Group(*_warnings(answer.warnings), table, config)


def recommendation(answer: Any) -> Group | Text:
    if not answer.rows:
        message = Text(answer.message or "no configuration satisfies the constraints", "yellow")
        return Group(*_warnings(answer.warnings), message)
    table = Table("metric", "predicted", "±", "measured within", box=None, padding=(0, 1),
                  header_style="bold")  # fmt: skip
    for metric, mean, std, within in answer.rows:
        table.add_row(metric, f"{mean:.4g}", f"{std:.3g}", str(within))
    head = Text(answer.message or "recommended", style="bold green")
    return Group(*_warnings(answer.warnings), head, Text(answer.config_text), table)
