"""`pimp sample FILE ...` draws a sample; `pimp sample coverage FILE SAMPLE.csv` checks one;
`pimp sample list` shows the samples in the store.

The sample goes to --out (or stdout) as CSV, one column per feature; coverage and progress go to
stderr. With --name the model and the sample are also stored.
"""

from __future__ import annotations

import argparse
import sys
import time

from pimp_tui.cli import add_db_option, seed_value
from pimp_tui.errors import PimpError

ALGORITHMS = ("twise", "uniform", "distance", "diversified-distance", "all", "csv")
MISSING_SHOWN = 20


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "sample",
        help="draw a sample of valid configurations, or check a sample's coverage",
        description=(
            "pimp sample FILE --algorithm ALG [options]: draw a sample of FILE's valid "
            "configurations. pimp sample coverage FILE SAMPLE.csv --t T: t-wise coverage of a "
            "sample. pimp sample list: samples in the store."
        ),
    )
    parser.add_argument(
        "items",
        nargs="+",
        metavar="ARG",
        help="FILE (a .uvl or .xml model) to sample; or: coverage FILE SAMPLE.csv; or: list",
    )
    parser.add_argument("--algorithm", "-a", choices=ALGORITHMS, default="twise")
    parser.add_argument("--t", "-t", type=int, default=2, help="interaction strength (1-3)")
    parser.add_argument(
        "--size",
        "-n",
        type=int,
        help="number of configurations (uniform, distance, diversified-distance: exactly N; "
        "twise: at most N, and when full t-wise coverage needs more, the N configurations that "
        "keep the most interactions covered, the coverage line says how many; all, csv: the "
        "first N)",
    )
    parser.add_argument("--seed", type=seed_value, default=0)
    parser.add_argument("--out", "-o", help="CSV file to write (default: stdout)")
    parser.add_argument(
        "--time-budget",
        type=float,
        help="twise: search for this many seconds in all (or until the sample is proven "
        "minimal), the longer the smaller; results then depend on the machine. Without it, "
        "counted work bounds the search: deterministic for a seed",
    )
    parser.add_argument("--iterations", type=int, help="local-search steps for twise")
    parser.add_argument("--limit", type=int, help="most configurations 'all' may enumerate")
    parser.add_argument("--csv", dest="csv_in", help="configurations to validate (algorithm csv)")
    parser.add_argument(
        "--with-replacement", action="store_true", help="uniform: allow repeated draws"
    )
    parser.add_argument(
        "--host",
        default="auto",
        metavar="HOST",
        help="a model with a Device part (CPU, CUDA) is first fixed to what this host runs: "
        "auto (detect, the default), cpu, cuda, cuda:N (N GPUs) or any (fix nothing)",
    )
    parser.add_argument("--name", help="also store the sample under this name (in --db)")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")
    add_db_option(parser)
    parser.set_defaults(func=sample_command)


def sample_command(args: argparse.Namespace) -> int:
    items = args.items
    if items[0] == "coverage":
        if len(items) != 3:
            raise PimpError("usage: pimp sample coverage FILE SAMPLE.csv --t T")
        return _coverage(items[1], items[2], args.t)
    if items[0] == "list":
        return _list(args.db)
    if len(items) != 1:
        raise PimpError("usage: pimp sample FILE --algorithm ALG [options]")
    return _sample(items[0], args)


def _progress(args: argparse.Namespace):
    if args.quiet:
        return None
    start = time.monotonic()

    def report(message: str) -> None:
        print(f"pimp: [{time.monotonic() - start:6.1f}s] {message}", file=sys.stderr, flush=True)

    return report


def _sample(path: str, args: argparse.Namespace) -> int:
    from pimp_tui.files import check_output
    from pimp_tui.services.sampling import SampleRequest, draw_sample, write_sample

    if args.out is not None:
        check_output(args.out, "--out", protect=[path, args.csv_in, args.db])
    request = SampleRequest(
        path, args.algorithm, t=args.t, size=args.size, seed=args.seed,
        time_budget=args.time_budget, iterations=args.iterations, limit=args.limit,
        csv_in=args.csv_in, replacement=args.with_replacement, host=args.host, name=args.name,
        db_path=args.db,
    )  # fmt: skip
    sampled = draw_sample(
        request,
        progress=_progress(args),
        on_fix=lambda fix: print(f"pimp: fixed by the host: {fix}", file=sys.stderr),
    )
    write_sample(sampled.model, sampled.configs, args.out, sys.stdout)
    cover = sampled.coverage
    if sampled.coverage_error is not None:
        print(f"pimp: coverage not computed: {sampled.coverage_error}", file=sys.stderr)
    bound = "" if sampled.lower_bound is None else f", lower bound {sampled.lower_bound}"
    line = (
        f"pimp: {len(sampled.configs)} configurations{bound} ({args.algorithm}, "
        f"{sampled.seconds:.1f} s)"
    )
    print(line + (f"; {cover.summary()}" if cover else ""), file=sys.stderr)
    if sampled.sample_id is not None:
        print(f"pimp: stored sample {args.name!r} (id {sampled.sample_id}) in {args.db}",
              file=sys.stderr)  # fmt: skip
    return 0


def _coverage(model_path: str, sample_path: str, t: int) -> int:
    from pimp_tui.services.sampling import check_coverage

    cover, error = check_coverage(model_path, sample_path, t)
    if cover is None:
        print(f"pimp: coverage not computed: {error}", file=sys.stderr)
        return 2
    print(cover.summary())
    for position in cover.invalid_configurations:
        print(f"invalid configuration: row {position + 2}")
    for combo in cover.missing[:MISSING_SHOWN]:
        print("missing: " + " & ".join(combo))
    if len(cover.missing) > MISSING_SHOWN:
        print(f"... and {len(cover.missing) - MISSING_SHOWN} more missing")
    return 0


def _list(db_path: str) -> int:
    from pimp_tui.services.sampling import stored_samples

    samples = stored_samples(db_path, newest_first=False)  # read first: a refused store
    print("\t".join(("id", "model", "name", "algorithm", "size", "coverage")))  # prints nothing
    for meta in samples:
        cov = meta["coverage"]
        shown = f"{cov['covered']}/{cov['valid']} {cov['t']}-wise" if cov else "-"
        print(
            f"{meta['id']}\t{meta['model']}\t{meta['name']}\t{meta['algorithm']}\t"
            f"{meta['size']}\t{shown}"
        )
    return 0
