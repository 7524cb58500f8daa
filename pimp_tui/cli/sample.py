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
    from pimp_tui.sampling import draw
    from pimp_tui.sampling.csvio import read_configs, save_configs, write_configs
    from pimp_tui.services.sampling import fix_to_host
    from pimp_tui.store.db import open_store
    from pimp_tui.variability.io import load_model
    from pimp_tui.variability.reasoning import Reasoner

    if args.out is not None:
        check_output(args.out, "--out", protect=[path, args.csv_in, args.db])
    db = open_store(args.db, for_writing=True) if args.name else None
    base = load_model(path)
    model, fixes = fix_to_host(base, args.host)
    for fix in fixes:
        print(f"pimp: fixed by the host: {fix.constraint} ({fix.reason})", file=sys.stderr)
    given = None
    if args.algorithm == "csv":
        if not args.csv_in:
            raise PimpError("--algorithm csv needs --csv IN.csv")
        given = read_configs(model, args.csv_in)
    started = time.monotonic()
    drawn = draw(
        model,
        args.algorithm,
        t=args.t,
        size=args.size,
        seed=args.seed,
        time_budget=args.time_budget,
        limit=args.limit,
        progress=_progress(args),
        replacement=args.with_replacement,
        configs=given,
        iterations=args.iterations,
    )
    configs = drawn.configs
    seconds = time.monotonic() - started
    if args.out is not None:
        save_configs(model, configs, args.out)
    else:
        write_configs(model, configs, sys.stdout)
    cover = _check(model, configs, args.t, Reasoner(model))
    bound = "" if drawn.lower_bound is None else f", lower bound {drawn.lower_bound}"
    line = f"pimp: {len(configs)} configurations{bound} ({args.algorithm}, {seconds:.1f} s)"
    print(line + (f"; {cover.summary()}" if cover else ""), file=sys.stderr)
    if db is not None:
        host = [f"{fix.constraint} ({fix.reason})" for fix in fixes]
        _store(args, db, base, configs, cover, drawn.lower_bound, host)
    return 0


def _check(model, configs, t, reasoner):
    from pimp_tui.sampling.coverage import coverage

    try:
        return coverage(model, configs, t, reasoner)
    except PimpError as exc:
        print(f"pimp: coverage not computed: {exc}", file=sys.stderr)
        return None


def _store(
    args: argparse.Namespace, db, model, configs, cover, lower_bound: int | None, host: list[str]
) -> None:
    from pimp_tui.store.samples import save_model, save_sample

    model_id = save_model(db, model)
    params = {"t": args.t, "size": args.size, "seed": args.seed}
    if args.time_budget is not None:
        params["time_budget"] = args.time_budget
    if args.iterations is not None:
        params["iterations"] = args.iterations
    if args.limit is not None:
        params["limit"] = args.limit
    if args.algorithm == "uniform":
        params["replacement"] = args.with_replacement
    if host:
        params["host"] = host
    coverage = cover.as_dict() if cover else None
    sample_id = save_sample(
        db, model_id, args.name, args.algorithm, params, configs, coverage, lower_bound
    )
    print(f"pimp: stored sample {args.name!r} (id {sample_id}) in {args.db}", file=sys.stderr)


def _coverage(model_path: str, sample_path: str, t: int) -> int:
    from pimp_tui.sampling.csvio import read_configs
    from pimp_tui.variability.io import load_model
    from pimp_tui.variability.reasoning import Reasoner

    model = load_model(model_path)
    configs = read_configs(model, sample_path)
    cover = _check(model, configs, t, Reasoner(model))
    if cover is None:
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
    from pimp_tui.store.db import open_store
    from pimp_tui.store.samples import list_samples

    for meta in list_samples(open_store(db_path)):
        cov = meta["coverage"]
        shown = f"{cov['covered']}/{cov['valid']} {cov['t']}-wise" if cov else "-"
        print(
            f"{meta['id']}\t{meta['model']}\t{meta['name']}\t{meta['algorithm']}\t"
            f"{meta['size']}\t{shown}"
        )
    return 0
