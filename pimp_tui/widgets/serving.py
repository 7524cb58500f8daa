"""A serving run in flight as one line of text: requests arrived, in flight and finished, the
latency distribution so far (percentiles and a histogram) and the energy per finished request.
It renders what it is given; the screen fetches it (services.monitor.CampaignState.serving)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.text import Text

BARS = " ▁▂▃▄▅▆▇█"
BINS = 16


def histogram(values: Sequence[float], bins: int = BINS) -> str:
    """Counts of `values` in `bins` equal bins from 0 to the largest, as bar characters."""
    if not values:
        return ""
    top = max(values) or 1.0
    counts = [0] * bins
    for value in values:
        counts[min(bins - 1, int(bins * value / top))] += 1
    peak = max(counts)
    return "".join(BARS[0 if not c else max(1, round(8 * c / peak))] for c in counts)


def _quantile(values: Sequence[float], q: float) -> float:
    data = sorted(values)
    position = (len(data) - 1) * q
    low = int(position)
    high = min(low + 1, len(data) - 1)
    return data[low] + (data[high] - data[low]) * (position - low)


def serving_text(live: Mapping[str, Any]) -> Text:
    """'requests 12/20 arrived · 3 in flight · 9 done · latency p50 … p99 … 0–1.2 s ▂▅█▃ ·
    ≈ 4.1 J/request'."""
    line = Text("requests ")
    line.append(f"{live.get('arrived', 0)}/{live.get('total', 0)}", style="bold")
    line.append(f" arrived · {live.get('in_flight', 0)} in flight · ")
    line.append(f"{live.get('finished', 0)} done", style="bold")
    latencies = [float(x) for x in live.get("latencies") or []]
    if latencies:
        p50, p90, p99 = (_quantile(latencies, q) for q in (0.5, 0.9, 0.99))
        line.append(f" · latency p50 {p50:.2f} s p90 {p90:.2f} s p99 {p99:.2f} s ")
        line.append(f"0–{max(latencies):.2f} s ", style="dim")
        line.append(histogram(latencies), style="cyan")
    joules = live.get("joules_per_request")
    if joules is not None:
        line.append(f" · ≈ {joules:.3g} J/request", style="bold")
    return line
