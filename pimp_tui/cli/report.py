"""`pimp report CAMPAIGN --out report.html`: a campaign as one self-contained HTML file."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from pimp_tui.cli import add_db_option

if TYPE_CHECKING:
    from pimp_tui.services.report import Progress


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report",
        help="write a campaign's report as one self-contained HTML file",
        description="Settings, sensor and caveats, runs, power traces, per-feature effects, "
        "predictor scores, importances, interactions, the Pareto front and a recommendation, "
        "with static plots, in one HTML file that needs no network to view.",
    )
    parser.add_argument("campaign", type=int, help="campaign id (pimp campaigns lists them)")
    parser.add_argument("--out", required=True, help="HTML file to write")
    parser.add_argument(
        "--constraint", action="append", default=None, metavar="TARGET>=X",
        help="constraint of the recommendation, repeatable (default: accuracy at least the "
        "campaign's median)",
    )  # fmt: skip
    add_db_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pimp_tui.services.report import write_report

    constraints = ", ".join(args.constraint) if args.constraint is not None else None
    written = write_report(args.db, args.campaign, args.out, constraints, progress=_stages())
    print(written.path)
    print(f"report of campaign {args.campaign}: {written.size / 1024:,.0f} KiB", file=sys.stderr)
    return 0


def _stages() -> Callable[[Progress], None]:
    """Progress on stderr: one line each time training enters a new stage."""
    last: list[str] = []

    def show(progress: Progress) -> None:
        if not last or last[-1] != progress.stage:
            last.append(progress.stage)
            print(f"report: {progress.stage}", file=sys.stderr, flush=True)

    return show
