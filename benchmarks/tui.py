"""Workbench benchmark: time to the first frame, and what the monitor pane costs.

1. First frame: `pimp` is started in a fresh interpreter (headless, on a new store) the way
   the console script starts it; the time from process launch to the first screen painted is
   reported, with the import time of the app. Repeated --runs times; median and max shown.
2. Monitor: the app runs headless at 80x24 on the Monitor pane with the live power trace sampled
   at 10 Hz (the estimate sensor, so no GPU is needed) and the chart redrawn at 4 Hz; the
   process CPU time over a wall-clock interval is the cost, in percent of one core. The same
   figure on the Model pane (nothing sampled) is printed for comparison.

    python benchmarks/tui.py [--runs 5] [--seconds 10]

Targets: first frame < 1.5 s; monitor < 5 % of one core.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = r"""
import sys, time, json
t0 = time.perf_counter()
from pimp_tui.cli import build_parser
args = build_parser().parse_args(["--db", sys.argv[1]])
t1 = time.perf_counter()
from pimp_tui.app import PimpApp
t2 = time.perf_counter()

class Timed(PimpApp):
    def on_mount(self) -> None:
        super().on_mount()
        self.call_after_refresh(self._first_frame)

    def _first_frame(self) -> None:
        heavy = [m for m in ("torch", "transformers", "sklearn", "scipy", "numpy", "pysat")
                 if m in sys.modules]
        record = {"wall": time.time(), "cli": t1 - t0, "app": t2 - t1,
                  "paint": time.perf_counter() - t2, "heavy": heavy}
        print(json.dumps(record), flush=True)
        self.exit()

Timed(db=args.db).run(headless=True, size=(80, 24))
"""


def first_frame(runs: int) -> None:
    times, parts, heavy = [], {"cli": [], "app": [], "paint": []}, set()
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(runs):
            db = str(Path(tmp) / f"run{i}.db")
            start = time.time()
            out = subprocess.run(
                [sys.executable, "-c", CHILD, db], capture_output=True, text=True, check=True
            ).stdout
            record = json.loads(out.strip().splitlines()[-1])
            times.append(record["wall"] - start)
            for key, values in parts.items():
                values.append(record[key])
            heavy.update(record["heavy"])
    med = {key: statistics.median(values) for key, values in parts.items()}
    print(
        f"first frame (process launch -> first screen painted), {runs} runs: "
        f"median {statistics.median(times):.3f} s, max {max(times):.3f} s; medians of the "
        f"parts: CLI hub with every command module {med['cli']:.3f} s, the app's imports "
        f"{med['app']:.3f} s, app start to first paint {med['paint']:.3f} s "
        "(the rest is the interpreter starting)"
    )
    if heavy:
        print(f"  imported before the first frame: {', '.join(sorted(heavy))}")


async def pane_cpu(mode: str, seconds: float) -> tuple[float, float]:
    from pimp_tui.app import PimpApp

    with tempfile.TemporaryDirectory() as tmp:
        app = PimpApp(db=Path(tmp) / "bench.db", seed=False, sensor="estimate")
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press({"model": "1", "monitor": "3"}[mode])
            await asyncio.sleep(2.0)  # sensor opened, buffer filling, timers running
            cpu0, wall0 = time.process_time(), time.perf_counter()
            await asyncio.sleep(seconds)
            cpu = time.process_time() - cpu0
            wall = time.perf_counter() - wall0
            monitor = getattr(app.screen, "_idle_monitor", None)
            hz = monitor.achieved_hz if monitor is not None else 0.0
    return 100.0 * cpu / wall, hz


def monitor_cost(seconds: float) -> None:
    idle, _ = asyncio.run(pane_cpu("model", seconds))
    busy, hz = asyncio.run(pane_cpu("monitor", seconds))
    print(
        f"monitor pane, estimate sensor sampled at {hz:.1f} Hz, chart at 4 Hz, {seconds:.0f} s: "
        f"{busy:.2f} % of one core (model pane, nothing sampled: {idle:.2f} %)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    first_frame(args.runs)
    monitor_cost(args.seconds)


if __name__ == "__main__":
    main()
