"""`pimp`: the TUI when run without a subcommand, headless subcommands otherwise.

Each command group lives in its own module here and exposes `register(subparsers)`, which adds
its parser and sets `func(args) -> int`. Data goes to stdout, diagnostics to stderr; a
`PimpError` becomes one line on stderr and its exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import sqlite3
import sys
from collections.abc import Sequence
from typing import Any

from pimp_tui.errors import ModelSyntaxError, PimpError

# Command modules, in the order their commands appear in --help. A module that does not exist
# yet is skipped, so each area can land on its own.
COMMAND_MODULES = (
    "model", "sample", "measure", "campaign", "runs", "predict", "workload", "report", "tui",
)  # fmt: skip


def add_db_option(parser: argparse.ArgumentParser) -> None:
    """Let a subcommand take `--db` after its name too (`pimp sample ... --db DB`)."""
    parser.add_argument("--db", default=argparse.SUPPRESS, help="SQLite store (as for pimp --db)")


SEED_MAX = 2**31 - 1
"""scikit-learn takes seeds below 2**32, and folds and splits add their number to the seed."""


def seed_value(text: str) -> int:
    """An argparse type: a seed every sampler and learner accepts."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 0 <= value <= SEED_MAX:
        raise argparse.ArgumentTypeError(f"{text}: a seed is from 0 to {SEED_MAX}")
    return value


def print_json(payload: Any) -> None:
    """One line of strict JSON on stdout: NaN and infinities (no JSON number) become null."""
    print(json.dumps(_finite(payload), allow_nan=False, default=str))


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


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
    except sqlite3.Error as exc:
        from pimp_tui.services import store_failure

        failure = store_failure(exc, args.db)  # read-only, damaged, locked, full
        if failure is None:
            raise
        print(f"pimp: {failure}", file=sys.stderr)
        return failure.exit_code
    except KeyboardInterrupt:
        print("pimp: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `pimp ... | head`: the reader has all it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no error at exit
        return 141  # what a shell reports for a writer stopped by SIGPIPE
