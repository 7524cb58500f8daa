"""Serving on a GPU: offline, continuous and shaped serving of the same stream, J/request and p99.

One campaign on a random-weight Llama of TinyLlama-1.1B's shape (built here: no download; or
--llm a cached model), bf16, SDPA, greedy, gen.batch_size 8, 128 new tokens, `--requests`
arithmetic prompts per run: static and continuous batching, each with offline arrivals,
Poisson arrivals at 16 requests/s, and the same arrivals shaped into groups of 8 (hold 0.5 s).
Every configuration is completed by the reasoner on sample_models/hf_serving.uvl fixed to this
host, stored as a sample, and measured with the `serving` task through the campaign loop (NVML
energy counter, idle baseline), as `pimp measure` does. Prints per configuration: J/request
(gross and idle-subtracted), J/output token, p50/p99 latency, p99 TTFT, mean queue wait, and
output tokens/s.

    python benchmarks/serving_gpu.py [--requests 64] [--repetitions 2] [--llm SPEC]
    python benchmarks/serving_gpu.py --fake   # without a GPU: the tiny model on CPU, estimate
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.gpu_settings import LLAMA_1B  # noqa: E402
from pimp_tui.measure import campaign  # noqa: E402
from pimp_tui.measure.host import detect_host, fix_to_host  # noqa: E402
from pimp_tui.paths import SAMPLE_MODELS, TINY_LLM  # noqa: E402
from pimp_tui.services.campaigns import runs_frame  # noqa: E402
from pimp_tui.store.db import open_store  # noqa: E402
from pimp_tui.variability.io import load_model  # noqa: E402
from pimp_tui.variability.reasoning import Reasoner  # noqa: E402

GENERATION = {
    "gen.GreedySearch": True, "gen.SdpaAttention": True, "gen.NoQuantization": True,
    "gen.DynamicCache": True, "gen.repetition_penalty": None, "gen.no_repeat_ngram_size": None,
    "gen.batch_size": 8, "gen.max_new_tokens": 128,
}  # fmt: skip
POISSON = {"srv.Poisson": True, "srv.arrival_rate": 16.0}
SHAPED = {"srv.Shaped": True, "srv.shaped_rate": 16.0, "srv.group_size": 8, "srv.max_hold_s": 0.5}
ROWS = (
    ("static offline", {"srv.StaticBatching": True, "srv.Offline": True}),
    ("continuous offline", {"srv.ContinuousBatching": True, "srv.Offline": True}),
    ("static poisson 16/s", {"srv.StaticBatching": True, **POISSON}),
    ("continuous poisson 16/s", {"srv.ContinuousBatching": True, **POISSON}),
    ("static shaped 8", {"srv.StaticBatching": True, **SHAPED}),
    ("continuous shaped 8", {"srv.ContinuousBatching": True, **SHAPED}),
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=64)
    parser.add_argument("--repetitions", type=int, default=2)
    parser.add_argument("--llm", help="a local or cached model (default: random TinyLlama shape)")
    parser.add_argument("--fake", action="store_true", help="tiny model on CPU, estimate sensor")
    args = parser.parse_args()
    host = detect_host()
    if not host.gpus and not args.fake:
        sys.exit("serving_gpu: no CUDA GPU visible to torch; run this on a GPU machine (or --fake)")
    work = Path(tempfile.mkdtemp(prefix="pimp-serving-"))
    llm = args.llm
    if args.fake:
        llm, requests, tokens, precision = str(TINY_LLM), min(args.requests, 8), 4, "gen.Float32"
    else:
        requests, tokens, precision = args.requests, None, "gen.BFloat16"
        if llm is None:
            (work / "config.json").write_text(json.dumps(LLAMA_1B))
            llm = f"config:{work / 'config.json'}"
    model = load_model(SAMPLE_MODELS / "hf_serving.uvl")
    reasoner = Reasoner(fix_to_host(model, host)[0])
    configs = []
    for label, partial in ROWS:
        config = reasoner.complete({**GENERATION, precision: True, **partial}, seed=0)
        if config is None:
            sys.exit(f"serving_gpu: {label} is not a valid configuration on this host")
        configs.append(config)
    db_path = work / "serving.db"
    db = open_store(db_path)
    db.execute("INSERT INTO feature_models (name, uvl) VALUES ('hf_serving', 'features')")
    db.execute("INSERT INTO samples (model_id, name, algorithm) VALUES (1, 'serving', 'csv')")
    for position, config in enumerate(configs):
        db.execute("INSERT INTO configurations (sample_id, position, config) VALUES (1, ?, ?)",
                   [position, json.dumps(config)])  # fmt: skip
    db.conn.commit()
    db.conn.close()
    cid = campaign.create_campaign(
        db_path, sample_id=1, task="serving", prompts=requests, repetitions=args.repetitions,
        llm=llm, max_new_tokens=tokens, sensor="estimate" if args.fake else None,
        idle_s=0.5 if args.fake else 5.0, cooldown_s=0.0 if args.fake else 2.0,
    )  # fmt: skip
    status = campaign.run_campaign(db_path, cid, notify=lambda m: print(m, file=sys.stderr))
    runs = runs_frame(db_path, cid)
    print(f"store {db_path}, campaign {cid}: {status}; {requests} requests per run, llm {llm}")
    header = ("configuration", "J/req", "net J/req", "J/tok", "p50 s", "p99 s", "TTFT p99 s",
              "wait s", "tok/s", "runs")  # fmt: skip
    print("  ".join(f"{h:>10}" if i else f"{h:<24}" for i, h in enumerate(header)))
    for position, (label, _) in enumerate(ROWS):
        rows = [r for r in runs.iter_rows(named=True)
                if r["configuration_id"] == position + 1 and r["status"] == "done"]  # fmt: skip
        if not rows:
            failed = [r["error"] for r in runs.iter_rows(named=True)
                      if r["configuration_id"] == position + 1]  # fmt: skip
            print(f"{label:<24}  failed: {failed[:1]}")
            continue
        keys = ("energy_per_request_j", "energy_net_per_request_j", "energy_per_token_j",
                "latency_p50_s", "latency_p99_s", "ttft_p99_s", "queue_wait_mean_s",
                "tokens_per_s")  # fmt: skip
        means = [_mean([r[k] for r in rows]) for k in keys]
        cells = [f"{m:>10.4g}" if m is not None else f"{'-':>10}" for m in means]
        print(f"{label:<24}  " + "  ".join(cells) + f"  {len(rows):>10}")
    return 0 if status == "done" else 1


def _mean(values: list) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


if __name__ == "__main__":
    sys.exit(main())
