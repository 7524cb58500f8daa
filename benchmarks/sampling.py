"""t-wise sampling: per model, features, valid t-wise interactions, sample size, lower bound,
coverage, seconds, load average, and the best published 2-wise size.

    python benchmarks/sampling.py                      # shared models and sample_models/
    python benchmarks/sampling.py MODEL.uvl ... --t 2  # any .uvl / .xml files
    python benchmarks/sampling.py --time-budget 50     # search 50 s each (not deterministic)

Targets (2-wise, full coverage, within 60 s on a 2-core machine): toybox at most 9
configurations (YASA 10, optimum 8), berkeleydb at most 18 (YASA 19, optimum 15), and at or
below YASA's sizes on real Kconfig/CDL models of 100-1,500 features. Seconds cover sampling
only (the 1-minute load average is printed beside them: other work on the machine stretches
them); coverage and validity (invalid: configurations the reasoner rejects) are checked
afterwards by the independent checker. The bound is the sampler's own lower bound on any
full-coverage sample: size = bound proves the sample minimal.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from pimp_tui.errors import PimpError
from pimp_tui.paths import SAMPLE_MODELS
from pimp_tui.sampling.coverage import coverage
from pimp_tui.sampling.literals import cover_problem
from pimp_tui.sampling.twise import twise_sample
from pimp_tui.variability.io import load_model
from pimp_tui.variability.reasoning import Reasoner

SHARED = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "featuremodels"

PUBLISHED = {
    "toybox": "optimum 8, YASA 10",
    "berkeleydb": "optimum 15, YASA 19",
}
"""Best published 2-wise sample sizes, from the shared benchmarks README."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", type=Path, help="model files (default: shared)")
    parser.add_argument("--t", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--time-budget", type=float, default=None)
    parser.add_argument("--iterations", type=int, default=None)
    args = parser.parse_args(argv)
    paths = args.models or [
        SHARED / "toybox.uvl",
        SHARED / "toybox.xml",
        SHARED / "berkeleydb.uvl",
        *sorted(SAMPLE_MODELS.glob("*.uvl")),
    ]
    # The same defaults as `pimp sample`: 300 local-search steps, 60 for t = 3, no step limit
    # under a time budget.
    iterations = args.iterations or (10**9 if args.time_budget else 300 if args.t < 3 else 60)
    print(
        f"{'model':<24} {'features':>8} {'valid':>9} {'size':>5} {'bound':>5} {'coverage':>9} "
        f"{'invalid':>7} {'seconds':>8} {'load':>5}  published"
    )
    for path in paths:
        try:
            model = load_model(path)
            start = time.perf_counter()
            encoding = Reasoner(model).encoding
            result = twise_sample(
                cover_problem(encoding),
                args.t,
                args.seed,
                iterations=iterations,
                time_budget=args.time_budget,
            )
            configs = [encoding.decode(m) for m in result.models]
            seconds = time.perf_counter() - start
            cover = coverage(model, configs, args.t)
        except PimpError as exc:
            print(f"{path.name:<24} skipped: {exc}")
            continue
        features = len(model.feature_names())
        published = PUBLISHED.get(path.stem, "-") if args.t == 2 else "-"
        print(
            f"{path.name:<24} {features:>8} {cover.valid:>9} {len(configs):>5} "
            f"{result.lower_bound:>5} {100 * cover.ratio:>8.2f}% "
            f"{len(cover.invalid_configurations):>7} {seconds:>8.1f} "
            f"{os.getloadavg()[0]:>5.1f}  {published}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
