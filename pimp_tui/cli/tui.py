"""`pimp` with no subcommand (or `pimp tui`): the full-screen workbench."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    from pimp_tui.cli import add_db_option

    parser = subparsers.add_parser("tui", help="open the workbench (the default command)")
    add_db_option(parser)
    parser.add_argument(
        "--sensor",
        choices=("nvml", "rapl", "estimate"),
        help="power sensor for the monitor (default: $PIMP_SENSOR, else the best available)",
    )
    parser.set_defaults(func=run_tui)


def run_tui(args: argparse.Namespace) -> int:
    import os

    from pimp_tui.app import PimpApp

    sensor = getattr(args, "sensor", None) or os.environ.get("PIMP_SENSOR") or None
    PimpApp(db=args.db, sensor=sensor).run()
    return 0
