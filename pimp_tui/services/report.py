"""`pimp report CAMPAIGN`: one campaign as one self-contained HTML file — its settings, sensor
and caveats, runs, power traces, per-feature effects, predictors trained on its runs (scores,
learning curves, importances, interactions), the measured Pareto front and a recommendation.
The CLI and the workbench both call `write_report`."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pimp_tui.errors import PimpError
from pimp_tui.predict.progress import Progress as Progress  # the type front ends receive
from pimp_tui.predict.progress import ProgressCallback
from pimp_tui.report.content import CampaignReport, Effect, Predictor, Recommended, Trace
from pimp_tui.services import open_db

REPORT_TARGETS = ("energy_j", "latency_s", "accuracy")
"""Targets the report trains a predictor for, where the campaign measured enough of them."""
EFFECT_TARGETS = (
    ("energy_j", "energy (J)"), ("latency_s", "latency (s)"),
    ("tokens_per_s", "throughput (tokens/s)"), ("accuracy", "accuracy"),
)  # fmt: skip
REPORT_LEARNER = "rf"
"""The paper's learner, and fast: a report is written in seconds on a small campaign."""
MAX_TRACES = 24


@dataclass(frozen=True)
class Written:
    path: Path
    size: int
    """Bytes written."""


def write_report(
    db_path: str | Path,
    campaign_id: int,
    out: str | Path,
    constraints: str | None = None,
    progress: ProgressCallback | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> Written:
    """Build the report of `campaign_id` and write it to `out` (replaced only once complete)."""
    from pimp_tui.files import check_output, write_text
    from pimp_tui.report.html import render
    from pimp_tui.report.plots import require_matplotlib

    target = check_output(out, "--out", protect=[db_path])
    require_matplotlib()
    report = campaign_report(db_path, campaign_id, constraints, progress, cancelled)
    text = render(report)
    write_text(target, text)
    return Written(target, len(text.encode("utf-8")))


def campaign_report(
    db_path: str | Path,
    campaign_id: int,
    constraints: str | None = None,
    progress: ProgressCallback | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> CampaignReport:
    from pimp_tui.services.predict import measured_pareto
    from pimp_tui.services.runs import run_caveats
    from pimp_tui.store.campaigns import get_campaign, run_trace, runs_rows
    from pimp_tui.store.samples import load_sample

    db = open_db(db_path)
    try:
        camp = get_campaign(db, campaign_id)
        sample, _ = load_sample(db, camp["sample_id"])
        rows = runs_rows(db, campaign_id)
        done = [r for r in rows if r["status"] == "done"]
        traced = done[:MAX_TRACES]
        traces = [
            Trace(f"run {r['run_id']} (cfg {r['configuration_id']})",
                  [(p["t"], p["watts"]) for p in run_trace(db, r["run_id"])])
            for r in traced
        ]  # fmt: skip
    finally:
        db.conn.close()
    traces = [t for t in traces if t.points]
    features = _features(rows)
    varying = [f for f in features if len({repr(r.get(f)) for r in done}) > 1]
    caveats: list[str] = []
    for row in done:
        caveats += [c for c in run_caveats(row) if c not in caveats]
    predictors, reports, note = _train(db_path, campaign_id, progress, cancelled)
    pareto = measured_pareto(db_path, campaign_id)
    recommended, chosen, rec_note = _recommend(db_path, reports, done, constraints, cancelled)
    name = f" {camp['name']!r}" if camp.get("name") else ""
    return CampaignReport(
        title=f"pimp campaign {campaign_id}{name}: {camp['llm']} on {camp['task']}",
        generated=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        settings=_settings(camp, sample),
        sensor=_sensor(camp, done),
        caveats=caveats,
        run_columns=RUN_COLUMNS,
        runs=[_run_cells(r, varying) for r in rows if r["status"] in ("done", "failed")],
        traces=traces,
        trace_note=_trace_note(len(done), len(traced), len(traces)),
        effect_targets=[
            (t, label)
            for t, label in EFFECT_TARGETS
            if any(isinstance(r.get(t), (int, float)) for r in done)
        ],  # fmt: skip
        effects=_effects(done, varying),
        predictors=predictors,
        predictor_note=note,
        pareto_points=pareto.points,
        pareto_front=pareto.front,
        pareto_labels=pareto.front_labels,
        recommendation=recommended,
        recommendation_note=rec_note,
        chosen=chosen,
    )


def _features(rows: list[dict[str, Any]]) -> list[str]:
    from pimp_tui.store.campaigns import METRIC_COLUMNS, RUN_KEYS

    skip = set(RUN_KEYS) | set(METRIC_COLUMNS)
    out: list[str] = []
    for row in rows:
        out.extend(k for k in row if k not in skip and k not in out)
    return out


def _settings(camp: dict[str, Any], sample: dict[str, Any]) -> list[tuple[str, str]]:
    params = camp.get("params") or {}
    rows = [
        ("campaign", f"{camp['id']}" + (f" ({camp['name']})" if camp.get("name") else "")),
        ("status", camp["status"] + (f": {camp['error']}" if camp.get("error") else "")),
        ("language model", camp["llm"]),
        ("task", f"{camp['task']} × {camp['prompts']} prompts"),
        ("repetitions", str(camp["repetitions"])),
        ("seed", str(camp["seed"])),
        (
            "sample",
            f"#{sample['id']} {sample['name']} of model {sample['model']}: "
            f"{sample['algorithm']}, {sample['size']} configurations",
        ),  # fmt: skip
        ("runs", f"{camp['done']} done, {camp['failed']} failed, {camp['total']} planned"),
        ("created", camp.get("created_at") or "-"),
        ("started", camp.get("started_at") or "-"),
        ("finished", camp.get("finished_at") or "-"),
    ]
    rows += [(f"parameter {k}", str(v)) for k, v in sorted(params.items())]
    return rows


def _sensor(camp: dict[str, Any], done: list[dict[str, Any]]) -> list[tuple[str, str]]:
    def distinct(key: str) -> str:
        values = sorted({str(r[key]) for r in done if r.get(key) not in (None, "")})
        return ", ".join(values) or "-"

    rows = [("sensor", camp.get("sensor") or distinct("sensor") or "automatic")]
    rows.append(("energy method", distinct("energy_method")))
    rows.append(("power source", distinct("power_source")))
    if camp.get("idle_watts") is not None:
        rows.append(("idle baseline", f"{camp['idle_watts']:.2f} W (measured once, subtracted "
                                      "for net energy)"))  # fmt: skip
    if camp.get("sensor") == "estimate" or distinct("sensor") == "estimate":
        from pimp_tui.services.runs import estimate_figure

        rows.append(("estimate", estimate_figure(camp.get("params"))))
    versions: dict[str, str] = {}
    for row in done:
        for key, value in (_json(row.get("versions")) or {}).items():
            versions.setdefault(key, str(value))
    if versions:
        rows.append(("versions", ", ".join(f"{k} {v}" for k, v in sorted(versions.items()))))
    return rows


def _json(value: Any) -> Any:
    import json

    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


RUN_COLUMNS = ["run", "cfg", "rep", "status", "energy J", "latency s", "tokens/s", "accuracy",
               "settings (varying)", "error"]  # fmt: skip


def _run_cells(row: dict[str, Any], varying: list[str]) -> list[str]:
    from pimp_tui.services.predict import summary

    def num(key: str) -> str:
        value = row.get(key)
        return f"{value:.4g}" if isinstance(value, (int, float)) else "-"

    config = {f: row.get(f) for f in varying}
    return [str(row["run_id"]), str(row["configuration_id"]), str(row["repetition"] + 1),
            row["status"], num("energy_j"), num("latency_s"), num("tokens_per_s"),
            num("accuracy"), summary(config, 8), (row.get("error") or "")[:160]]  # fmt: skip


def _trace_note(done: int, traced: int, drawn: int) -> str:
    if not done:
        return "no finished run: no power trace"
    if not drawn:
        return "no power samples were stored for the finished runs"
    more = f" (the first {traced} of {done} finished runs)" if traced < done else ""
    return f"power sampled during each run's measurement window, {drawn} runs drawn{more}"


def _effects(done: list[dict[str, Any]], varying: list[str]) -> list[Effect]:
    out = []
    for feature in varying:
        groups: dict[str, list[dict[str, Any]]] = {}
        for row in done:
            value = row.get(feature)
            groups.setdefault("off" if value in (None, False) else str(value), []).append(row)
        for value, group in sorted(groups.items()):
            means = {}
            for target, _ in EFFECT_TARGETS:
                values = [r[target] for r in group if isinstance(r.get(target), (int, float))]
                means[target] = statistics.fmean(values) if values else None
            out.append(Effect(feature, value, len(group), means))
    return out


def _train(
    db_path: str | Path,
    campaign_id: int,
    progress: ProgressCallback | None,
    cancelled: Callable[[], bool] | None,
) -> tuple[list[Predictor], dict[str, Any], str]:
    from pimp_tui.services.predict import MIN_CONFIGURATIONS, UNITS, load_dataset, train_report

    data = load_dataset(db_path, campaign_id)
    predictors, reports, skipped = [], {}, []
    for target in REPORT_TARGETS:
        values = [v for v in data.targets[target] if v is not None]
        if len(values) < MIN_CONFIGURATIONS or len(set(values)) < 2:
            why = "constant" if values and len(set(values)) < 2 else f"{len(values)} measured"
            skipped.append(f"{target} ({why})")
            continue
        report = train_report(db_path, target, REPORT_LEARNER, progress=progress,
                              cancelled=cancelled, campaign_id=campaign_id)  # fmt: skip
        reports[target] = report
        predictors.append(Predictor(
            target, UNITS.get(target, ""), report.learner, report.n, report.folds, report.r2,
            report.mae, report.mape, report.coverage68, report.coverage95, report.curve,
            report.curve_metric, report.importance, report.interactions, report.distrust,
        ))  # fmt: skip
    note = (f"{REPORT_LEARNER} predictors trained on this campaign's finished runs, "
            "repetitions averaged per configuration")  # fmt: skip
    if skipped:
        note += f"; not trained (at least {MIN_CONFIGURATIONS} configurations with differing " \
                f"values are needed): {', '.join(skipped)}"  # fmt: skip
    return predictors, reports, note


def _recommend(
    db_path: str | Path,
    reports: dict[str, Any],
    done: list[dict[str, Any]],
    constraints: str | None,
    cancelled: Callable[[], bool] | None,
) -> tuple[Recommended | None, tuple[float, float, float, float] | None, str]:
    from pimp_tui.services.predict import recommend_under

    if "energy_j" not in reports:
        return None, None, "no energy predictor could be trained: no recommendation"
    if constraints is None:
        constraints = ""
        measured = [r["accuracy"] for r in done if isinstance(r.get("accuracy"), (int, float))]
        if "accuracy" in reports and measured:
            constraints = f"accuracy >= {statistics.median(measured):.2f}"
    try:
        answer = recommend_under(reports, constraints, db_path, cancelled=cancelled)
    except PimpError as exc:
        return None, None, f"no recommendation: {exc}"
    rec = Recommended(constraints, answer.message, answer.config_text, answer.rows,
                      answer.warnings)  # fmt: skip
    by_target = {t: (m, s) for t, m, s, _ in answer.rows}
    chosen = None
    if "energy_j" in by_target and "accuracy" in by_target:
        (e, de), (a, da) = by_target["energy_j"], by_target["accuracy"]
        chosen = (e, a, de, da)
    return rec, chosen, ""
