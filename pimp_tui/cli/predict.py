"""`pimp predict ...`: learn and query performance models.

`pimp predict bench --csv FILE --train-size N ...` runs repeated train/test splits on any CSV
(options as columns, the measured value last or --target) and prints one JSON object on its last
line. The other subcommands work on the measured campaigns in the store. Each parses its arguments,
calls a use case of `services` and writes the result.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from pimp_tui.cli import add_db_option, print_json, seed_value
from pimp_tui.services.predictors import DEFAULT_LEARNER, LEARNER_NAMES


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
    bench.add_argument("--seed", type=seed_value, default=0)
    bench.add_argument("--learner", default=DEFAULT_LEARNER, choices=LEARNER_NAMES)
    bench.add_argument("--json", action="store_true", help="only the JSON line on stdout")
    add_db_option(bench)
    bench.set_defaults(func=_bench)

    train = sub.add_parser("train", help="fit a predictor on a campaign's runs (or a CSV)")
    train.add_argument("--target", required=True, help="metric, e.g. energy_per_token_j")
    _add_dataset_options(train)
    train.add_argument("--csv", help="learn from a CSV instead (target column: --target)")
    train.add_argument("--learner", default=DEFAULT_LEARNER, choices=LEARNER_NAMES)
    train.add_argument("--seed", type=seed_value, default=0)
    train.add_argument("--name", help="predictor name (default: the target)")
    train.add_argument("--folds", type=int, default=5, help="cross-validation folds")
    train.set_defaults(func=_train)

    score = sub.add_parser("score", help="cross-validation, hold-out and learning curve")
    score.add_argument("predictor")
    score.add_argument("--folds", type=int, default=5)
    score.add_argument("--repeats", type=int, default=10, help="learning-curve repetitions")
    score.add_argument("--explain", action="store_true", help="importance and interactions")
    score.set_defaults(func=_score)

    query = sub.add_parser("query", help="predict a configuration (partial ones are completed)")
    query.add_argument("predictor")
    query.add_argument("settings", nargs="*", metavar="SETTING",
                       help="NAME=VALUE, NAME (selected) or !NAME (deselected)")  # fmt: skip
    query.add_argument("--seed", type=seed_value, default=0)
    query.set_defaults(func=_query)

    pareto = sub.add_parser("pareto", help="Pareto front over 2-3 measured targets")
    pareto.add_argument("--targets", required=True, help="comma-separated, e.g. energy_j,accuracy")
    pareto.add_argument("--maximise", default="", help="targets to maximise (comma-separated)")
    _add_dataset_options(pareto)
    pareto.set_defaults(func=_pareto)

    rec = sub.add_parser("recommend", help="best valid configuration under constraints")
    rec.add_argument("--minimise", help="predictor to minimise")
    rec.add_argument("--maximise", help="predictor to maximise")
    rec.add_argument("--constraint", action="append", default=[], metavar="PREDICTOR<=X")
    rec.add_argument("--fix", action="append", default=[], metavar="SETTING",
                     help="NAME=VALUE, NAME or !NAME; repeatable")  # fmt: skip
    rec.add_argument("--seed", type=seed_value, default=0)
    rec.set_defaults(func=_recommend)

    nxt = sub.add_parser("next", help="the next configurations worth measuring")
    nxt.add_argument("predictor")
    nxt.add_argument("-k", type=int, default=5)
    nxt.add_argument("--strategy", choices=["ei", "uncertainty"], default="ei")
    nxt.add_argument("--maximise", action="store_true", help="higher target is better")
    nxt.add_argument("--candidates", type=int, default=500, help="valid configurations drawn")
    nxt.add_argument("--seed", type=seed_value, default=0)
    nxt.set_defaults(func=_next)

    energy = sub.add_parser("energy", help="analytical energy model E(n_in, n_out) of the runs")
    energy.add_argument("--campaign", type=int)
    energy.add_argument("--target", default="energy_per_request_j")
    energy.set_defaults(func=_energy)
    for p in (train, score, query, pareto, rec, nxt, energy):
        add_db_option(p)


def _add_dataset_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--campaign", type=int, help="campaign id (default: every campaign)")
    parser.add_argument("--llm", help="only runs of this model (default: the newest campaign's)")
    parser.add_argument("--task", help="only runs of this task (default: the newest campaign's)")
    parser.add_argument("--device", help="only runs on this device, e.g. cpu or cuda")
    parser.add_argument("--hardware", help="only runs on this GPU or CPU model (the runs' "
                        "hardware column, e.g. 'NVIDIA A100-SXM4-80GB')")  # fmt: skip
    parser.add_argument(
        "--mix", action="store_true", help="learn across models, tasks and devices (as features)"
    )


def _dataset(args: argparse.Namespace) -> Any:
    from pimp_tui.services.datasets import DatasetRequest

    return DatasetRequest(args.campaign, args.llm, args.task, args.device, args.mix,
                          hardware=args.hardware)  # fmt: skip


def _bench(args: argparse.Namespace) -> int:
    from pimp_tui.services.predictor_bench import BenchRequest, bench

    def progress(i: int, n: int, error: float, seconds: float) -> None:
        if not args.json:
            print(f"split {i + 1}/{n}: MAPE {error:.2f}%  fit {seconds:.2f}s")

    request = BenchRequest(args.csv, args.train_size, args.target, args.train_index,
                           args.repeats, args.seed, args.learner)  # fmt: skip
    result = bench(request, progress)
    print(result.described, file=sys.stderr)
    print_json(result.summary)
    return 0


def _train(args: argparse.Namespace) -> int:
    from pimp_tui.services.predictors import TrainRequest, train

    request = TrainRequest(args.db, args.target, args.learner, args.seed, args.name, args.folds,
                           args.csv, _dataset(args))  # fmt: skip
    result = train(request, _stderr_progress())
    for note in result.notes:
        print(note, file=sys.stderr)
    warning = _warn(result.distrust, result.name)
    print(json.dumps({"predictor": result.name, "id": result.id, "n": result.n,
                      **_rounded(result.metrics), "trustworthy": warning is None}))  # fmt: skip
    return 0


def _stderr_progress() -> Any:
    """Progress on stderr (stage, share done, ETA): one rewritten line on a terminal, a line
    per stage and tenth otherwise."""
    shown: list[tuple[str, int]] = []

    def report(progress: Any) -> None:
        key = (progress.stage, int(10 * progress.fraction))
        if sys.stderr.isatty():
            end = "\n" if progress.fraction >= 1 else ""
            print(f"\r\033[K{progress}", end=end, file=sys.stderr, flush=True)
        elif not shown or shown[-1] != key:
            print(progress, file=sys.stderr, flush=True)
        shown.append(key)

    return report


def _warn(reason: str | None, name: str) -> str | None:
    """Say on stderr, before any answer, why predictor `name` must not be trusted."""
    if reason:
        print("\r\033[K" if sys.stderr.isatty() else "", end="", file=sys.stderr)
        print(f"warning: predictor {name!r} is {reason}", file=sys.stderr)
    return reason


def _rounded(metrics: dict) -> dict:
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in metrics.items()}


def _score(args: argparse.Namespace) -> int:
    from pimp_tui.services.predictor_scores import ScoreRequest, score

    request = ScoreRequest(args.db, args.predictor, args.folds, args.repeats, args.explain)
    result = score(request, _stderr_progress())
    warning = _warn(result.distrust, result.name)
    out = {"predictor": result.name, "trustworthy": warning is None, "cv": _rounded(result.cv),
           "holdout": _rounded(result.holdout),
           "curve": [_rounded(p) for p in result.curve]}  # fmt: skip
    if args.explain:
        out["importance"] = [[name, round(value, 4)] for name, value in result.importance]
        out["interactions"] = [[a, b, round(h2, 4)] for a, b, h2 in result.interactions]
    print(json.dumps(out))
    return 0


def _query(args: argparse.Namespace) -> int:
    from pimp_tui.services.predictors import QueryRequest, query

    result = query(QueryRequest(args.db, args.predictor, tuple(args.settings), args.seed))
    if result.unset:
        print(f"unset options taken as 0: {', '.join(result.unset)}", file=sys.stderr)
    for outside in result.outside:
        print(f"pimp: warning: {outside}", file=sys.stderr)
    warning = _warn(result.distrust, result.name)
    print(json.dumps({
        "predictor": result.name, "target": result.target, "trustworthy": warning is None,
        "prediction": result.prediction, "interval95": list(result.interval95),
        "configuration": result.configuration,
    }))  # fmt: skip
    return 0


def _pareto(args: argparse.Namespace) -> int:
    from pimp_tui.services.datasets import measured_front

    targets = [t for t in args.targets.split(",") if t]
    maximise = {t for t in args.maximise.split(",") if t}
    front = measured_front(args.db, targets, maximise, _dataset(args))
    for point in front.points:
        print(json.dumps(point))
    print(f"{len(front.points)} of {front.measured} measured configurations on the front",
          file=sys.stderr)  # fmt: skip
    return 0


def _recommend(args: argparse.Namespace) -> int:
    from pimp_tui.services.predictors import RecommendRequest, recommend

    request = RecommendRequest(args.db, args.minimise, args.maximise, tuple(args.constraint),
                               tuple(args.fix), args.seed)  # fmt: skip
    result = recommend(request, _stderr_progress(), lambda name, why: _warn(why, name))
    print(json.dumps({"warnings": result.warnings, "method": result.method,
                      "evaluated": result.evaluated, "predicted": result.predicted,
                      "interval68": result.interval68, "measured_within": result.measured_within,
                      "configuration": result.configuration}))  # fmt: skip
    return 0


def _next(args: argparse.Namespace) -> int:
    from pimp_tui.services.predictors import NextRequest, next_configurations

    request = NextRequest(args.db, args.predictor, args.k, args.strategy, args.maximise,
                          args.candidates, args.seed)  # fmt: skip
    for mean, std, config in next_configurations(request):
        print(json.dumps({"prediction": mean, "uncertainty": std, "configuration": config}))
    return 0


def _energy(args: argparse.Namespace) -> int:
    from pimp_tui.services.datasets import energy_model

    print(json.dumps(energy_model(args.db, args.target, args.campaign)))
    return 0
