"""`pimp runs show ID`: one run, opened (the Monitor shows the same)."""

from __future__ import annotations

import argparse

from pimp_tui.cli import add_db_option


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("runs", help="open a measured run")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    show = actions.add_parser(
        "show",
        help="settings, metrics with units, sensor and caveats, trace, outputs, error",
        description="Everything stored about one run: effective settings, metrics with units, "
        "the sensor and its caveats, the power trace, the generated texts with per-prompt "
        "correctness, and the error with its traceback for a failed run.",
    )
    add_db_option(show)
    show.add_argument("run_id", type=int, metavar="ID")
    show.set_defaults(func=show_command)


def show_command(args: argparse.Namespace) -> int:
    from pimp_tui.services.runs import run_view

    print(run_view(args.db, args.run_id).as_text())
    return 0
