"""The report's static figures: matplotlib (the `report` extra) drawn off-screen into inline
SVG. Axes carry units, energy and power axes start at zero, intervals are drawn as error bars,
and legends sit outside the data."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from typing import Any

from pimp_tui.errors import PimpError
from pimp_tui.report.content import Effect, Predictor, Trace

WIDTH, HEIGHT = 7.5, 3.4
"""Figure size in inches (at 96 dpi about 720 × 330 px)."""
MAX_TRACES = 24
"""Runs drawn on the power-trace plot; more would be a smear."""
MAX_BARS = 20


def require_matplotlib() -> None:
    """PimpError unless matplotlib (the `report` extra) imports: checked before a report
    reads and learns for seconds only to fail at its first plot."""
    try:
        import matplotlib  # noqa: F401
    except ModuleNotFoundError:
        raise PimpError(
            "the report's plots need matplotlib: pip install 'pimp-tui[report]'"
        ) from None


def _figure(height: float = HEIGHT) -> Any:
    require_matplotlib()
    import matplotlib

    matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text: smaller, selectable
    matplotlib.rcParams["svg.hashsalt"] = "pimp"  # the same report gives the same ids
    from matplotlib.figure import Figure

    return Figure(figsize=(WIDTH, height), layout="constrained")


def _svg(fig: Any) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    # Inline SVG needs neither the XML declaration, the DOCTYPE nor the RDF metadata.
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, count=1, flags=re.S)
    text = re.sub(r'\s+xmlns:(?:dc|cc|rdf)="[^"]*"', "", text)
    return re.sub(r"^.*?(<svg\b)", r"\1", text, count=1, flags=re.S)


def power_traces(traces: Sequence[Trace]) -> str:
    fig = _figure()
    ax = fig.add_subplot()
    top = 0.0
    for trace in traces[:MAX_TRACES]:
        xs = [t for t, _ in trace.points]
        ys = [w for _, w in trace.points]
        ax.plot(xs, ys, linewidth=1, label=trace.label, marker="." if len(xs) < 4 else None)
        top = max(top, *ys)
    ax.set_xlabel("time since the run's window opened (s)")
    ax.set_ylabel("power (W)")
    ax.set_xlim(left=0)
    ax.set_ylim(0, top * 1.08 or 1.0)
    ax.grid(alpha=0.3)
    if len(traces) <= 12:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False)
    return _svg(fig)


def effects(rows: Sequence[Effect], target: str, label: str) -> str:
    """Mean of `target` per feature value, drawn as bars from zero, the overall mean marked."""
    shown = [r for r in rows if r.means.get(target) is not None]
    shown.sort(key=lambda r: r.means[target] or 0.0)
    shown = shown[-MAX_BARS:]
    fig = _figure(max(2.2, 0.22 * len(shown) + 1.0))
    ax = fig.add_subplot()
    values = [r.means[target] or 0.0 for r in shown]
    names = [f"{r.feature}={r.value} ({r.runs})" for r in shown]
    ax.barh(range(len(shown)), values, color="#4c78a8")
    ax.set_yticks(range(len(shown)), names, fontsize=7)
    ax.set_xlabel(f"mean {label} over the runs with that value")
    ax.set_xlim(left=min(0.0, *values) if values else 0.0)
    ax.grid(axis="x", alpha=0.3)
    return _svg(fig)


def learning_curves(predictors: Sequence[Predictor]) -> str:
    fig = _figure()
    axes = fig.subplots(1, max(len(predictors), 1), squeeze=False)[0]
    for ax, p in zip(axes, predictors, strict=False):
        xs = [n for n, _ in p.curve]
        ys = [e for _, e in p.curve]
        ax.plot(xs, ys, marker="o", color="#f58518")
        unit = "%" if p.curve_metric.upper().startswith("MAPE") else (p.unit or "")
        ax.set_title(p.target, fontsize=9)
        ax.set_xlabel("training configurations")
        ax.set_ylabel(f"held-out {p.curve_metric}" + (f" ({unit})" if unit else ""))
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
    return _svg(fig)


def importances(predictor: Predictor) -> str:
    top = [(n, v) for n, v in predictor.importance[:MAX_BARS]][::-1]
    fig = _figure(max(2.0, 0.22 * len(top) + 1.0))
    ax = fig.add_subplot()
    ax.barh(range(len(top)), [v for _, v in top], color="#54a24b")
    ax.set_yticks(range(len(top)), [n for n, _ in top], fontsize=7)
    ax.set_xlabel(f"{predictor.target}: increase of {predictor.curve_metric} when shuffled")
    ax.grid(axis="x", alpha=0.3)
    return _svg(fig)


def pareto(
    points: Sequence[tuple[float, float]],
    front: Sequence[tuple[float, float]],
    chosen: tuple[float, float, float, float] | None,
) -> str:
    """Energy (J) against accuracy: dominated configurations grey, the front joined as a
    staircase, the recommended configuration with its 68% intervals and a label."""
    fig = _figure(3.8)
    ax = fig.add_subplot()
    dominated = [p for p in points if p not in front]
    if dominated:
        ax.scatter(*zip(*dominated, strict=True), s=14, color="#9d9d9d", label="dominated")
    ordered = sorted(front)
    if ordered:
        ax.step(*zip(*ordered, strict=True), where="post", color="#e45756", linewidth=1)
        ax.scatter(*zip(*ordered, strict=True), s=26, color="#e45756", label="Pareto front",
                   zorder=3)  # fmt: skip
    right = max([p[0] for p in points] + [0.0])
    if chosen is not None:
        energy, accuracy, de, da = chosen
        ax.errorbar([energy], [accuracy], xerr=[de], yerr=[da], fmt="*", markersize=11,
                    color="#4c78a8", capsize=3, label="recommended (68% intervals)",
                    zorder=4)  # fmt: skip
        ax.annotate("recommended", (energy, accuracy), textcoords="offset points",
                    xytext=(8, -12), fontsize=8, color="#4c78a8")  # fmt: skip
        right = max(right, energy + de)
    ax.set_xlim(0, right * 1.08 or 1.0)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("energy per run (J)")
    ax.set_ylabel("accuracy (fraction correct)")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    return _svg(fig)
