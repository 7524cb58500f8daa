"""`pimp workload import|list|estimate|compare|phases` and `pimp sweetspot`: what a request
trace costs under each measured configuration, where prefill and decode energy go, and where
the efficiency sweet spots of a lengths campaign lie. Tables go to stdout; with --json, one JSON
object on the last line instead."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

from pimp_tui.cli import add_db_option, seed_value
from pimp_tui.services.workloads import SOURCES


def register(subparsers: argparse._SubParsersAction) -> None:
    workload = subparsers.add_parser(
        "workload",
        help="import request traces and price them under measured configurations",
        description="Import a request trace (CSV/JSONL with input and output token counts, "
        "optional timestamps), bin it by length and estimate its energy, time and J/request "
        "under each configuration of a campaign.",
    )
    add_db_option(workload)
    actions = workload.add_subparsers(dest="action", metavar="ACTION", required=True)

    imp = actions.add_parser("import", help="store a trace as a named workload")
    add_db_option(imp)
    imp.add_argument("trace", metavar="TRACE", help="CSV or JSONL file")
    imp.add_argument("--name", help="workload name (default: the file name)")
    imp.set_defaults(func=import_command)

    listing = actions.add_parser("list", help="list imported workloads")
    add_db_option(listing)
    listing.set_defaults(func=list_command)

    phases = actions.add_parser(
        "phases", help="prefill and decode energy per configuration of a campaign"
    )
    add_db_option(phases)
    phases.add_argument("--campaign", type=int, required=True, metavar="ID")
    phases.add_argument("--json", action="store_true", help="one JSON object on stdout")
    phases.set_defaults(func=phases_command)

    for name, func, text in (
        ("estimate", estimate_command, "energy, time and J/request per configuration, by bin"),
        ("compare", compare_command, "configurations side by side; the cheapest above a floor"),
    ):
        sub = actions.add_parser(name, help=text)
        add_db_option(sub)
        sub.add_argument("workload", metavar="WORKLOAD", help="workload id or name, or a file")
        sub.add_argument(
            "--campaign", type=int, required=True, metavar="ID",
            help="campaign whose runs price the requests (a lengths campaign)",
        )  # fmt: skip
        sub.add_argument(
            "--source", choices=SOURCES, default="measured",
            help="measured (interpolated runs, default), analytical or learned",
        )  # fmt: skip
        sub.add_argument(
            "--bins", default="log2", metavar="SPEC",
            help="bins of both lengths: log2 (default), log2:K, linear:W, edges",
        )  # fmt: skip
        sub.add_argument("--input-bins", metavar="SPEC", help="bins of input lengths only")
        sub.add_argument("--output-bins", metavar="SPEC", help="bins of output lengths only")
        sub.add_argument("--learner", default="auto", help="learner for --source learned")
        sub.add_argument("--seed", type=seed_value, default=0)
        sub.add_argument("--json", action="store_true", help="one JSON object on stdout")
        if name == "compare":
            sub.add_argument("--accuracy-floor", type=float, metavar="A",
                             help="lowest acceptable accuracy (0..1)")  # fmt: skip
            sub.add_argument("--accuracy-campaign", type=int, metavar="ID",
                             help="campaign whose measured accuracy the configurations have "
                             "(default: the pricing campaign)")  # fmt: skip
        sub.set_defaults(func=func)

    sweet = subparsers.add_parser(
        "sweetspot",
        help="analytical energy fits, J/output token heat map and sweet spots of a campaign",
        description="Fit the analytical energy model per configuration of a lengths campaign, "
        "show J per output token over the grid, the most efficient output length per input "
        "length, and the held-out MAPE of the analytical fit next to a learned predictor's.",
    )
    add_db_option(sweet)
    sweet.add_argument("campaign", type=int, metavar="CAMPAIGN")
    sweet.add_argument("--folds", type=int, default=4, help="folds over grid points (4)")
    sweet.add_argument("--seed", type=seed_value, default=0)
    sweet.add_argument("--learner", default="auto", help="learned predictor (auto)")
    sweet.add_argument("--svg", metavar="FILE",
                       help="write the heat maps as SVG (one file per configuration: "
                       "FILE, FILE-2.svg, ...)")  # fmt: skip
    sweet.add_argument("--json", action="store_true", help="one JSON object on stdout")
    sweet.set_defaults(func=sweetspot_command)


def import_command(args: argparse.Namespace) -> int:
    from pimp_tui.services.workloads import ImportRequest, import_workload

    done = import_workload(ImportRequest(args.db, args.trace, args.name))
    when = f", spanning {done.span_s / 3600:.2f} h" if done.span_s else ""
    print(f"{done.requests} requests in {done.bins} log2 bins{when}", file=sys.stderr)
    print(done.workload_id)
    return 0


def list_command(args: argparse.Namespace) -> int:
    from pimp_tui.services.workloads import list_workloads

    rows = list_workloads(args.db)
    print("\t".join(("id", "name", "requests", "span_s", "source", "created")))
    for row in rows:
        span = "-" if row["span_s"] is None else f"{row['span_s']:.0f}"
        values = (row["id"], row["name"], row["requests"], span, row["source"] or "-",
                  row["created_at"])  # fmt: skip
        print("\t".join(str(v) for v in values))
    return 0


def phases_command(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from pimp_tui.services.workloads import phases
    from pimp_tui.widgets.heatmap import fmt

    table = phases(args.db, args.campaign)
    if args.json:
        print(json.dumps({"campaign": args.campaign, "configurations": table.to_dicts()}))
        return 0
    out = Table(title=f"campaign {args.campaign}: prefill (one-token generations) and decode")
    for column in ("configuration", "batch", "runs", "prefill J/request", "decode J/request",
                   "decode J/token", "prefill share"):  # fmt: skip
        out.add_column(column, justify="left" if column == "configuration" else "right")
    for row in table.iter_rows(named=True):
        out.add_row(
            row["configuration"], str(row["batch_size"]), str(row["runs"]),
            fmt(row["prefill_j_per_request"]), fmt(row["decode_j_per_request"]),
            fmt(row["decode_j_per_token"]), f"{row['prefill_share']:.1%}",
        )  # fmt: skip
    Console(width=max(Console().width, 120)).print(out)
    return 0


def _priced(args: argparse.Namespace) -> Any:
    """The workload's trace priced under every configuration of the campaign."""
    from pimp_tui.services.workloads import PriceRequest, price

    return price(PriceRequest(
        args.db, args.workload, args.campaign, source=args.source, bins=args.bins,
        input_bins=args.input_bins, output_bins=args.output_bins, learner=args.learner,
        seed=args.seed, accuracy_campaign=getattr(args, "accuracy_campaign", None),
        accuracy_floor=getattr(args, "accuracy_floor", None),
    ))  # fmt: skip


def _summary(estimate: Any) -> dict[str, Any]:
    return {
        "configuration": estimate.group.label,
        "settings": estimate.group.config,
        "source": estimate.source,
        "requests": estimate.requests,
        "energy_j": estimate.energy_j,
        "energy_sd_j": estimate.energy_sd,
        "j_per_request": estimate.j_per_request,
        "j_per_request_sd": estimate.j_per_request_sd,
        "busy_s": estimate.busy_s,
        "busy_sd_s": estimate.busy_sd,
        "latency_s": estimate.latency_s,
        "latency_sd_s": estimate.latency_sd,
        "accuracy": estimate.accuracy,
        "requests_outside_grid": estimate.outside,
    }


def _pm(value: float, sd: float) -> str:
    return f"{value:.4g} ± {sd:.2g}"


def estimate_command(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from pimp_tui.widgets.heatmap import fmt

    priced = _priced(args)
    estimates = priced.estimates
    if args.json:
        payload = [{**_summary(e), "bins": e.bins.drop("inside").to_dicts()} for e in estimates]
        print(json.dumps({"requests": priced.requests, "estimates": payload}, default=str))
        return 0
    console = Console(width=max(Console().width, 120))
    for estimate in estimates:
        total = _pm(estimate.energy_j, estimate.energy_sd)
        each = _pm(estimate.j_per_request, estimate.j_per_request_sd)
        table = Table(
            title=f"{estimate.group.label} ({estimate.source}): {total} J, {each} J/request"
        )
        for column in ("input", "output", "requests", "mean in", "mean out", "energy J",
                       "busy s", "latency s"):  # fmt: skip
            table.add_column(column, justify="right", no_wrap=True)
        for row in estimate.bins.iter_rows(named=True):
            mark = "" if row["inside"] else " (extrap.)"
            table.add_row(
                _bounds(row["in_low"], row["in_high"]),
                _bounds(row["out_low"], row["out_high"]),
                str(row["requests"]),
                f"{row['input_length']:.0f}",
                f"{row['output_length']:.0f}",
                _pm(row["energy_j"], math.sqrt(row["energy_j_var"])) + mark,
                fmt(row["busy_s"]),
                fmt(row["latency_s"] / row["requests"]),
            )
        console.print(table)
    return 0


def _bounds(low: float, high: float) -> str:
    return f"{int(low)}+" if not math.isfinite(high) else f"{int(low)}-{int(high) - 1}"


def compare_command(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from pimp_tui.widgets.heatmap import fmt

    priced = _priced(args)
    estimates, best = priced.estimates, priced.cheapest
    if args.json:
        print(json.dumps({
            "requests": priced.requests,
            "accuracy_floor": args.accuracy_floor,
            "estimates": [_summary(e) for e in estimates],
            "cheapest": None if best is None else best.group.label,
        }, default=str))  # fmt: skip
        return 0 if best is not None else 1
    table = Table(title=f"{priced.requests} requests priced from campaign {args.campaign} "
                  f"({estimates[0].source if estimates else args.source})")  # fmt: skip
    for column in ("configuration", "energy J", "J/request", "busy s", "latency s",
                   "accuracy"):  # fmt: skip
        table.add_column(
            column, justify="left" if column == "configuration" else "right", no_wrap=True
        )
    for e in sorted(estimates, key=lambda e: e.energy_j):
        style = "bold green" if e is best else None
        table.add_row(
            e.group.label,
            _pm(e.energy_j, e.energy_sd),
            _pm(e.j_per_request, e.j_per_request_sd),
            _pm(e.busy_s, e.busy_sd),
            _pm(e.latency_s, e.latency_sd),
            "-" if e.accuracy is None else f"{e.accuracy:.3f}",
            style=style,
        )
    console = Console(width=max(Console().width, 120))
    console.print(table)
    outside = max((e.outside for e in estimates), default=0)
    if outside:
        console.print(f"{outside} requests lie outside the measured lengths (extrapolated)")
    floor = "" if args.accuracy_floor is None else f" with accuracy >= {args.accuracy_floor}"
    if best is None:
        print(f"no configuration{floor} (accuracy unknown or below the floor)")
        return 1
    print(f"cheapest{floor}: {best.group.label} ({fmt(best.energy_j)} J, "
          f"{fmt(best.j_per_request)} J/request)")  # fmt: skip
    return 0


def sweetspot_command(args: argparse.Namespace) -> int:
    from rich.console import Console

    from pimp_tui.files import check_output, write_text
    from pimp_tui.services.workloads import SweetSpotRequest, sweetspots
    from pimp_tui.widgets.heatmap import fmt, heatmap_svg, heatmap_table

    if args.svg is not None:
        check_output(args.svg, "--svg", protect=[args.db])
    spots = sweetspots(SweetSpotRequest(
        args.db, args.campaign, folds=args.folds, seed=args.seed, learner=args.learner
    ))  # fmt: skip
    written = []
    if args.svg:
        for number, spot in enumerate(spots, start=1):
            path = Path(args.svg)
            if number > 1:
                path = path.with_name(f"{path.stem}-{number}{path.suffix or '.svg'}")
            write_text(check_output(path, "--svg", protect=[args.db]), heatmap_svg(
                spot.measured, spot.inputs, spot.outputs, unit="J/output token",
                title=f"campaign {args.campaign}, {spot.group.label}: J per output token",
                curve=spot.best_output,
            ))  # fmt: skip
            written.append(str(path))
    if args.json:
        print(json.dumps({"campaign": args.campaign, "configurations": [
            _spot_json(spot) for spot in spots], "svg": written}))  # fmt: skip
        return 0
    console = Console(width=max(Console().width, 120))
    for spot in spots:
        console.print(heatmap_table(
            spot.measured, spot.inputs, spot.outputs,
            title=f"{spot.group.label}: measured J per output token",
        ))  # fmt: skip
        theta = ", ".join(fmt(t) for t in spot.theta)
        console.print(f"analytical fit θ1..θ5 = {theta}")
        best = "  ".join(
            f"{n_in}: {'-' if v is None else f'{v:.0f}'} (grid {spot.best_measured.get(n_in)})"
            for n_in, v in spot.best_output.items()
        )
        console.print(f"most efficient output length per input length: {best}")
        console.print(
            f"held-out MAPE on energy per request ({spot.held_out} grid points): "
            f"analytical {_pct(spot.mape_analytical)}  learned ({args.learner}) "
            f"{_pct(spot.mape_learned)}"
        )
        console.print()
    for svg in written:
        print(f"heat map written to {svg}", file=sys.stderr)
    return 0


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}%"


def _spot_json(spot: Any) -> dict[str, Any]:
    def grid(matrix: Any) -> list:
        return [[None if not math.isfinite(v) else float(v) for v in row] for row in matrix]

    return {
        "configuration": spot.group.label,
        "settings": spot.group.config,
        "inputs": spot.inputs,
        "outputs": spot.outputs,
        "measured_j_per_token": grid(spot.measured),
        "fitted_j_per_token": grid(spot.fitted),
        "theta": [float(t) for t in spot.theta],
        "best_output": {str(k): v for k, v in spot.best_output.items()},
        "best_measured_output": {str(k): v for k, v in spot.best_measured.items()},
        "mape_analytical": spot.mape_analytical,
        "mape_learned": spot.mape_learned,
        "held_out_points": spot.held_out,
    }
