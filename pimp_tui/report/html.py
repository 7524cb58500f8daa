"""A campaign report laid out as one HTML file that needs nothing else: styles inline, figures
as inline SVG, no script, and a content security policy that forbids loading anything, so
what it shows offline is all there is."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape

from pimp_tui.report import plots
from pimp_tui.report.content import SECTIONS, CampaignReport, Predictor

POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 1100px; padding: 0 1.2em;
       color: #1d1d1f; background: #fff; }
header { border-bottom: 2px solid #4c78a8; margin-bottom: 0.6em; }
h1 { font-size: 1.5em; margin: 0.6em 0 0.2em; } h2 { font-size: 1.2em; margin-top: 1.6em; }
nav a { margin-right: 0.9em; white-space: nowrap; }
table { border-collapse: collapse; margin: 0.4em 0; font-size: 0.9em; }
th, td { border-bottom: 1px solid #ddd; padding: 2px 8px; text-align: left; vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.scroll { max-height: 28em; overflow: auto; }
.note { color: #555; } .warn { color: #b00020; font-weight: 600; }
svg { max-width: 100%; height: auto; }
"""


def render(report: CampaignReport) -> str:
    body = [_header(report)]
    for key, title in SECTIONS:
        body.append(f'<section id="{key}"><h2>{escape(title)}</h2>')
        body.extend(SECTION_WRITERS[key](report))
        body.append("</section>")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{POLICY}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(report.title)}</title><style>{STYLE}</style></head>\n<body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )


def _header(report: CampaignReport) -> str:
    links = " ".join(f'<a href="#{key}">{escape(title)}</a>' for key, title in SECTIONS)
    return (
        f"<header><h1>{escape(report.title)}</h1>"
        f'<p class="note">written by pimp on {escape(report.generated)}</p>'
        f"<nav>{links}</nav></header>"
    )


def _pairs(rows: Iterable[tuple[str, str]]) -> str:
    cells = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in rows)
    return f"<table>{cells}</table>"


def _table(head: Sequence[str], rows: Iterable[Sequence[str]], numeric: Sequence[bool]) -> str:
    th = "".join(f"<th>{escape(h)}</th>" for h in head)
    out = [f"<table><thead><tr>{th}</tr></thead><tbody>"]
    for row in rows:
        tds = "".join(
            f'<td class="n">{escape(c)}</td>' if n else f"<td>{escape(c)}</td>"
            for c, n in zip(row, numeric, strict=False)
        )
        out.append(f"<tr>{tds}</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _note(text: str) -> str:
    return f'<p class="note">{escape(text)}</p>'


def _settings(report: CampaignReport) -> list[str]:
    return [_pairs(report.settings)]


def _sensor(report: CampaignReport) -> list[str]:
    caveats = "".join(f"<li>{escape(c)}</li>" for c in report.caveats)
    return [_pairs(report.sensor), f"<ul>{caveats}</ul>" if caveats else _note("no caveats")]


def _runs(report: CampaignReport) -> list[str]:
    if not report.runs:
        return [_note("no run of this campaign has finished yet")]
    numeric = [c.split(" ")[0] not in ("status", "settings", "error") for c in report.run_columns]
    return [f'<div class="scroll">{_table(report.run_columns, report.runs, numeric)}</div>']


def _traces(report: CampaignReport) -> list[str]:
    out = [_note(report.trace_note)]
    if report.traces:
        out.append(plots.power_traces(report.traces))
    return out


def _effects(report: CampaignReport) -> list[str]:
    if not report.effects:
        return [_note("no feature varies among the finished runs: nothing to compare")]
    out = [_note("mean of each measured target over the finished runs where a feature has a "
                 "value (runs in brackets); a difference here mixes the effects of features "
                 "sampled together, the predictors below separate them")]  # fmt: skip
    first, label = report.effect_targets[0]
    out.append(plots.effects(report.effects, first, label))
    head = ["feature", "value", "runs"] + [lab for _, lab in report.effect_targets]
    rows = [
        [e.feature, e.value, str(e.runs)] + [_num(e.means.get(t)) for t, _ in report.effect_targets]
        for e in report.effects
    ]
    numeric = [False, False] + [True] * (len(head) - 2)
    out.append(f'<div class="scroll">{_table(head, rows, numeric)}</div>')
    return out


def _scores(report: CampaignReport) -> list[str]:
    out = [_note(report.predictor_note)]
    if not report.predictors:
        return out
    head = ["target", "learner", "configurations", "R²", "MAE", "MAPE",
            "inside 68% interval", "inside 95% interval", "trust"]  # fmt: skip
    rows = [
        [p.target, p.learner, str(p.configurations), f"{p.r2:.3f}",
         f"{p.mae:.4g} {p.unit}".strip(), "-" if p.mape is None else f"{p.mape:.1f}%",
         f"{p.coverage68:.0%}", f"{p.coverage95:.0%}", p.distrust or "ok"]
        for p in report.predictors
    ]  # fmt: skip
    out.append(_table(head, rows, [False, False] + [True] * 6 + [False]))
    out.append(_note(f"{report.predictors[0].folds}-fold cross-validation; the learning curve "
                     "shows the held-out error as the training set grows"))  # fmt: skip
    out.append(plots.learning_curves(report.predictors))
    return out


def _importance(report: CampaignReport) -> list[str]:
    shown = [p for p in report.predictors if p.importance]
    if not shown:
        return [_note("no trained predictor: no importances")]
    out = []
    for p in shown:
        out.append(f"<h3>{escape(p.target)}</h3>")
        out.extend(_distrust(p))
        out.append(plots.importances(p))
    return out


def _interactions(report: CampaignReport) -> list[str]:
    if not report.predictors:
        return [_note("no trained predictor: no interactions")]
    out = [_note("strongest pairs by Friedman's H² (0: the effects add up, 1: all interaction)")]
    for p in report.predictors:
        out.append(f"<h3>{escape(p.target)}</h3>")
        if not p.interactions:
            out.append(_note("no pairwise interaction found"))
            continue
        rows = [[a, b, f"{h:.3f}"] for a, b, h in p.interactions[:20]]
        out.append(_table(["feature", "with", "H²"], rows, [False, False, True]))
    return out


def _pareto(report: CampaignReport) -> list[str]:
    if not report.pareto_points:
        return [_note("no finished run measured both energy and accuracy")]
    out = [
        _note(
            f"{len(report.pareto_points)} measured configurations, "
            f"{len(report.pareto_front)} on the front (no other one uses less energy and "
            "is at least as accurate)"
        ),  # fmt: skip
        plots.pareto(report.pareto_points, report.pareto_front, report.chosen),
    ]
    items = "".join(f"<li>{escape(label)}</li>" for label in report.pareto_labels)
    out.append(f"<ol>{items}</ol>")
    return out


def _recommendation(report: CampaignReport) -> list[str]:
    rec = report.recommendation
    if rec is None:
        return [_note(report.recommendation_note)]
    out = [f'<p class="warn">{escape(w)}</p>' for w in rec.warnings]
    out.append(_note(f"constraints: {rec.constraints or 'none'} · {rec.message}"))
    out.append(f"<p><code>{escape(rec.config or '-')}</code></p>")
    if rec.rows:
        rows = [[t, f"{m:.4g}", f"± {s:.3g}", str(w)] for t, m, s, w in rec.rows]
        out.append(_table(["target", "predicted", "68% interval", "measured within"], rows,
                          [False, True, True, True]))  # fmt: skip
    return out


def _distrust(p: Predictor) -> list[str]:
    return [f'<p class="warn">{escape(p.target)}: {escape(p.distrust)}</p>'] if p.distrust else []


def _num(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.4g}" if abs(value) < 1e4 else f"{value:,.0f}"


SECTION_WRITERS = {
    "settings": _settings, "sensor": _sensor, "runs": _runs, "traces": _traces,
    "effects": _effects, "scores": _scores, "importance": _importance,
    "interactions": _interactions, "pareto": _pareto, "recommendation": _recommendation,
}  # fmt: skip
