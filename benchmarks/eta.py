"""ETA benchmark: how far the campaign's time-left estimate is from the truth at 25 % progress.

A campaign of 40 runs (a uniform sample of 20 configurations of hf_generation.uvl × 2
repetitions, each with its own decoding strategy and max_new_tokens unless --max-new-tokens
overrides them) runs on the tiny test model with the estimate sensor. When the 10th run has
finished, the estimate (`measure.eta`, what the CLI, the log and the workbench show) is recorded;
when the campaign ends, the time actually left at that moment is known. Printed: both, the
error in per cent, and for comparison the naive estimate (time since start / runs finished ×
runs left) that counts model loading and the idle baseline as run time.

Sampled decoding makes a run's output length, hence its duration, vary from one run of a
configuration to the next (here from under a second to over 40 s), so the error of one campaign
is one draw. The measured runs are therefore also replayed in --orders other plans (rounds of
every configuration in random orders, as campaigns plan them; durations and the median gap
between runs as measured): printed, the share of plans whose estimate at 25 % is within ±30 %,
and the median and 10th/90th percentiles of the error. `--configs 13 --repetitions 3
--prompts 10` is a campaign of `pimp measure`'s defaults (39 runs; 2 min 57 s on a quiet
2-core machine).

    python benchmarks/eta.py [--configs 20] [--repetitions 2] [--prompts 1] [--seed 0]
                             [--max-new-tokens N] [--orders 1000]

Target: within ±30 % of the actual remaining time.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pimp_tui import paths  # noqa: E402
from pimp_tui.measure.campaign import create_campaign, run_campaign  # noqa: E402
from pimp_tui.measure.campaign_events import CampaignProgress  # noqa: E402
from pimp_tui.measure.eta import RunTiming, campaign_runs, format_duration, remaining_s  # noqa: E402
from pimp_tui.measure.host import Host, fix_to_host  # noqa: E402
from pimp_tui.sampling import sample  # noqa: E402
from pimp_tui.store.db import open_store  # noqa: E402
from pimp_tui.store.samples import save_model, save_sample  # noqa: E402
from pimp_tui.variability.io import load_model  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", type=int, default=20)
    parser.add_argument("--repetitions", type=int, default=2)
    parser.add_argument("--prompts", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-new-tokens", type=int, default=None)
    parser.add_argument("--orders", type=int, default=1000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        db_path = Path(folder) / "eta.db"
        model = load_model(paths.HF_GENERATION_MODEL)
        cpu_model = fix_to_host(model, Host(0))[0]  # the tiny model runs on the CPU
        configs = sample(cpu_model, "uniform", size=args.configs, seed=args.seed)
        db = open_store(db_path)
        model_id = save_model(db, model, "hf_generation")
        sample_id = save_sample(db, model_id, "eta", "uniform", {}, configs, None)
        db.conn.close()
        campaign_id = create_campaign(
            db_path, sample_id=sample_id, task="arith", prompts=args.prompts,
            repetitions=args.repetitions, llm=str(paths.TINY_LLM), sensor="estimate",
            seed=args.seed, max_new_tokens=args.max_new_tokens, idle_s=0.5, cooldown_s=0.2,
        )  # fmt: skip
        total = args.configs * args.repetitions
        quarter = max(total // 4, 1)
        start = time.monotonic()
        seen: dict[str, float] = {}

        def on_event(event: object) -> None:
            if isinstance(event, CampaignProgress) and event.done + event.failed == quarter:
                now = time.monotonic()
                seen.update(at=now, eta=event.eta_s or 0.0)
                seen["naive"] = (now - start) / quarter * (total - quarter)

        status = run_campaign(db_path, campaign_id, on_event=on_event)
        end = time.monotonic()
        db = open_store(db_path)
        runs = campaign_runs(db, campaign_id)[0]
        db.conn.close()

    actual = end - seen["at"]
    error = (seen["eta"] - actual) / actual * 100
    naive_error = (seen["naive"] - actual) / actual * 100
    tokens = args.max_new_tokens or "each configuration's own"
    print(f"campaign: {total} runs ({args.configs} configurations x {args.repetitions}), "
          f"{args.prompts} prompt(s), max_new_tokens {tokens}, status {status}, "
          f"{format_duration(end - start)} in all")  # fmt: skip
    print(f"at {quarter}/{total} runs: ETA {seen['eta']:.1f} s, actual remaining {actual:.1f} s, "
          f"error {error:+.1f} % (target within ±30 %)")  # fmt: skip
    print(f"naive estimate (elapsed / finished x left): {seen['naive']:.1f} s, "
          f"error {naive_error:+.1f} %")  # fmt: skip
    errors = sorted(replayed_errors(runs, quarter, args.orders, args.seed))
    if errors:
        within = sum(abs(e) <= 30 for e in errors) / len(errors) * 100
        low, high = errors[len(errors) // 10], errors[len(errors) * 9 // 10]
        print(f"the same runs in {len(errors)} other plans in rounds: "
              f"within ±30 % in {within:.0f} %, median error "
              f"{statistics.median(errors):+.1f} %, 10th/90th percentile "
              f"{low:+.1f}/{high:+.1f} %")  # fmt: skip
    return 0


def replayed_errors(runs: list[RunTiming], quarter: int, orders: int, seed: int) -> list[float]:
    """The estimate's error (%) after `quarter` runs, were the finished runs to come in other
    plans (rounds of every configuration, each round in a random order, as campaigns plan
    them): each run keeps its configuration, shape and measured duration, the gaps between
    runs their median."""
    done = sorted((r for r in runs if r.started is not None and r.finished is not None),
                  key=lambda r: r.started)  # type: ignore[arg-type, return-value]  # fmt: skip
    if len(done) <= quarter:
        return []
    gaps = [b.started - a.finished for a, b in zip(done, done[1:], strict=False)]  # type: ignore[operator]
    gap = statistics.median(gaps) if gaps else 0.0
    rng = random.Random(seed)
    errors = []
    for _ in range(orders):
        clock, timeline = 0.0, []
        for position, run in enumerate(planned_in_rounds(done, rng)):
            seconds = run.finished - run.started  # type: ignore[operator]
            timeline.append(RunTiming(position, "done", run.strategy, run.max_new_tokens,
                                      clock, clock + seconds, run.configuration))  # fmt: skip
            clock += seconds + gap
        at = timeline[quarter - 1].finished
        view = timeline[:quarter] + [
            RunTiming(r.position, "pending", r.strategy, r.max_new_tokens,
                      configuration=r.configuration)
            for r in timeline[quarter:]
        ]  # fmt: skip
        actual = timeline[-1].finished - at  # type: ignore[operator]
        estimate = remaining_s(view, now=at)
        if estimate is not None and actual > 0:
            errors.append((estimate - actual) / actual * 100)
    return errors


def planned_in_rounds(runs: list[RunTiming], rng: random.Random) -> list[RunTiming]:
    """The runs in another plan: round k runs every configuration's k-th repetition (which of
    its measured runs that is, drawn at random), each round in its own random order."""
    by_configuration: dict[int | None, list[RunTiming]] = {}
    for run in runs:
        by_configuration.setdefault(run.configuration, []).append(run)
    for repetitions in by_configuration.values():
        rng.shuffle(repetitions)
    plan: list[RunTiming] = []
    for k in range(max(len(v) for v in by_configuration.values())):
        round_runs = [v[k] for v in by_configuration.values() if len(v) > k]
        rng.shuffle(round_runs)
        plan += round_runs
    return plan


if __name__ == "__main__":
    sys.exit(main())
