"""One run, opened: what it ran with, what it measured (with units), how far to trust it, what
it generated, and why it failed. `pimp runs show` prints it; the Monitor shows it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pimp_tui.services import open_db

METRICS: tuple[tuple[str, str, str], ...] = (
    ("energy_j", "energy (gross)", "J"),
    ("energy_net_j", "energy (net of idle)", "J"),
    ("energy_per_token_j", "energy per output token", "J/token"),
    ("energy_net_per_token_j", "net energy per output token", "J/token"),
    ("energy_per_request_j", "energy per request", "J/request"),
    ("latency_s", "latency", "s"),
    ("ttft_s", "time to first token", "s"),
    ("tpot_s", "time per output token", "s/token"),
    ("tokens_per_s", "throughput", "tokens/s"),
    ("input_tokens", "input tokens", "tokens"),
    ("output_tokens", "output tokens", "tokens"),
    ("peak_memory_bytes", "peak memory", "MiB"),
    ("accuracy", "accuracy", "fraction correct"),
    ("correct", "correct", "requests"),
    ("requests", "requests", "prompts"),
    ("window_s", "energy window", "s"),
    ("prefill_energy_j", "prefill energy", "J"),
    ("decode_energy_j", "decode energy", "J"),
    ("prefill_latency_s", "prefill latency", "s"),
    ("decode_latency_s", "decode latency", "s"),
)


@dataclass
class RunView:
    run_id: int
    title: str
    facts: list[tuple[str, str]] = field(default_factory=list)
    settings: list[tuple[str, str]] = field(default_factory=list)
    metrics: list[tuple[str, str]] = field(default_factory=list)
    sensor: list[tuple[str, str]] = field(default_factory=list)
    caveats: list[str] = field(default_factory=list)
    trace: dict[int, list[tuple[float, float]]] = field(default_factory=dict)
    """(seconds since the window opened, watts) per device."""
    outputs: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    traceback: str | None = None

    def trace_summary(self) -> str:
        if not self.trace:
            return "no power samples stored"
        parts = []
        for device, points in sorted(self.trace.items()):
            watts = [w for _, w in points]
            parts.append(
                f"dev{device}: {len(points)} samples over {points[-1][0] - points[0][0]:.1f} s, "
                f"mean {sum(watts) / len(watts):.1f} W, max {max(watts):.1f} W"
            )
        return "; ".join(parts)

    def as_text(self) -> str:
        """Plain text, section by section (what `pimp runs show` prints)."""
        lines = [self.title]
        lines += [f"  {k}: {v}" for k, v in self.facts]
        for heading, rows in (("settings (effective)", self.settings), ("metrics", self.metrics),
                              ("sensor", self.sensor)):  # fmt: skip
            if rows:
                lines.append(heading)
                width = max(len(k) for k, _ in rows)
                lines += [f"  {k.ljust(width)}  {v}" for k, v in rows]
        lines += [f"  caveat: {c}" for c in self.caveats]
        lines.append(f"power trace: {self.trace_summary()}")
        if self.outputs:
            lines.append("outputs")
            for number, item in enumerate(self.outputs, 1):
                lines.append(f"  {number}. {_mark(item.get('correct'))} {_one_line(item)}")
        if self.error:
            lines.append(f"error: {self.error}")
        if self.traceback:
            lines.append("traceback:")
            lines += ["  " + line for line in self.traceback.rstrip().splitlines()]
        return "\n".join(lines)


def _mark(correct: bool | None) -> str:
    return {True: "correct", False: "wrong", None: "unscored"}[correct]


def _one_line(item: dict[str, Any]) -> str:
    prompt = " ".join(str(item.get("prompt", "")).split())
    output = " ".join(str(item.get("output", "")).split())
    answer = item.get("answer")
    expected = f" (expected {answer})" if answer not in (None, "") else ""
    return f"{prompt} -> {output!r}{expected}"


def run_view(db_path: str | Path, run_id: int) -> RunView:
    from pimp_tui.store.runs import run_details

    db = open_db(db_path)
    try:
        run = run_details(db, run_id)
    finally:
        db.conn.close()
    return describe(run)


def describe(run: dict[str, Any]) -> RunView:
    """A stored run (`store.runs.run_details`) as the sections a user reads."""
    view = RunView(
        run["id"],
        f"run {run['id']} · campaign {run['campaign_id']} · cfg {run['configuration_id']} "
        f"rep {run['repetition'] + 1} · position {run['position'] + 1}/{run['total']} · "
        f"{run['status']}",
    )
    view.facts = [
        ("task", f"{run['task']} × {run['prompts']} prompts"),
        ("model", run["llm"]),
        (
            "device",
            " · ".join(str(v) for v in (run.get("device"), run.get("hardware")) if v) or "-",
        ),
        ("started", run["started_at"] or "-"),
        ("finished", run["finished_at"] or "-"),
    ]
    settings = run["settings"] or {}
    for group in ("load", "generate"):
        for key, value in sorted((settings.get(group) or {}).items()):
            view.settings.append((f"{group}.{key}", repr(value)))
    for key in sorted(k for k in settings if k not in ("load", "generate")):
        view.settings.append((key, repr(settings[key])))
    if not view.settings:
        shown = run.get("effective") or run["config"]
        view.settings = [(k, repr(v)) for k, v in shown.items() if v not in (None, False)]
        view.caveats.append("no arguments stored: the configuration is shown")
    if run.get("effective_source") == "derived":
        view.caveats.append("stored before runs kept their configuration: it was derived from "
                            "the arguments recorded and the campaign's override")  # fmt: skip
    for key, label, unit in METRICS:
        value = run.get(key)
        if value is None:
            continue
        if key == "peak_memory_bytes":
            value = value / 2**20
        view.metrics.append((label, f"{_number(value)} {unit}"))
    view.sensor = _sensor_rows(run)
    view.caveats += run_caveats(run)
    for point in run["trace"]:
        view.trace.setdefault(point["device"], []).append((point["t"], point["watts"]))
    view.outputs = run["outputs"] or []
    view.error, view.traceback = run["error"], run["traceback"]
    return view


def _number(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1000 else f"{value:,.1f}"
    return str(value)


def _sensor_rows(run: dict[str, Any]) -> list[tuple[str, str]]:
    rows = [("sensor", run.get("sensor") or "-")]
    if run.get("sensor") == "estimate":
        rows.append(("estimate", estimate_figure(run.get("params"))))
    if run.get("power_source"):
        rows.append(("power source", run["power_source"]))
    if run.get("energy_method"):
        rows.append(("energy method", run["energy_method"]))
    if run.get("idle_watts") is not None:
        rows.append(("idle baseline", f"{run['idle_watts']:.2f} W (campaign)"))
    if run.get("memory_source"):
        rows.append(("memory from", run["memory_source"]))
    versions = run.get("versions") or {}
    if versions:
        rows.append(("versions", ", ".join(f"{k} {v}" for k, v in sorted(versions.items()))))
    return rows


def estimate_figure(params: dict[str, Any] | None) -> str:
    """What the estimate sensor assumed for a campaign (its `--cpu-watts`, or the default)."""
    from pimp_tui.measure.sensors.estimate import DEFAULT_WATTS_PER_CORE

    watts = (params or {}).get("cpu_watts") or DEFAULT_WATTS_PER_CORE
    return f"CPU time × {float(watts):g} W per busy core (a stated figure, not a measurement)"


def run_caveats(run: dict[str, Any]) -> list[str]:
    """What to keep in mind when reading a run's figures (a run row or `run_details`)."""
    notes = []
    if run.get("sensor") == "estimate":
        notes.append("energy is an estimate (CPU time × a stated power figure), not a measurement")
    if run.get("short_window"):
        notes.append("window under ~1 s: the energy counter updates about every 100 ms, so the "
                     "energy is coarse (or missing)")  # fmt: skip
    if run.get("prefill_short_window"):
        notes.append("the prefill window was short: prefill/decode split is coarse")
    if run.get("energy_method") and "integrated" in run["energy_method"]:
        notes.append("energy integrated from power polling (no energy counter on this device)")
    if run.get("memory_source") == "process peak rss":
        notes.append("peak memory is the process's peak RSS, not this run's alone")
    if run.get("accuracy") is None and run.get("status") == "done":
        notes.append("no accuracy: the task is unscored or the model has random weights")
    return notes
