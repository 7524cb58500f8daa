"""`serving[:SOURCE]`: a stream of requests served as a configuration's Serving part says
(arrival process, static or continuous batching; see measure/serving/).

The prompts come from any other task, named after the colon (`serving:gsm8k`,
`serving:jsonl:PATH`; `serving` alone takes `arith`), cycled when the stream is longer; where
they carry answers the run reports accuracy. `serving:workload:NAME` replays a trace imported
with `pimp workload import`: one prompt of each traced request's input length, arriving at its
timestamp (a trace without timestamps arrives as the configuration says). The campaign's
request count (`--requests N`) is the stream's length and `--duration S` drops the requests
that would arrive after S seconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pimp_tui.errors import PimpError
from pimp_tui.measure.tasks.base import Prompt, Task

NAME = "serving"
DEFAULT_SOURCE = "arith"


def is_serving(spec: str) -> bool:
    return spec == NAME or spec.startswith(NAME + ":")


def source_of(spec: str) -> str:
    """The task whose prompts a serving spec sends."""
    source = spec[len(NAME) + 1 :] if spec.startswith(NAME + ":") else ""
    return source or DEFAULT_SOURCE


WORKLOAD = "workload:"


def workload_of(spec: str) -> str | None:
    """The imported workload a `serving:workload:NAME` spec replays (None for other sources)."""
    source = source_of(spec) if is_serving(spec) else ""
    return source[len(WORKLOAD) :] or None if source.startswith(WORKLOAD) else None


def placeholder(spec: str) -> Task:
    """A workload stream's task before its trace is read (the campaign builds the prompts
    with the model's tokenizer: `trace_task`)."""
    return Task(spec, (Prompt("", ""),), chat=False, scored=False)


def trace_task(
    spec: str, trace: Sequence[tuple[int, int, float | None]], tokenizer: Any, seed: int
) -> tuple[Task, list[float] | None]:
    """Prompts of each traced request's exact input length (seeded text) and the arrival
    times its timestamps give (seconds from the first; None when the trace has none: the
    configuration's arrival process applies). Output lengths follow the configuration."""
    from pimp_tui.measure.tasks.lengths import prompt_ids

    if not trace:
        raise PimpError(f"task {spec!r}: the workload has no request")
    prompts = tuple(
        Prompt(f"traced request {i}", "", token_ids=prompt_ids(tokenizer, seed, i, max(1, n_in)))
        for i, (n_in, _, _) in enumerate(trace)
    )
    stamps = [t for _, _, t in trace]
    arrivals = None
    if all(t is not None for t in stamps):
        first = min(stamps)  # type: ignore[type-var]
        arrivals = [float(t) - float(first) for t in stamps]  # type: ignore[arg-type]
    return Task(spec, prompts, chat=False, scored=False), arrivals
