"""Do the valid configurations of hf_generation.uvl really run on this CPU?

The model is fixed to a CPU host (no CUDA-only setting), then N valid configurations are drawn
(seeded random completions of random partial configurations, quantized ones included),
maps each with generation_settings(), and checks it: transformers picks the generation mode the
decoding-strategy feature names, `GenerationConfig(**generate_kwargs).validate(strict=True)`
passes, and `generate()` runs batched (the configuration's batch size, left padding) on a model
without error or warning. Prints each failure, then "F of N failed".

    python benchmarks/hf_validity.py [--n 300] [--seed 0] [--model DIR] [--max-new-tokens K]
                                     [--uvl FILE] [--threads 1]

By default the configuration's own max_new_tokens is used (--max-new-tokens caps it for a
quicker pass) on the tiny test model (sample_models/tiny-llama). Exit status 1 when any failed.
"""

from __future__ import annotations

import argparse
import collections
import sys
import time

from pimp_tui.measure.host import Host, fix_to_host
from pimp_tui.measure.settings import QUANTIZATION, STRATEGIES, generation_settings
from pimp_tui.measure.settings_check import (
    EXPECTED_MODES,
    SettingsCheck,
    generation_mode,
    random_completions,
)
from pimp_tui.paths import HF_GENERATION_MODEL, TINY_LLM
from pimp_tui.variability.io import load_model
from pimp_tui.variability.reasoning import Reasoner


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--model", default=str(TINY_LLM))
    parser.add_argument("--uvl", default=str(HF_GENERATION_MODEL))
    parser.add_argument("--max-new-tokens", type=int, default=None)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    args = parser.parse_args(argv)

    import torch

    torch.set_num_threads(args.threads)
    model, fixes = fix_to_host(load_model(args.uvl), Host(0))
    reasoner = Reasoner(model)
    started = time.perf_counter()
    configs = random_completions(reasoner, args.n, seed=args.seed)
    drawn_s = time.perf_counter() - started
    check = SettingsCheck(args.model)
    failures: list[tuple[int, dict, str]] = []
    strategies: collections.Counter[str] = collections.Counter()
    quantizations: collections.Counter[str] = collections.Counter()
    started = time.perf_counter()
    for index, config in enumerate(configs):
        strategy = next(name for name in STRATEGIES if config.get(name) is True)
        strategies[strategy] += 1
        quantizations[next((q for q in QUANTIZATION if config.get(q) is True), "-")] += 1
        settings = generation_settings(config)
        mode = generation_mode(settings)
        problem = None
        if reasoner.violations(config):
            problem = "reasoner: " + "; ".join(reasoner.violations(config))
        elif mode != EXPECTED_MODES[strategy]:
            problem = f"{strategy} runs as {mode}"
        else:
            problem = check.check(config, max_new_tokens=args.max_new_tokens)
        if problem:
            failures.append((index, config, problem))
            print(f"FAIL #{index}: {problem}")
            print(f"  load {settings.load_kwargs}")
            print(f"  generate {settings.generate_kwargs}, batch {settings.batch_size}")
        if (index + 1) % 50 == 0:
            print(f"{index + 1} checked, {len(failures)} failed", file=sys.stderr, flush=True)
    run_s = time.perf_counter() - started
    cap = args.max_new_tokens
    length = "their own max_new_tokens" if cap is None else f"max_new_tokens capped at {cap}"
    each = run_s / max(len(configs), 1) * 1000
    print(f"drew {len(configs)} configurations in {drawn_s:.1f} s, checked them in {run_s:.1f} s")
    print(f"({each:.0f} ms each, {length}, {args.threads} torch thread(s))")
    print("host fixes: " + ", ".join(fix.constraint for fix in fixes))
    print("strategies: " + ", ".join(f"{k} {v}" for k, v in strategies.most_common()))
    print("quantization: " + ", ".join(f"{k} {v}" for k, v in quantizations.most_common()))
    print(f"distinct settings: {len({repr(generation_settings(c)) for c in configs})}")
    print(f"{len(failures)} of {len(configs)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
