"""Mean MAPE of a learner (default `auto`) on the reference systems of the performance-prediction
literature at training sizes n..5n, 30 repetitions (DeepPerf's splits where the data ships them),
next to the published DeepPerf and DaL figures.

    python3 benchmarks/predict.py [--learner auto] [--repeats 30] [--systems x264,Apache,BDBJ]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pimp_tui.predict.bench import bench, random_splits
from pimp_tui.predict.encoding import read_csv, read_training_index

PERF = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "perf"
# n (options of the original system) and the published mean MAPE at n..5n (benchmarks README).
SYSTEMS = {
    "x264": (16, [10.43, 3.61, 2.13, 1.49, 0.87], [8.37, 3.55, 1.77, 1.22, 0.88]),
    "Apache": (9, [17.87, 10.24, 8.25, 6.97, 6.29], [20.27, 12.12, 7.82, 6.91, 6.09]),
    "BDBJ": (26, [7.25, 2.07, 1.73, 1.67, 1.61], [5.97, 3.24, 2.03, 1.67, 1.48]),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learner", default="auto")
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--systems", default=",".join(SYSTEMS))
    args = parser.parse_args()
    print(f"learner {args.learner}, {args.repeats} repetitions; MAPE % (95% CI) vs best published")
    print(f"{'system':8}{'size':>6}{'ours':>9}{'±ci95':>8}{'DeepPerf':>10}{'DaL':>7}  "
          f"{'beats':6}{'fit s':>7}{'cpu s':>7}")  # fmt: skip
    wins = cells = 0
    for name in args.systems.split(","):
        n, deepperf, dal = SYSTEMS[name]
        table = read_csv(PERF / f"{name}_AllNumeric.csv")
        index = PERF / f"{name}_training_index.csv"
        for k in range(1, 6):
            size = k * n
            if index.exists():
                splits = read_training_index(index, size)[: args.repeats]
            else:
                splits = random_splits(len(table.y), size, args.repeats, args.seed + size)
            r = bench(table.x, table.y, splits, args.learner, args.seed)
            best = min(deepperf[k - 1], dal[k - 1])
            ok = r.mape_mean <= best
            wins, cells = wins + ok, cells + 1
            print(
                f"{name:8}{size:>6}{r.mape_mean:>9.2f}{r.mape_ci95:>8.2f}{deepperf[k - 1]:>10.2f}"
                f"{dal[k - 1]:>7.2f}  {'yes' if ok else 'no':6}{r.fit_seconds_mean:>7.2f}"
                f"{r.fit_cpu_seconds_mean:>7.2f}",
                flush=True,
            )
    print(f"at or below the best published figure in {wins}/{cells} cells")
    return 0


if __name__ == "__main__":
    sys.exit(main())
