"""`pimp predict ...`: learn and query performance models.

`pimp predict bench --csv FILE --train-size N ...` runs repeated train/test splits on any CSV
(options as columns, the measured value last or --target) and prints one JSON object on its last
line. The other subcommands work on the measured campaigns in the store.
"""

from __future__ import annotations

import argparse
import json
import sys

from pimp_tui.cli import add_db_option
from pimp_tui.predict.learners import LEARNERS


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "predict",
        help="learn, score and query performance models",
        description="Learn performance models from campaigns or CSV files and query them.",
    )
    add_db_option(parser)
    sub = parser.add_subparsers(dest="predict_command", metavar="ACTION", required=True)

    bench = sub.add_parser(
        "bench",
        help="repeated train/test splits on a CSV (MAPE over the untrained rows)",
        description=(
            "Train on N rows (random, or the splits of a DeepPerf training-index file), test on "
            "all remaining rows, repeat; the last line is a JSON object with train_size, "
            "repeats, mape_mean, mape_ci95 and fit_seconds_mean."
        ),
    )
    bench.add_argument("--csv", required=True, help="options as columns, the target last")
    bench.add_argument("--target", help="target column (default: the last one)")
    bench.add_argument("--train-size", type=int, required=True, help="training rows per split")
    bench.add_argument("--train-index", help="DeepPerf training-index CSV (fixed splits)")
    bench.add_argument("--repeats", type=int, default=30, help="splits (default 30)")
    bench.add_argument("--seed", type=int, default=0)
    bench.add_argument("--learner", default="auto", choices=list(LEARNERS))
    bench.add_argument("--json", action="store_true", help="only the JSON line on stdout")
    add_db_option(bench)
    bench.set_defaults(func=_bench)


def _bench(args: argparse.Namespace) -> int:
    from pimp_tui.errors import PimpError
    from pimp_tui.predict.bench import bench, random_splits
    from pimp_tui.predict.encoding import read_csv, read_training_index

    if args.repeats < 1:
        raise PimpError("--repeats must be at least 1")
    table = read_csv(args.csv, args.target)
    if args.train_index:
        splits = read_training_index(args.train_index, args.train_size)[: args.repeats]
    else:
        splits = random_splits(len(table.y), args.train_size, args.repeats, args.seed)
    print(f"{args.csv}: {table.describe()}", file=sys.stderr)

    def progress(i: int, error: float, seconds: float) -> None:
        if not args.json:
            print(f"split {i + 1}/{len(splits)}: MAPE {error:.2f}%  fit {seconds:.2f}s")

    result = bench(table.x, table.y, splits, args.learner, args.seed, progress)
    summary = {
        "train_size": result.train_size,
        "repeats": result.repeats,
        "mape_mean": round(result.mape_mean, 4),
        "mape_ci95": round(result.mape_ci95, 4),
        "fit_seconds_mean": round(result.fit_seconds_mean, 4),
        "fit_cpu_seconds_mean": round(result.fit_cpu_seconds_mean, 4),
        "learner": result.learner,
    }
    print(json.dumps(summary))
    return 0
