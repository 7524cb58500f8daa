"""`pimp` with no subcommand (or `pimp tui`): the full-screen workbench."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    from pimp_tui.cli import add_db_option

    parser = subparsers.add_parser("tui", help="open the workbench (the default command)")
    add_db_option(parser)
    parser.set_defaults(func=run_tui)


def run_tui(args: argparse.Namespace) -> int:
    from pimp_tui.app import PimpApp

    PimpApp(db=args.db).run()
    return 0
