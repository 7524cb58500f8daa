"""`pimp predict ...`: learn and query performance models.

`pimp predict bench --csv FILE --train-size N ...` runs repeated train/test splits on any CSV
(options as columns, the measured value last or --target) and prints one JSON object on its last
line. The other subcommands work on the measured campaigns in the store.
"""

from __future__ import annotations

import argparse
import json
import sys

from pimp_tui.cli import add_db_option, print_json, seed_value
from pimp_tui.predict import LEARNER_NAMES


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
    bench.add_argument("--learner", default="auto", choices=LEARNER_NAMES)
    bench.add_argument("--json", action="store_true", help="only the JSON line on stdout")
    add_db_option(bench)
    bench.set_defaults(func=_bench)

    train = sub.add_parser("train", help="fit a predictor on a campaign's runs (or a CSV)")
    train.add_argument("--target", required=True, help="metric, e.g. energy_per_token_j")
    train.add_argument("--campaign", type=int, help="campaign id (default: every campaign)")
    train.add_argument("--csv", help="learn from a CSV instead (target column: --target)")
    train.add_argument("--learner", default="auto", choices=LEARNER_NAMES)
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
    query.add_argument("settings", nargs="*", metavar="FEATURE=VALUE")
    query.add_argument("--seed", type=seed_value, default=0)
    query.set_defaults(func=_query)

    pareto = sub.add_parser("pareto", help="Pareto front over 2-3 measured targets")
    pareto.add_argument("--targets", required=True, help="comma-separated, e.g. energy_j,accuracy")
    pareto.add_argument("--maximise", default="", help="targets to maximise (comma-separated)")
    pareto.add_argument("--campaign", type=int)
    pareto.set_defaults(func=_pareto)

    rec = sub.add_parser("recommend", help="best valid configuration under constraints")
    rec.add_argument("--minimise", help="predictor to minimise")
    rec.add_argument("--maximise", help="predictor to maximise")
    rec.add_argument("--constraint", action="append", default=[], metavar="PREDICTOR<=X")
    rec.add_argument("--fix", action="append", default=[], metavar="FEATURE=VALUE")
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
    print_json(summary)
    return 0


def _train(args: argparse.Namespace) -> int:
    import numpy as np

    from pimp_tui.predict.data import target_bounds
    from pimp_tui.predict.encoding import check_target, read_csv
    from pimp_tui.predict.evaluation import cross_validate, distrust
    from pimp_tui.predict.learners import make_learner
    from pimp_tui.predict.saved import save_predictor
    from pimp_tui.store.db import open_store
    from pimp_tui.store.predictors import save_score

    db = open_store(args.db)
    model_id = None
    if args.csv:
        table = read_csv(args.csv, args.target)
        x, y, encoder, source = table.x, table.y, table.encoder, args.csv
        print(f"{args.csv}: {table.describe()}", file=sys.stderr)
    else:
        from pimp_tui.predict.data import campaign_data

        data = campaign_data(db, args.target, args.campaign)
        model_id, source = data.model_id, data.source
        encoder = _encoder_for(db, model_id, data.configs)
        x, y = encoder.encode(data.configs), np.asarray(data.y)
        check_target(y, f"{args.target} in {source}")
    if len(y) < 4:
        from pimp_tui.errors import PimpError

        raise PimpError(f"{len(y)} measured configuration(s): at least 4 are needed")
    bounds = target_bounds(args.target)
    tracker = _stderr_tracker({"cross-validating": 4.0, "fitting on every row": 1.0})
    tracker.stage("cross-validating")
    cv = cross_validate(x, y, args.learner, args.folds, args.seed, bounds, tracker)
    tracker.stage("fitting on every row")
    fitted = make_learner(args.learner, args.seed, bounds).fit(x, y)
    name = args.name or args.target
    pid = save_predictor(
        db, name=name, target=args.target, learner=args.learner, seed=args.seed, source=source,
        encoder=encoder, fitted=fitted, n_train=len(y), model_id=model_id,
    )  # fmt: skip
    metrics = {k: v for k, v in cv.items() if k != "oof"}
    save_score(db, pid, "cv", metrics)
    warning = _warn(distrust(cv["r2"], len(y), len(encoder.columns)), name)
    print(json.dumps({"predictor": name, "id": pid, "n": len(y), **_rounded(metrics),
                      "trustworthy": warning is None}))  # fmt: skip
    return 0


def _stderr_tracker(stages: dict[str, float]):
    """Progress on stderr (stage, share done, ETA): one rewritten line on a terminal, a line
    per stage and tenth otherwise."""
    from pimp_tui.predict.progress import Tracker

    shown: list[tuple[str, int]] = []

    def report(progress) -> None:
        key = (progress.stage, int(10 * progress.fraction))
        if sys.stderr.isatty():
            end = "\n" if progress.fraction >= 1 else ""
            print(f"\r\033[K{progress}", end=end, file=sys.stderr, flush=True)
        elif not shown or shown[-1] != key:
            print(progress, file=sys.stderr, flush=True)
        shown.append(key)

    return Tracker(stages, report)


def _warn(reason: str | None, name: str) -> str | None:
    """Say on stderr, before any answer, why predictor `name` must not be trusted."""
    if reason:
        print("\r\033[K" if sys.stderr.isatty() else "", end="", file=sys.stderr)
        print(f"warning: predictor {name!r} is {reason}", file=sys.stderr)
    return reason


def _encoder_for(db, model_id, configs):
    from pimp_tui.predict.encoding import Encoder

    if model_id is not None:
        from pimp_tui.store.samples import load_model_by_id

        return Encoder.from_model(load_model_by_id(db, model_id))
    return Encoder.from_configs(configs)


def _rounded(metrics: dict) -> dict:
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in metrics.items()}


def _training(db, meta, encoder):
    """The predictor's training rows again (from its campaign or CSV)."""
    import numpy as np

    from pimp_tui.predict.encoding import read_csv

    if meta["source"].startswith("campaign"):
        from pimp_tui.predict.data import campaign_data

        campaign = meta["source"].partition(":")[2]
        data = campaign_data(db, meta["target"], int(campaign) if campaign else None)
        return encoder.encode(data.configs), np.asarray(data.y), data.configs
    table = read_csv(meta["source"], meta["target"])
    return table.x, table.y, None


def _score(args: argparse.Namespace) -> int:
    from pimp_tui.predict.data import target_bounds
    from pimp_tui.predict.evaluation import cross_validate, distrust, holdout, learning_curve
    from pimp_tui.predict.saved import load_predictor
    from pimp_tui.store.db import open_store
    from pimp_tui.store.predictors import save_score

    db = open_store(args.db)
    meta, fitted, encoder = load_predictor(db, args.predictor)
    x, y, _ = _training(db, meta, encoder)
    learner, seed, bounds = meta["learner"], meta["seed"], target_bounds(meta["target"])
    tracker = _stderr_tracker(
        {
            "cross-validating": 4.0,
            "hold-out": 1.0,
            "learning curve": 5.0,
            "importance and interactions": 1.0 if args.explain else 0.0,
        }
    )
    tracker.stage("cross-validating")
    cv = cross_validate(x, y, learner, args.folds, seed, bounds, tracker)
    cv = {k: v for k, v in cv.items() if k != "oof"}
    tracker.stage("hold-out")
    hold = holdout(x, y, learner, seed=seed, bounds=bounds).as_dict()
    tracker.stage("learning curve")
    points = learning_curve(x, y, None, learner, args.repeats, seed, bounds, tracker)
    curve = [p.__dict__ for p in points]
    warning = _warn(distrust(cv["r2"], len(y), len(encoder.columns)), meta["name"])
    out = {"predictor": meta["name"], "trustworthy": warning is None, "cv": _rounded(cv),
           "holdout": _rounded(hold), "curve": [_rounded(p) for p in curve]}  # fmt: skip
    for kind, metrics in (("cv", cv), ("holdout", hold), ("curve", {"points": curve})):
        save_score(db, meta["id"], kind, metrics)
    if args.explain:
        from pimp_tui.predict.explain import interaction_strength, permutation_importance

        tracker.stage("importance and interactions")
        columns = encoder.columns
        importance = permutation_importance(
            fitted, x, y, columns, seed=seed, bounds=bounds, tracker=tracker
        )
        top = [columns.index(i.feature) for i in importance[:6]]
        pairs = interaction_strength(fitted, x, columns, top, seed=seed, tracker=tracker)
        out["importance"] = [[i.feature, round(i.mean, 4)] for i in importance]
        out["interactions"] = [[p.first, p.second, round(p.h2, 4)] for p in pairs[:10]]
    print(json.dumps(out))
    return 0


def _parse_settings(items: list[str]) -> dict:
    from pimp_tui.errors import PimpError

    out: dict = {}
    for item in items:
        name, sep, text = item.partition("=")
        if not sep or not name:
            raise PimpError(f"setting {item!r}: expected FEATURE=VALUE")
        lowered = text.strip().lower()
        if lowered in ("true", "false"):
            out[name] = lowered == "true"
        elif lowered in ("none", "null", ""):
            out[name] = None
        else:
            try:
                out[name] = int(text)
            except ValueError:
                try:
                    out[name] = float(text)
                except ValueError:
                    out[name] = text
    return out


def _model_of(db, meta):
    from pimp_tui.errors import PimpError
    from pimp_tui.store.samples import load_model_by_id

    if meta["model_id"] is None:
        raise PimpError(f"predictor {meta['name']!r} has no feature model (trained on a CSV)")
    return load_model_by_id(db, meta["model_id"])


def _query(args: argparse.Namespace) -> int:
    from pimp_tui.errors import PimpError
    from pimp_tui.predict.saved import load_predictor
    from pimp_tui.store.db import open_store

    db = open_store(args.db)
    meta, fitted, encoder = load_predictor(db, args.predictor)
    partial = _parse_settings(args.settings)
    config = partial
    if meta["model_id"] is not None:
        from pimp_tui.variability.reasoning import Reasoner

        reasoner = Reasoner(_model_of(db, meta))
        unknown = [k for k in partial if k not in reasoner.encoding.feature_var]
        if unknown:
            raise PimpError(f"unknown feature(s): {', '.join(unknown)}")
        config = reasoner.complete(partial, seed=args.seed)
        if config is None:
            raise PimpError("no valid configuration has these settings")
    else:
        encoder.check(config)
        unset = [f for f in encoder.features if f not in config]
        if unset:
            print(f"unset options taken as 0: {', '.join(unset)}", file=sys.stderr)
    x = encoder.encode([config])
    low, high = fitted.predict_interval(x)
    warning = _warn(_stored_distrust(db, meta, encoder), meta["name"])
    print(json.dumps({
        "predictor": meta["name"], "target": meta["target"], "trustworthy": warning is None,
        "prediction": float(fitted.predict(x)[0]), "interval95": [float(low[0]), float(high[0])],
        "configuration": config,
    }))  # fmt: skip
    return 0


def _stored_distrust(db, meta, encoder) -> str | None:
    """Why a stored predictor must not be trusted, from its latest cross-validation score."""
    from pimp_tui.predict.evaluation import distrust
    from pimp_tui.store.predictors import scores_of

    cv = [s["metrics"] for s in scores_of(db, meta["id"]) if s["kind"] == "cv"]
    r2 = cv[-1].get("r2") if cv else None
    if r2 is None:
        return "not trustworthy: never cross-validated"
    return distrust(float(r2), int(meta["n_train"]), len(encoder.columns))


def _pareto(args: argparse.Namespace) -> int:
    import numpy as np

    from pimp_tui.errors import PimpError
    from pimp_tui.predict.data import campaign_data
    from pimp_tui.predict.pareto import pareto_front
    from pimp_tui.store.db import open_store

    targets = [t for t in args.targets.split(",") if t]
    if not 2 <= len(targets) <= 3:
        raise PimpError("--targets: two or three targets")
    maximise = {t for t in args.maximise.split(",") if t}
    db = open_store(args.db)
    per_target = [campaign_data(db, t, args.campaign) for t in targets]
    keys = [json.dumps(c, sort_keys=True) for c in per_target[0].configs]
    values = [dict(zip([json.dumps(c, sort_keys=True) for c in d.configs], d.y, strict=True))
              for d in per_target]  # fmt: skip
    common = [k for k in keys if all(k in v for v in values)]
    points = np.array([[v[k] for v in values] for k in common])
    front = pareto_front(points, [t in maximise for t in targets]) if len(common) else []
    for i in front:
        print(json.dumps({**dict(zip(targets, map(float, points[i]), strict=True)),
                          "configuration": json.loads(common[i])}))  # fmt: skip
    print(f"{len(front)} of {len(common)} measured configurations on the front", file=sys.stderr)
    return 0


def _recommend(args: argparse.Namespace) -> int:
    from pimp_tui.errors import PimpError
    from pimp_tui.predict.recommend import Constraint, recommend
    from pimp_tui.predict.saved import load_predictor
    from pimp_tui.store.db import open_store

    if bool(args.minimise) == bool(args.maximise):
        raise PimpError("give exactly one of --minimise PREDICTOR / --maximise PREDICTOR")
    objective = args.minimise or args.maximise
    constraints = [Constraint.parse(c) for c in args.constraint]
    db = open_store(args.db)
    scorers, loaded, model, warnings = {}, {}, None, []
    for name in sorted({objective, *(c.target for c in constraints)}):
        meta, fitted, encoder = load_predictor(db, name)
        model = model or _model_of(db, meta)
        scorers[name] = lambda cs, f=fitted, e=encoder: f.predict(e.encode(cs))
        loaded[name] = (meta, fitted, encoder)
        reason = _warn(_stored_distrust(db, meta, encoder), name)
        if reason:
            warnings.append(f"{name}: {reason}")
    tracker = _stderr_tracker({"searching valid configurations": 1.0})
    tracker.stage("searching valid configurations")
    result = recommend(
        model, scorers, objective, constraints, _parse_settings(args.fix),
        maximise=bool(args.maximise), seed=args.seed, tracker=tracker,
    )  # fmt: skip
    if result is None:
        raise PimpError("no valid configuration is predicted to meet every constraint")
    intervals, within = {}, {}
    for name, (meta, fitted, encoder) in loaded.items():
        low, high = fitted.predict_interval(encoder.encode([result.config]), level=0.6827)
        intervals[name] = [float(low[0]), float(high[0])]
        _, measured, _ = _training(db, meta, encoder)
        within[name] = int(sum(low[0] <= v <= high[0] for v in measured))
    print(json.dumps({"warnings": warnings, "method": result.method,
                      "evaluated": result.evaluated, "predicted": result.predicted,
                      "interval68": intervals, "measured_within": within,
                      "configuration": result.config}))  # fmt: skip
    return 0


def _next(args: argparse.Namespace) -> int:
    from pimp_tui.errors import PimpError
    from pimp_tui.predict.active import next_batch
    from pimp_tui.predict.saved import load_predictor
    from pimp_tui.store.db import open_store
    from pimp_tui.variability.reasoning import Reasoner

    db = open_store(args.db)
    meta, fitted, encoder = load_predictor(db, args.predictor)
    reasoner = Reasoner(_model_of(db, meta))
    _, y, measured = _training(db, meta, encoder)
    seen = {json.dumps(c, sort_keys=True) for c in measured or []}
    candidates, keys = [], set()
    for s in range(args.candidates):
        config = reasoner.complete({}, seed=args.seed * 100_003 + s)
        key = json.dumps(config, sort_keys=True)
        if config is not None and key not in seen and key not in keys:
            keys.add(key)
            candidates.append(config)
    if not candidates:
        raise PimpError("every valid configuration drawn has been measured already")
    best = float(max(y) if args.maximise else min(y))
    chosen = next_batch(fitted, encoder.encode(candidates), best, args.k, args.strategy,
                        args.maximise)  # fmt: skip
    x = encoder.encode([candidates[i] for i in chosen])
    for i, mean, std in zip(chosen, fitted.predict(x), fitted.uncertainty(x), strict=True):
        print(json.dumps({"prediction": float(mean), "uncertainty": float(std),
                          "configuration": candidates[i]}))  # fmt: skip
    return 0


def _energy(args: argparse.Namespace) -> int:
    from pimp_tui.errors import PimpError
    from pimp_tui.predict.analytical import fit_energy_model
    from pimp_tui.store.db import open_store

    db = open_store(args.db)
    where = "status = 'done' AND input_tokens IS NOT NULL AND output_tokens IS NOT NULL"
    where += f" AND {args.target} IS NOT NULL"
    params: list = []
    if args.campaign is not None:
        where += " AND campaign_id = ?"
        params.append(args.campaign)
    if args.target not in ("energy_j", "energy_net_j", "energy_per_request_j"):
        raise PimpError("--target: energy_j, energy_net_j or energy_per_request_j")
    rows = list(db.query(
        f"SELECT input_tokens, output_tokens, {args.target} AS e FROM runs WHERE {where}", params
    ))  # fmt: skip
    fit = fit_energy_model([r["input_tokens"] for r in rows], [r["output_tokens"] for r in rows],
                           [r["e"] for r in rows])  # fmt: skip
    longest = max(r["output_tokens"] for r in rows)
    spots = {int(n): fit.sweet_spot(n, longest) for n in sorted({r["input_tokens"] for r in rows})}
    print(json.dumps({**fit.as_dict(), "sweet_spots": spots}))
    return 0
