"""`pimp`: the TUI when run without a subcommand, headless subcommands otherwise.

Each command group lives in its own module here and exposes `register(subparsers)`, which adds
its parser and sets `func(args) -> int`. Data goes to stdout, diagnostics to stderr; a
`PimpError` becomes one line on stderr and its exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from pimp_tui.errors import ModelSyntaxError, PimpError

# Command modules, in the order their commands appear in --help. A module that does not exist
# yet is skipped, so each area can land on its own.
COMMAND_MODULES = ("model", "sample", "measure", "predict", "workload", "tui")


def add_db_option(parser: argparse.ArgumentParser) -> None:
    """Let a subcommand take `--db` after its name too (`pimp sample ... --db DB`)."""
    parser.add_argument("--db", default=argparse.SUPPRESS, help="SQLite store (as for pimp --db)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pimp",
        description="Model, sample, measure and predict the inference settings of an LLM.",
    )
    parser.add_argument(
        "--db",
        default=os.environ.get("PIMP_DB", "pimp.db"),
        help="SQLite store (default: $PIMP_DB or ./pimp.db)",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"pimp_tui.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"pimp_tui.cli.{name}":
                raise
            continue
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        from pimp_tui.cli.tui import run_tui

        func = run_tui
    try:
        return int(func(args) or 0)
    except PimpError as exc:
        located = isinstance(exc, ModelSyntaxError)
        print(str(exc) if located else f"pimp: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("pimp: interrupted", file=sys.stderr)
        return 130
